import DetourCore

/// `detour checkin CHANNEL`: a job tells Detour it ran, where no daemon serves `/hb/<token>`.
struct CheckinCommand: Command {
    static let name = "checkin"
    static let abstract = "Record that a heartbeat channel's job ran (its check-in)"
    static let discussion = """
        For channels of kind "heartbeat": run it at the end of the job (cron, a CI step). It takes the
        run lock briefly and journals the check-in; a channel that was down because its check-in was
        late recovers at once, as the next pass would recover it. With a daemon running
        ('detour watch --listen'), the job can call http://HOST:PORT/hb/TOKEN instead. On a cluster node
        the check-in goes to the leader through etcd, which journals it for every node.
        """
    static let options: [any OptionDeclaration] = []
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the heartbeat channel's id (its file name in channels/)")]

    let channel: String

    init(_ parsed: ParsedArguments) throws(UsageError) {
        channel = parsed.positionals[0]
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        // On a cluster node the leader journals it, so the check-in counts on every node.
        let shared = ManualAction.SharedCommand(kind: .checkin, target: channel, detail: "cli", reason: nil, by: context.userName)
        return try await ManualAction(context: context, channel: channel, shared: shared).perform { scene in
            let outcome = try await scene.engine.checkIn(channel: channel, at: scene.now)
            let id = outcome.channel
            return outcome.recovered ? "\(id): checked in at \(scene.clock(scene.now)); up again" : "\(id): checked in at \(scene.clock(scene.now))"
        }
    }
}
