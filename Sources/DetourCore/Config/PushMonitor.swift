import Foundation

/// `heartbeat: { every: "15m", grace: "5m", token: "env:INVENTORY_SYNC_TOKEN" }`: a job that must check in.
///
/// A channel of kind `heartbeat` is not probed; it is down when no check-in arrived within
/// `every + grace` of the last one (or of when monitoring began).
public struct PushMonitor: Sendable, Equatable {
    /// How often the job runs.
    public var every: Duration
    /// How late a check-in may be before the channel counts as down.
    public var grace: Duration
    /// The secret the job presents (`/hb/<token>`), as a credential reference.
    public var token: CredentialReference
    /// Where `token` is written, for `check`'s messages.
    var tokenLocation: SourceLocation?

    /// Creates a push monitor.
    public init(every: Duration, grace: Duration, token: CredentialReference) {
        self.every = every
        self.grace = grace
        self.token = token
    }

    /// How long after a check-in the next one must arrive.
    public var window: Duration { every + grace }

    /// The health thresholds: one missed window is the outage and one check-in ends it, because
    /// `grace` already absorbs a late job and a check-in is a definite sign of life.
    public var schedule: Schedule { Schedule(every: every, confirmEvery: every, failAfter: 1, recoverAfter: 1) }

    /// `(expected every 15m, grace 5m)`, for evidence.
    public var expectation: String { "expected every \(DurationText.format(every)), grace \(DurationText.format(grace))" }

    /// Fewest characters a check-in token may have: anyone who guesses it can keep the channel "up".
    public static let minimumTokenLength = 16

    /// Reads `heartbeat` of a channel file.
    static func read(_ node: JSONNode, channel: String, sink: DiagnosticSink) -> PushMonitor? {
        guard let reader = NodeReader(node, subject: "heartbeat of channel \"\(channel)\"", sink: sink) else { return nil }
        defer { reader.finish() }
        let every = reader.required("every", hint: "every: \"15m\" (how often the job runs)").flatMap { _ in reader.duration("every") }
        let grace = reader.value("grace") == nil ? .seconds(0) : reader.duration("grace", allowZero: true)
        let token = ProviderFields(reader: reader, sink: sink, provider: "heartbeat")
            .credential("token", hint: "token: \"env:INVENTORY_SYNC_TOKEN\" (the secret the job sends to /hb/<token>)")
        guard let every, let grace, let token else { return nil }
        var monitor = PushMonitor(every: every, grace: grace, token: token.reference)
        monitor.tokenLocation = token.location
        return monitor
    }
}

extension Workspace {
    /// The heartbeat channel whose token is `token`; nil when none has it.
    ///
    /// Every channel's token is compared in full, so the time taken says nothing about which one (or
    /// how much) matched. A cluster node matches a check-in's token itself, so only the id travels.
    public func heartbeatChannel(forToken token: String, secrets: SecretResolver) -> Channel? {
        var found: Channel?
        for channel in channels {
            guard let monitor = channel.heartbeat, let expected = try? secrets.resolve(monitor.token) else { continue }
            if ConstantTime.equal(Array(token.utf8), Array(expected.utf8)), found == nil { found = channel }
        }
        return found
    }
}
