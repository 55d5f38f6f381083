import Foundation

/// What a check-in led to.
public enum CheckinOutcome: Sendable, Equatable {
    /// Journaled for the channel; `recovered` when it ended the channel's outage.
    case recorded(channel: String, recovered: Bool)
    /// No heartbeat channel has this token: nothing was journaled.
    case unknownToken
}

// MARK: - Push monitors: jobs that check in

extension Engine {
    /// `/hb/<token>`: journals a check-in for the heartbeat channel whose token this is.
    ///
    /// The token is matched against every heartbeat channel's resolved token in constant time, and
    /// is never journaled or printed. Like the operator commands, the caller holds the run lock.
    public func checkIn(token: String, at time: Date) async throws -> CheckinOutcome {
        try refresh()
        guard let channel = workspace.heartbeatChannel(forToken: token, secrets: dependencies.secrets) else { return .unknownToken }
        return try await checkIn(channel: channel.id, via: "http", at: time)
    }

    /// `detour checkin CHANNEL`: journals a check-in; a channel that was down recovers at once,
    /// as the next pass would recover it. The caller holds the run lock.
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
        return .recorded(channel: id, recovered: recovered)
    }
}
