import Foundation

/// A template string of a step, with where it was written.
public struct TemplateField: Sendable {
    /// The parsed template.
    public var template: Template
    /// Where the string is written (its opening quote).
    public var location: SourceLocation
}

/// A credential field of a step (`token: "env:LINE_CHANNEL_TOKEN"`), with where it was written.
public struct CredentialField: Sendable {
    /// The reference.
    public var reference: CredentialReference
    /// Where it is written.
    public var location: SourceLocation
}

/// Reads a provider step's fields, reporting every problem with its place.
final class ProviderFields {
    let reader: NodeReader
    let sink: DiagnosticSink
    /// The provider name, for messages.
    let provider: String

    init(reader: NodeReader, sink: DiagnosticSink, provider: String) {
        self.reader = reader
        self.sink = sink
        self.provider = provider
    }

    /// Where the step is written.
    var location: SourceLocation { reader.node.location }

    /// A template string; reports a missing required one with `hint`.
    func template(_ key: String, required: Bool = false, hint: String = "") -> TemplateField? {
        let node = required ? reader.required(key, hint: hint) : reader.value(key)
        guard let node, let text = reader.expectString(node, key: key) else { return nil }
        return StepLoader.template(text, at: node.location, sink: sink).map { TemplateField(template: $0, location: node.location) }
    }

    /// A whole-field credential reference; a literal secret is an error.
    func credential(_ key: String, required: Bool = true, hint: String) -> CredentialField? {
        let node = required ? reader.required(key, hint: hint) : reader.value(key)
        guard let node, let text = reader.expectString(node, key: key) else { return nil }
        guard let reference = CredentialReference.parse(text) else {
            sink.error(.text("check.credential.literal", ["key": key, "provider": provider]), at: node.location)
            return nil
        }
        if let problem = reference.formProblemText {
            sink.error(problem, at: node.location)
            return nil
        }
        return CredentialField(reference: reference, location: node.location)
    }

    /// A plain string.
    func string(_ key: String) -> String? { reader.string(key) }

    /// One of a few words.
    func word(_ key: String, in allowed: [String], default fallback: String) -> String {
        guard let node = reader.value(key), let text = reader.expectString(node, key: key) else { return fallback }
        guard allowed.contains(text) else {
            sink.error(
                .text(
                    "check.value.unknown-for",
                    values: [
                        "key": .plain(key), "text": .plain(text), "provider": .plain(provider), "suggestion": didYouMean(text, in: allowed),
                        "list": .plain(allowed.map { "\"\($0)\"" }.joined(separator: ", ")),
                    ]),
                at: node.location)
            return fallback
        }
        return text
    }

    /// A list of template strings (a single string is a list of one).
    func templates(_ key: String) -> [TemplateField]? {
        guard let node = reader.value(key) else { return nil }
        let items: [JSONNode]
        switch node.value {
        case .string: items = [node]
        case .array(let list): items = list
        default:
            reader.typeError(key, node, expected: .message(.text("check.expected.string-or-list")))
            return nil
        }
        return items.compactMap { item in
            reader.expectString(item, key: key).flatMap { StepLoader.template($0, at: item.location, sink: sink) }.map {
                TemplateField(template: $0, location: item.location)
            }
        }
    }

    /// Any JSON whose strings are templates.
    func templateValue(_ key: String) -> TemplateValue? {
        reader.value(key).map { StepLoader.templateValue($0, sink: sink) }
    }

    /// Reports a problem at a key (or the step).
    func error(_ message: String, key: String? = nil) {
        sink.error("\(provider): \(message)", at: key.flatMap { reader.value($0)?.location } ?? location)
    }

    /// Reports a problem at a key (or the step), shown in the reader's language.
    func error(_ message: Message, key: String? = nil) {
        sink.error(
            .text("check.provider.problem", values: ["provider": .plain(provider), "problem": .message(message)]),
            at: key.flatMap { reader.value($0)?.location } ?? location)
    }
}

/// Reads a playbook's steps: common fields, then the action's own.
struct StepLoader {
    let sink: DiagnosticSink

    func readSteps(_ nodes: [JSONNode], playbook: String) -> [Step] {
        nodes.enumerated().compactMap { index, node in readStep(node, index: index, playbook: playbook) }
    }

