import DetourCore

/// `detour approve INCIDENT`: releases an incident's approval gate so its failover steps run.
struct ApproveCommand: Command {
    static let name = "approve"
    static let abstract = "Release an incident's approval gate: its failover steps run now"
    static let discussion = "Playbooks with approval: { required: true } wait for this (or for autoAfter). 'detour status' lists what waits."
    static let options = [OptionSpec(name: "by", short: nil, value: "NAME", help: "who approves (default: $USER, $LOGNAME, then the login name)")]
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by detour status")]

    let incident: String
    let by: String?

    init(_ parsed: ParsedArguments) throws {
        incident = parsed.positionals[0]
        by = parsed.value("by")
    }

    func run(_ context: CommandContext) async -> ExitCode {
        await ManualAction(context: context).perform { scene in
            let approved = try await scene.engine.approve(incident: incident, by: by ?? context.userName)
            return "incident \(approved.id): approved; \(approved.status.rawValue)"
        }
    }
}
