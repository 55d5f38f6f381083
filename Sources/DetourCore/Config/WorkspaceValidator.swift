import Foundation

/// Checks what spans files: channel references, template variables and credentials.
struct WorkspaceValidator {
    let workspace: Workspace
    /// Ids of every channel file, parsed or not, so a broken file's id is not reported twice.
    let channelFileIDs: Set<String>
    let environment: [String: String]
    let sink: DiagnosticSink

    private var channelIDs: [String] { workspace.channels.map(\.id) }

    func validate() {
        for channel in workspace.channels {
            for alternate in channel.alternateReferences {
                if alternate.value == channel.id {
                    sink.error(.text("check.alternate.self", ["channel": channel.id]), at: alternate.location)
                } else {
                    checkChannelReference(alternate.value, at: alternate.location)
                }
            }
        }
        for channel in workspace.channels {
            if let monitor = channel.heartbeat, let location = monitor.tokenLocation { checkToken(monitor.token, channel: channel.id, at: location) }
        }
        for playbook in workspace.playbooks {
            for reference in playbook.channelReferences { checkChannelReference(reference.value, at: reference.location) }
            let channels = workspace.channels.filter { playbook.channels.matches($0.id) }
            if playbook.event == .workspaceInvalid {
                // A LINE push goes to one chosen recipient (staff), unlike a broadcast.
                for step in playbook.steps + playbook.recovery
                where step.action.action.isPublicNotice && (step.action.action as? LineMessage)?.mode != .push {
                    // A broken file is the operator's business: customers must not hear about it.
                    sink.warning(
                        .text("check.invalid-playbook.public", ["step": step.id, "playbook": playbook.id, "action": step.action.action.name]),
                        at: step.location)
                }
            }
            for step in playbook.steps + playbook.recovery {
                // A provider undo repeats the step's own fields: check each written place once.
                var checked: Set<SourceLocation> = []
                var measured: Set<SourceLocation> = []
                for action in [step.action] + (step.undo.map { [$0] } ?? []) {
                    check(action, of: step, playbook: playbook, channels: channels, skipping: &checked, measured: &measured)
                }
            }
        }
    }

    private func checkChannelReference(_ id: String, at location: SourceLocation) {
        guard !channelFileIDs.contains(id) else { return }
        let known = channelIDs.map { "\"\($0)\"" }.joined(separator: ", ")
        sink.error(
            .text("check.channel.unknown", values: ["channel": .plain(id), "suggestion": didYouMean(id, in: channelIDs), "known": .plain(known)]), at: location)
    }

    private func check(
        _ action: StepAction, of step: Step, playbook: Playbook, channels: [Channel], skipping checked: inout Set<SourceLocation>,
        measured: inout Set<SourceLocation>
    ) {
        let provider = action.action
        for (reference, location) in provider.credentials where checked.insert(location).inserted {
            warnIfMissing(reference, step: step, playbook: playbook, at: location)
            refuseIfTooShort(reference, at: location)
        }
        for (template, location) in provider.templates where checked.insert(location).inserted {
            for (path, offset) in template.variables {
                // The string's first scalar is its opening quote.
                checkVariable(path, at: location.shifted(by: offset + 1), playbook: playbook, channels: channels)
            }
        }
        for (template, location, limit) in provider.texts where measured.insert(location).inserted {
            checkLength(template, at: location, limit: limit, provider: provider.name, step: step, channels: channels)
        }
    }

    /// A reason as long as `{{incident.reason}}` ever renders, in Japanese (the widest for X's count).
    static let sampleReason: String = {
        let start = "item page: condition: body does not contain \"買い物かご\" (got \""
        return start + String(repeating: "ただいまメンテナンス中です", count: TemplateContext.reasonLimit).prefix(TemplateContext.reasonLimit - start.count)
    }()

    /// Renders a text with each channel's real values and a sample incident (its reason as long as
    /// it can render), and measures it as the platform does.
    private func checkLength(_ template: Template, at location: SourceLocation, limit: TextLimit, provider: String, step: Step, channels: [Channel]) {
        let sample = Incident(
            id: "sample-20261127-101500", channel: "", trigger: .probe, by: nil, reason: Self.sampleReason,
            openedAt: Date(timeIntervalSince1970: 1_795_742_100))
        var worst: (channel: String, length: Int)?
        for channel in channels {
            let context = TemplateContext(workspace: workspace, channel: channel, incident: sample)
            let resolver = SecretResolver(environment: [:], workspaceRoot: workspace.root)
            let rendered = try? template.render { path -> JSONValue in
                if path.first == "env" { return .string("••••••••") }
                return try context.resolve(path, secrets: resolver)
            }
            guard let text = rendered?.textValue else { continue }
            let (length, fits) = limit.measure(text)
            if !fits, length > (worst?.length ?? 0) { worst = (channel.id, length) }
        }
        if let worst {
            sink.error(
                .text(
                    "check.text.too-long",
                    [
                        "step": step.id, "provider": provider, "length": "\(worst.length)", "channel": worst.channel,
                        "limit": limit.description,
                    ]),
                at: location)
        }
    }