    private func readStep(_ node: JSONNode, index: Int, playbook: String) -> Step? {
        guard let reader = NodeReader(node, subject: .message(.text("check.subject.step", ["index": "\(index + 1)", "playbook": playbook])), sink: sink) else {
            return nil
        }
        defer { reader.finish() }
        let id = reader.requiredString("id", hint: "id: \"promo\" (unique in the playbook)")
        let provider = reader.requiredString("do", hint: "do: \"http\"")
        let continueOnError = reader.bool("continueOnError") ?? false
        var attempts = 3
        var backoff = Duration.seconds(1)
        if let retryNode = reader.value("retry"), let retryReader = NodeReader(retryNode, subject: "retry", sink: sink) {
            attempts = retryReader.count("attempts") ?? attempts
            backoff = retryReader.duration("backoff") ?? backoff
            retryReader.finish()
        }
        let timeout = reader.duration("timeout") ?? .seconds(15)
        let onUncertain = reader.choice("onUncertain", as: UncertainPolicy.self) ?? .skip
        let parallel = reader.string("parallel")
        let always = reader.bool("always") ?? false
        var holds = EffectHolding.automatic
        if let holdsNode = reader.value("holds") {
            switch holdsNode.value {
            case .string(let name) where !name.trimmingCharacters(in: .whitespaces).isEmpty: holds = .named(name)
            case .bool(false): holds = .none
            default:
                reader.typeError("holds", holdsNode, expected: .message(.text("check.expected.holds")))
            }
        }
        let when = reader.value("when").flatMap(readCondition)
        var action: StepAction?
        var undo: StepAction?
        switch provider.flatMap(ProviderKind.init(rawValue:)) {
        case .http?:
            if let requestNode = reader.required("request", hint: "request: { method: \"POST\", url: \"https://…\" }") {
                action = readHTTPRequest(requestNode).map(StepAction.http)
            }
            if let undoNode = reader.value("undo"), let undoReader = NodeReader(undoNode, subject: "undo", sink: sink) {
                if let requestNode = undoReader.required("request", hint: "request: { method: \"POST\", url: \"https://…\" }") {
                    undo = readHTTPRequest(requestNode).map(StepAction.http)
                }
                undoReader.finish()
            }
        case let kind?:
            let common = ["id", "do", "continueOnError", "retry", "timeout", "onUncertain", "parallel", "when", "undo", "holds", "always"]
            action = kind.read(ProviderFields(reader: reader, sink: sink, provider: kind.rawValue)).map(StepAction.provider)
            if let undoNode = reader.value("undo") {
                // An undo names only what differs from the step: undo: { action: "deactivate" }.
                if case .object(let overrides) = undoNode.value {
                    let base = (node.members ?? []).filter { !common.contains($0.key) && !overrides.map(\.key).contains($0.key) }
                    let merged = JSONNode(.object(base + overrides), at: undoNode.location)
                    if let undoReader = NodeReader(merged, subject: .message(.text("check.subject.undo", ["step": id ?? ""])), sink: sink) {
                        undo = kind.read(ProviderFields(reader: undoReader, sink: sink, provider: kind.rawValue)).map(StepAction.provider)
                        undoReader.finish()
                    }
                } else {
                    reader.typeError("undo", undoNode, expected: .message(.text("check.expected.undo")))
                }
            }
        case nil:
            if let other = provider {
                let known = ProviderKind.allCases.map(\.rawValue)
                sink.error(
                    .text(
                        "check.action.unknown",
                        values: [
                            "action": .plain(other), "suggestion": didYouMean(other, in: known),
                            "known": .plain(known.map { "\"\($0)\"" }.joined(separator: ", ")),
                        ]),
                    at: reader.value("do")!.location)
            }
            // Keep the rest of the step from being reported as unknown keys.
            for member in node.members ?? [] { _ = reader.value(member.key) }
        }
        // A ticket closes on recovery without an undo written out.
        if undo == nil, case .provider(let opened)? = action, let ticket = opened as? any ClosesOnUndo { undo = .provider(ticket.closing) }
        guard let id, let action else { return nil }
        var step = Step(id: id, action: action, undo: undo, continueOnError: continueOnError, attempts: attempts, location: node.location)
        step.backoff = backoff
        step.timeout = timeout
        step.onUncertain = onUncertain
        step.parallel = parallel
        step.when = when
        step.holds = holds
        step.always = always
        return step
    }

    private func readCondition(_ node: JSONNode) -> StepCondition? {
        guard let reader = NodeReader(node, subject: "when", sink: sink) else { return nil }
        defer { reader.finish() }
        var condition = StepCondition()
        if let node = reader.value("event") {
            let list = Self.words(node)
            let known = ["down", "up", "degraded", "maintenance", "schedule"]
            if list == nil || list!.contains(where: { !known.contains($0) }) {
                sink.error(.text("check.when.event", ["known": known.map { "\"\($0)\"" }.joined(separator: ", ")]), at: node.location)
            } else {
                condition.events = list
            }
        }
        if let node = reader.value("channelKind") {
            let kinds = Self.words(node)?.compactMap(ChannelKind.init(rawValue:))
            if let kinds, kinds.count == Self.words(node)?.count {
                condition.channelKinds = kinds
            } else {
                sink.error(.text("check.when.channel-kind"), at: node.location)
            }
        }
        condition.sale = reader.bool("sale")
        if let node = reader.value("hours"), let text = reader.expectString(node, key: "hours") {
            if let hours = StepCondition.parseHours(text) {
                condition.hours = hours
            } else {
                sink.error(.text("check.when.hours", ["text": text]), at: node.location)
            }
        }
        return condition
    }

