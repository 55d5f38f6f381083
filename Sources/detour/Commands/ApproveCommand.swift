import DetourCore

/// `detour approve INCIDENT`: releases an incident's approval gate so its failover steps run.
struct ApproveCommand: Command {
    static let name = "approve"
    static let abstract = "Release an incident's approval gate: its failover steps run now"
    static let discussion = "Playbooks with approval: { required: true } wait for this (or for autoAfter). 'detour status' lists what waits."
    static let options = [OptionSpec(name: "by", short: nil, value: "NAME", help: "who approves (default: $USER)")]
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by detour status")]

    let incident: String
    let by: String?

    init(_ parsed: ParsedArguments) throws {
        incident = parsed.positionals[0]
        by = parsed.value("by")
    }

    func run(_ context: CommandContext) async -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        do {
            guard let lock = try await session.lock(patience: .seconds(60)) else {
                context.console.err("error: \(session.lockHolder()) has held the run lock for a minute; try again, or stop it")
                return .failure
            }
            defer { lock.release() }
            let http = makeHTTPClient()
            defer { http.shutdown() }
            let printer = TimelinePrinter(console: context.console, workspace: session.workspace)
            let engine = try session.engine(http: http, observer: printer.handle)
            let approved = try await engine.approve(incident: incident, by: by ?? context.userName)
            context.console.out("incident \(approved.id): approved; \(approved.status.rawValue)")
            return .ok
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }
}
