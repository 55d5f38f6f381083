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
    static let options = [
        OptionSpec(name: "until", short: "u", value: "TIME", help: "when the hold ends: a duration (2h) or a time (2026-12-02T06:00+09:00)"),
        OptionSpec(name: "indefinitely", short: nil, value: nil, help: "hold until 'detour release CHANNEL'"),
        OptionSpec(name: "reason", short: "r", value: "TEXT", help: "why (journaled and shown in status)"),
        OptionSpec(name: "by", short: nil, value: "NAME", help: "who (default: $USER, $LOGNAME, then the login name)"),
    ]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let until: String?
    let indefinitely: Bool
    let reason: String?
    let by: String?

    init(_ parsed: ParsedArguments) throws {
        channel = parsed.positionals[0]
        until = parsed.value("until")
        indefinitely = parsed.flag("indefinitely")
        reason = parsed.value("reason")
        by = parsed.value("by")
    }

    func validate() throws {
        if until == nil && !indefinitely {
            throw UsageError(
                description:
                    "say how long to hold \(channel): --until 2h, --until 2026-12-02T06:00+09:00, or --indefinitely (until 'detour release \(channel)')")
        }
        if until != nil && indefinitely { throw UsageError(description: "--until and --indefinitely cannot be combined; pick one") }
        guard let until else { return }
        if let duration = DurationText.parse(until) {
            guard duration <= DurationText.longest else { throw UsageError(description: "--until \(DurationText.tooLong(until)), or a time") }
        } else if LocalTime.parse(until, in: .gmt) == nil {
            throw UsageError(description: "--until \"\(until)\" is neither a duration (2h) nor a time (2026-12-02T06:00+09:00)")
        }
    }

    func run(_ context: CommandContext) async -> ExitCode {
        await ManualAction(context: context, channel: channel).perform { scene in
            let end = until.flatMap { text in
                DurationText.parse(text).map { scene.now.addingTimeInterval($0.timeInterval) }
                    ?? LocalTime.parse(text, in: scene.session.workspace.settings.timeZone)
            }
            // Extending a hold (a new end) keeps the reason it was given.
            let kept = await scene.engine.state.hold(on: channel, at: scene.now)?.reason
            try await scene.engine.hold(channel: channel, until: end, reason: reason ?? kept, by: by ?? context.userName)
            let zone = scene.session.workspace.settings.timeZone
            return "\(channel) held" + (end.map { " until \(LocalTime.iso8601($0, in: zone))" } ?? " until released")
        }
    }
}

/// `detour release CHANNEL`: resume automation for a held channel.
struct ReleaseCommand: Command {
    static let name = "release"
    static let abstract = "Resume probing and automation for a held channel"
    static let options = [OptionSpec(name: "by", short: nil, value: "NAME", help: "who (default: $USER, $LOGNAME, then the login name)")]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let by: String?

    init(_ parsed: ParsedArguments) throws {
        channel = parsed.positionals[0]
        by = parsed.value("by")
    }

    func run(_ context: CommandContext) async -> ExitCode {
        await ManualAction(context: context, channel: channel).perform { scene in
            try await scene.engine.release(channel: channel, by: by ?? context.userName)
            return "\(channel) released"
        }
    }
}