    private static func words(_ node: JSONNode) -> [String]? {
        switch node.value {
        case .string(let text): return [text]
        case .array(let items):
            let words = items.compactMap { item -> String? in
                if case .string(let text) = item.value { return text }
                return nil
            }
            return words.count == items.count ? words : nil
        default: return nil
        }
    }

    private func readHTTPRequest(_ node: JSONNode) -> HTTPStepRequest? {
        guard let reader = NodeReader(node, subject: "request", sink: sink) else { return nil }
        defer { reader.finish() }
        let method = (reader.string("method") ?? "POST").uppercased()
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method), let methodNode = reader.value("method") {
            sink.error(.text("check.request.method", ["method": method]), at: methodNode.location)
        }
        let urlNode = reader.required("url", hint: "url: \"https://…\"")
        let url = urlNode.flatMap { reader.expectString($0, key: "url") }.flatMap { text in
            Self.template(text, at: urlNode!.location, sink: sink)
        }
        var headers: [HeaderTemplate] = []
        if let headerNode = reader.value("headers") {
            if let members = headerNode.members {
                for member in members {
                    guard case .string(let text) = member.value.value else {
                        sink.error(.text("check.header.string", ["header": member.key]), at: member.value.location)
                        continue
                    }
                    if let problem = HTTPHeader(member.key, text).injectionProblem {
                        sink.error(problem, at: member.value.location)
                    } else if let reference = CredentialReference.parse(text) {
                        if let problem = reference.formProblemText { sink.error(problem, at: member.value.location) }
                        headers.append(HeaderTemplate(name: member.key, value: .credential(reference), location: member.value.location))
                    } else if let parsed = Self.template(text, at: member.value.location, sink: sink) {
                        if let free = parsed.variables.first(where: { $0.path == ["incident", "reason"] }) {
                            sink.warning(
                                .text("check.header.reason", ["header": member.key]),
                                at: member.value.location.shifted(by: free.offset + 1))
                        }
                        headers.append(HeaderTemplate(name: member.key, value: .template(parsed), location: member.value.location))
                    }
                }
            } else {
                reader.typeError("headers", headerNode, expected: .message(.text("check.expected.headers")))
            }
        }
        let json = reader.value("json").map { Self.templateValue($0, sink: sink) }
        guard let url else { return nil }
        return HTTPStepRequest(method: method, url: url, urlLocation: urlNode!.location, headers: headers, json: json, location: node.location)
    }

    static func template(_ text: String, at location: SourceLocation, sink: DiagnosticSink) -> Template? {
        switch Template.parse(text) {
        case .success(let template):
            return template
        case .failure(let error):
            if let text = error.text {
                sink.error(text, at: location.shifted(by: error.offset + 1))
            } else {
                sink.error(error.message, at: location.shifted(by: error.offset + 1))
            }
            return nil
        }
    }

    static func templateValue(_ node: JSONNode, sink: DiagnosticSink) -> TemplateValue {
        switch node.value {
        case .string(let text):
            return template(text, at: node.location, sink: sink).map { .string($0, node.location) } ?? .scalar(.string(text))
        case .array(let items):
            return .array(items.map { templateValue($0, sink: sink) })
        case .object(let members):
            return .object(members.map { TemplateMember(key: $0.key, value: templateValue($0.value, sink: sink)) })
        default:
            return .scalar(node.plainValue)
        }
    }
}

extension StepLoader {
    /// A playbook's `approval` and `cooldown`.
    func readGate(_ reader: NodeReader) -> (ApprovalRule?, Duration?) {
        var approval: ApprovalRule?
        if let node = reader.value("approval"), let approvalReader = NodeReader(node, subject: "approval", sink: sink) {
            let required = approvalReader.bool("required") ?? false
            let autoAfter = approvalReader.duration("autoAfter")
            if approvalReader.value("required") == nil {
                sink.error(.text("check.approval.required"), at: node.location)
            }
            approvalReader.finish()
            approval = ApprovalRule(required: required, autoAfter: autoAfter)
        }
        return (approval, reader.duration("cooldown"))
    }
}