    private func warnIfMissing(_ reference: CredentialReference, step: Step, playbook: Playbook, at location: SourceLocation) {
        let resolver = SecretResolver(environment: environment, workspaceRoot: workspace.root)
        if let problem = resolver.fileProblem(reference) {
            sink.error(
                .text("check.credential.file", ["step": step.id, "playbook": playbook.id, "reference": "\(reference)", "problem": "\(problem)"]), at: location)
        } else if !resolver.isAvailable(reference) {
            sink.warning(.text("check.credential.unavailable", ["step": step.id, "playbook": playbook.id, "reference": "\(reference)"]), at: location)
        }
    }

    /// A heartbeat channel's token: there when detour runs, and long enough that nobody guesses it.
    private func checkToken(_ reference: CredentialReference, channel: String, at location: SourceLocation) {
        let resolver = SecretResolver(environment: environment, workspaceRoot: workspace.root)
        if let problem = resolver.fileProblem(reference) {
            sink.error("heartbeat token of channel \"\(channel)\": \(reference) \(problem); \(CredentialReference.fileRule)", at: location)
        } else if let value = resolver.peek(reference) {
            guard value.count < PushMonitor.minimumTokenLength else { return }
            sink.error(
                "the heartbeat token in \(reference) is only \(value.count) characters long; anyone who guesses it can check in for the job; "
                    + "use at least \(PushMonitor.minimumTokenLength) random characters (openssl rand -hex 16)",
                at: location)
        } else {
            sink.warning(
                "heartbeat token of channel \"\(channel)\": \(reference) is not available here; set it where detour runs, or /hb/<token> refuses every check-in",
                at: location)
        }
    }

    /// A credential shorter than `Redactor.minimumLength` cannot be masked without masking ordinary text too.
    private func refuseIfTooShort(_ reference: CredentialReference, at location: SourceLocation) {
        let resolver = SecretResolver(environment: environment, workspaceRoot: workspace.root)
        guard let value = resolver.peek(reference), value.count < Redactor.minimumLength else { return }
        let length = value.count == 1 ? "1 character" : "\(value.count) characters"
        sink.error(
            .text("check.credential.short", ["reference": "\(reference)", "length": "\(length)", "minimum": "\(Redactor.minimumLength)"]),
            at: location)
    }

    private func checkVariable(_ path: [String], at location: SourceLocation, playbook: Playbook, channels: [Channel]) {
        let name = path.joined(separator: ".")
        switch path.first {
        case "channel":
            expectField(path, in: TemplateScope.channelFields, name: name, at: location)
        case "incident":
            expectField(path, in: TemplateScope.incidentFields, name: name, at: location)
        case "alternates":
            guard path.count == 3, let index = Int(path[1]), index >= 0 else {
                sink.error(.text("check.template.alternates", ["name": name]), at: location)
                return
            }
            expectField([path[0], path[2]], in: TemplateScope.channelFields, name: name, at: location)
            for channel in channels where channel.alternates.count <= index {
                sink.error(
                    .text(
                        "check.template.alternates-count",
                        ["name": name, "count": "\(index + 1)", "channel": channel.id, "listed": "\(channel.alternates.count)"]),
                    at: location)
            }
        case "settings":
            var value: JSONValue? = workspace.settings.values
            for key in path.dropFirst() { value = value?[key] }
            if path.count < 2 || value == nil {
                let known = workspace.settings.values.objectKeys.map { "settings.\($0)" }.joined(separator: ", ")
                let defined = known.isEmpty ? "" : " (defined: \(known))"
                sink.error(.text("check.template.settings", ["name": name, "defined": defined]), at: location)
            }
        case "steps":
            let ids = playbook.steps.map(\.id)
            guard path.count == 3, ids.contains(path[1]) else {
                let suggestion = path.count > 1 ? didYouMean(path[1], in: ids, prefix: "steps.") : ""
                sink.error(.text("check.template.steps", values: ["name": .plain(name), "suggestion": suggestion]), at: location)
                return
            }
        case "env":
            guard path.count == 2 else {
                sink.error(.text("check.template.env"), at: location)
                return
            }
            if (environment[path[1]] ?? "").isEmpty {
                sink.warning(.text("check.template.env-unset", ["name": path[1]]), at: location)
            }
            refuseIfTooShort(.environment(path[1]), at: location)
        default:
            let roots = ["channel", "alternates", "incident", "settings", "steps", "env"]
            sink.error(
                .text(
                    "check.template.unknown",
                    values: ["name": .plain(name), "suggestion": didYouMean(path[0], in: roots), "roots": .plain(roots.joined(separator: ", "))]),
                at: location)
        }
    }

    private func expectField(_ path: [String], in fields: [String], name: String, at location: SourceLocation) {
        guard path.count != 2 || !fields.contains(path[1]) else { return }
        let suggestion = path.count == 2 ? didYouMean(path[1], in: fields, prefix: path[0] + ".") : ""
        sink.error(
            .text(
                "check.template.field",
                values: ["name": .plain(name), "suggestion": suggestion, "root": .plain(path[0]), "fields": .plain(fields.joined(separator: ", "))]),
            at: location)
    }
}

/// The variables a playbook template can use.
enum TemplateScope {
    static let channelFields = ["id", "name", "url", "kind"]
    static let incidentFields = ["id", "startedAt", "reason", "summary"]
}

extension JSONValue {
    /// The keys of an object, in order.
    var objectKeys: [String] {
        if case .object(let members) = self { return members.map(\.0) }
        return []
    }
}
