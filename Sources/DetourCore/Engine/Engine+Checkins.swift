import Foundation

/// What a check-in led to: journaled for the channel; `recovered` when it ended the channel's outage.
public struct CheckinOutcome: Sendable, Equatable {
    /// The heartbeat channel that checked in.
    public var channel: String
    /// Whether the check-in ended the channel's outage.
    public var recovered: Bool
}

// MARK: - Push monitors: jobs that check in

extension Engine {
    /// `detour checkin CHANNEL` and `/hb/<token>` (`via: "http"`, its channel found with
    /// `Workspace.heartbeatChannel(forToken:)`): journals a check-in; a channel that was down
    /// recovers at once, as the next pass would recover it. The caller holds the run lock.
    public func checkIn(channel id: String, via: String = "cli", at time: Date? = nil) async throws -> CheckinOutcome {
        try refresh()
        let channel = try machine.channel(named: id)
        guard channel.heartbeat != nil else {
            throw EngineError(
                description: "channel \"\(id)\" is probed, not a heartbeat channel; only channels of kind \"heartbeat\" check in "
                    + "(channels/\(id).json5: kind: \"heartbeat\", heartbeat: { every: \"15m\", grace: \"5m\", token: \"env:…\" })")
        }
        let now = time ?? dependencies.clock.now()
        let before = state.channels[id]?.state
        startPass(at: now)
        try await record(.channelCheckin(ChannelCheckin(channel: id, via: via)), at: now)
        for event in machine.checkinRecords(at: now, only: id) { try await record(event, at: now) }
        for event in machine.reconcile(at: now) { try await record(event, at: now) }
        try await drive()
        try store.saveSnapshot(state)
        let recovered = (before == .down || before == .recovering) && state.channels[id]?.state == .up
        return CheckinOutcome(channel: id, recovered: recovered)
    }
}
