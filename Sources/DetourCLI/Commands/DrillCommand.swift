import DetourCore
import DetourSandbox
import Foundation

/// `detour drill CHANNEL`: rehearses an outage and shows every exact request, sending nothing
/// (or, with `--sandbox`, sending them to the embedded sandbox and showing the answers).
struct DrillCommand: Command {
    static let name = "drill"
    static let abstract = "Rehearse an outage of a channel: show every request its playbooks would send"
    static let discussion = """
        Walks the whole lifecycle — down, failover steps, recovery, undo steps (reverse order),
        recovery steps — and prints each request exactly: method, URL, headers (credentials
        masked) and body. Nothing is sent and no state changes. With --sandbox the requests go to
        the embedded sandbox, whose fake LINE, X, Slack, Discord, SendGrid, Mailchimp, Shopify,
        PagerDuty and Statuspage answer like the real APIs, and the answers are shown too.
        Credentials the environment lacks are shown as NAME-not-set.
        """
    static let playbook = Option.string("playbook", short: "p", value: "ID", help: "rehearse only this playbook (a file name in playbooks/)")
    static let sandbox = Flag("sandbox", help: "send the requests to the embedded sandbox and show its answers")
    static let options: [any OptionDeclaration] = [playbook, sandbox]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channelID: ChannelID
    let playbookID: String?
    let sandbox: Bool

    init(_ parsed: ParsedArguments) throws(UsageError) {
        channelID = ChannelID(parsed.positionals[0])
        playbookID = try parsed.value(Self.playbook)
        sandbox = parsed.flag(Self.sandbox)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        var workspace = session.workspace
        let channel = try channelID.resolve(in: workspace)
        if let playbookID {
            guard workspace.playbooks.contains(where: { $0.id == playbookID }) else {
                let ids = workspace.playbooks.map(\.id)
                let suggestion = closestMatch(to: playbookID, in: ids).map { "did you mean \"\($0)\"? " } ?? ""
                throw UsageError(description: "unknown playbook \"\(playbookID)\"; \(suggestion)playbooks: \(ids.joined(separator: ", "))")
            }
            workspace.playbooks = workspace.playbooks.filter { $0.id == playbookID }
        }
        let applying = workspace.playbooks.filter { $0.channels.matches(channel.id) }
        guard !applying.isEmpty else {
            throw UsageError(description: "no playbook applies to channel \"\(channel.id)\"; add it to on.channels of a playbook")
        }
        // Stand-ins only for what the environment lacks; real credentials stay masked.
        var environment = context.environment
        for name in workspace.environmentReferences where (environment[name] ?? "").isEmpty {
            environment[name] = "\(name)-not-set"
        }
        let secrets = SecretResolver(environment: environment, workspaceRoot: workspace.root, redactor: context.console.redactor)
        let clock: any WallClock
        do {
            clock = try session.clock()
        } catch {
            context.console.err("error: \(error.message)")
            return .usage
        }
        context.console.out("Drill: an outage of \(channel.name) (\(channel.id)); playbooks: \(applying.map(\.id).joined(separator: ", "))")
        if sandbox {
            return try await runInSandbox(workspace: workspace, channel: channel, secrets: secrets, clock: clock, context: context)
        }
        context.console.out("Nothing is sent. Rendered with this channel's values; credentials masked.\n")
        let printer = DrillPrinter(console: context.console)
        for step in Rehearsal(workspace: workspace, secrets: secrets).steps(channel: channel, start: clock.now()) {
            printer.header(phase: step.phase, key: step.key, provider: step.provider, note: step.note)
            if let request = step.request { printer.request(request) }
        }
        return .ok
    }

    private func runInSandbox(workspace: Workspace, channel: Channel, secrets: SecretResolver, clock: any WallClock, context: CommandContext) async throws
        -> ExitCode
    {
        guard let server = startSandbox(context) else { return .failure }
        defer { server.stop() }
        context.console.out("Requests go to the sandbox on \(server.baseURL); nothing leaves this machine.\n")
        let stateDirectory = NSTemporaryDirectory() + "detour-drill-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let printer = DrillPrinter(console: context.console)
        let engine = try Engine(
            dependencies: EngineDependencies(
                workspace: workspace, http: http, clock: ManualClock(clock.now()), secrets: secrets, redirect: URLRedirect(base: server.baseURL),
                observer: printer.handle),
            stateDirectory: stateDirectory)
        var incident = try await engine.failover(channel: channel.id, reason: "drill", by: "drill")
        if workspace.pendingApproval(of: incident) != nil {
            context.console.out("(approval gate: approved for the drill)")
            incident = try await engine.approve(incident: incident.id, by: "drill")
        }
        incident = try await engine.restore(channel: channel.id, reason: "drill", by: "drill", probe: false)
        context.console.out("\nincident \(incident.id): \(incident.status.rawValue); the sandbox received \(server.requests().count) requests")
        let failed = incident.steps.filter { $0.value.outcome == .failed }
        for (key, step) in failed.sorted(by: { $0.key < $1.key }) {
            context.console.out("  failed: \(key) — \(step.error ?? "")")
        }
        return failed.isEmpty ? .ok : .failure
    }
}

/// Prints rehearsed and sent requests in full, masked.
struct DrillPrinter: Sendable {
    let console: Console

    func header(phase: StepPhase, key: String, provider: String?, note: String?) {
        console.out("[\(phase.rawValue)] \(key)\(provider.map { "  (\($0))" } ?? "")\(note.map { " — \($0)" } ?? "")")
    }

    func request(_ request: RenderedRequest) {
        console.out("  \(request.display)\(request.call.stage.isEmpty ? "" : "   (\(request.call.stage))")")
        for header in request.displayHeaders { console.out("  \(header.name): \(header.value)") }
        if let body = request.displayBody { console.out("  \(body)") }
        console.out("")
    }

    /// Engine events during a sandbox drill.
    func handle(_ event: EngineEvent) {
        switch event {
        case .sending(let step, _, let rendered):
            header(phase: phase(of: step), key: step, provider: nil, note: nil)
            request(rendered)
        case .answered(let step, _, let attempt):
            let status = attempt.status.map(String.init) ?? "no answer"
            let answer = attempt.answer.map { $0.isEmpty ? "(empty body)" : $0 } ?? ""
            console.out("  ← \(step): \(status) \(answer)")
            if let error = attempt.error { console.out("  ← \(attempt.outcome.rawValue): \(error)") }
            if let note = attempt.note { console.out("  ← \(note)") }
            console.out("")
        case .journaled(let record):
            if case .stepFinished(let finished) = record.event, finished.outcome == .skipped {
                console.out("[\(finished.phase.rawValue)] \(finished.step) skipped: \(finished.note ?? "")\n")
            }
        case .probed:
            break
        }
    }

    private func phase(of key: String) -> StepPhase {
        key.hasSuffix("/undo") ? .undo : key.hasSuffix("/recovery") ? .recovery : .failover
    }
}
