import DetourCore
import Foundation

/// `detour hold CHANNEL`: pause automation for a channel during planned work.
struct HoldCommand: Command {
    static let name = "hold"
    static let abstract = "Pause probing and automation for a channel during planned work"
    static let discussion = """
        While held, the channel is not probed and no incident opens for it; an incident already
        open goes on. Say how long: --until (a duration or a time), or --indefinitely until
        'detour release CHANNEL'. Holding a held channel again changes its end and keeps its
        reason unless --reason gives a new one.
        """
    static let until = Option.time(
        "until", short: "u", durations: .ahead, help: "when the hold ends: a duration (2h) or a time (2026-12-02T06:00+09:00)")
    static let indefinitely = Flag("indefinitely", help: "hold until 'detour release CHANNEL'")
    static let reason = Option.string("reason", short: "r", help: "why (journaled and shown in status)")
    static let by = Option.string("by", value: "NAME", help: "who (default: $USER, $LOGNAME, then the login name)")
    static let options: [any OptionDeclaration] = [until, indefinitely, reason, by]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let until: TimeArgument?
    let indefinitely: Bool
    let reason: String?
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        channel = parsed.positionals[0]
        until = try parsed.value(Self.until)
        indefinitely = parsed.flag(Self.indefinitely)
        reason = try parsed.value(Self.reason)
        by = try parsed.value(Self.by)
    }

    func validate() throws(UsageError) {
        if until == nil && !indefinitely {
            throw UsageError(
                description:
                    "say how long to hold \(channel): --until 2h, --until 2026-12-02T06:00+09:00, or --indefinitely (until 'detour release \(channel)')")
        }
        if until != nil && indefinitely { throw UsageError(description: "--until and --indefinitely cannot be combined; pick one") }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        // On a cluster node the end is fixed here, in the workspace's zone, and the leader holds until then.
        var shared = ManualAction.SharedCommand(kind: .hold, target: channel, reason: reason, by: by)
        shared.resolveDetail = { [until] session in
            let zone = session.workspace.settings.timeZone
            let end = try until?.date(now: Date(), zone: zone)
            return end.map { LocalTime.iso8601($0, in: zone) }
        }
        return try await ManualAction(context: context, channel: channel, shared: shared).perform { scene in
            // Read in the workspace's zone, the zone the time was meant in; a time that does not exist there is refused.
            let end = try until?.date(now: scene.now, zone: scene.session.workspace.settings.timeZone)
            // Extending a hold (a new end) keeps the reason it was given.
            let kept = await scene.engine.state.hold(on: channel, at: scene.now)?.reason
            try await scene.engine.hold(channel: channel, until: end, reason: reason ?? kept, by: by ?? context.userName)
            let zone = scene.session.workspace.settings.timeZone
            let until =
                end.map { scene.l10n.text("status.hold.until", ["time": LocalTime.iso8601($0, in: zone)]) }
                ?? scene.l10n.text("status.hold.until-released")
            return scene.l10n.text("hold.done", ["channel": channel, "until": until])
        }
    }
}

/// `detour release CHANNEL`: resume automation for a held channel.
struct ReleaseCommand: Command {
    static let name = "release"
    static let abstract = "Resume probing and automation for a held channel"
    static let by = Option.string("by", value: "NAME", help: "who (default: $USER, $LOGNAME, then the login name)")
    static let options: [any OptionDeclaration] = [by]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        channel = parsed.positionals[0]
        by = try parsed.value(Self.by)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        try await ManualAction(context: context, channel: channel, shared: .init(kind: .release, target: channel, reason: nil, by: by)).perform { scene in
            try await scene.engine.release(channel: channel, by: by ?? context.userName)
            return scene.l10n.text("release.done", ["channel": channel])
        }
    }
}
