import DetourCore

/// `detour failover CHANNEL`: an operator declares a channel down and runs its playbooks now.
struct FailoverCommand: Command {
    static let name = "failover"
    static let abstract = "Declare a channel down and run its failover playbooks now (manual override)"
    static let discussion =
        "Automation never resolves a manual incident; it waits for 'detour restore CHANNEL'. A manual failover announces regardless of cooldown; --quiet sends no public notice."
    static let options = ManualArguments.options + [ManualArguments.quiet]
    static let arguments = ManualArguments.arguments

    let arguments: ManualArguments

    init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try ManualArguments(parsed) }

    func validate() throws(UsageError) {
        guard let reason = arguments.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError(description: "a manual failover needs a reason: --reason \"楽天の決済エラー多発\"")
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        let shared = arguments.dryRun ? nil : ManualAction.SharedCommand(kind: .failover, target: arguments.channel, reason: arguments.reason, by: arguments.by)
        return try await ManualAction(context: context, channel: arguments.channel, shared: shared).perform { scene in
            if arguments.dryRun { return arguments.plan(scene, phases: [.failover]) }
            let incident = try await scene.engine.failover(
                channel: arguments.channel, reason: arguments.reason ?? "", by: arguments.by ?? context.userName, quiet: arguments.quiet)
            return try StepsFailed.check(incident, summary: scene.summary(of: incident))
        }
    }
}

/// `detour restore CHANNEL`: an operator ends a channel's incident; undo and recovery run now.
struct RestoreCommand: Command {
    static let name = "restore"
    static let abstract = "End a channel's incident: run undo and recovery steps now"
    static let discussion =
        "The channel is probed first; while it still fails the restore is refused, with the evidence. --force restores anyway: the channel is then confirmed afresh and a new incident opens if it is still down."
    static let options = ManualArguments.options + [ManualArguments.force]
    static let arguments = ManualArguments.arguments

    let arguments: ManualArguments

    init(_ parsed: ParsedArguments) throws(UsageError) { arguments = try ManualArguments(parsed) }

    func run(_ context: CommandContext) async throws -> ExitCode {
        let shared =
            arguments.dryRun
            ? nil
            : ManualAction.SharedCommand(
                kind: .restore, target: arguments.channel, detail: arguments.force ? "force" : nil, reason: arguments.reason, by: arguments.by)
        return try await ManualAction(context: context, channel: arguments.channel, again: "detour restore \(arguments.channel)", shared: shared).perform {
            scene in
            if arguments.dryRun { return arguments.plan(scene, phases: [.undo, .recovery]) }
            let incident = try await scene.engine.restore(
                channel: arguments.channel, reason: arguments.reason, by: arguments.by ?? context.userName, force: arguments.force)
            return try StepsFailed.check(incident, summary: scene.summary(of: incident))
        }
    }
}
