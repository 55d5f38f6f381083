import Foundation

/// Where a channel stands, decided from consecutive probe results.
public enum HealthState: String, Sendable, Codable, CaseIterable {
    case up
    case suspect
    case down
    case recovering
    /// Answers, but a critical probe is slower than its `maxLatency`.
    case degraded
    /// Inside a planned window: failures open no incident.
    case maintenance
}

/// A change worth acting on, returned by `ChannelHealth.record`.
public enum HealthChange: String, Sendable, Equatable, Codable {
    /// The first failure after being up.
    case suspected
    /// A suspect channel answered again: it was a blip.
    case cleared
    /// Confirmed down.
    case wentDown
    /// A down channel answered once.
    case recovering
    /// Recovering failed again.
    case relapsed
    /// Confirmed up again.
    case recovered
    /// Up, but slower than `maxLatency`.
    case degraded
    /// Fast enough again after being degraded.
    case undegraded
    /// A planned window started.
    case maintenanceStarted
    /// A planned window ended; probing starts afresh.
    case maintenanceEnded
    /// An operator restored the channel (`detour restore`); health starts afresh.
    case restored
}

/// The health of one channel: a pure state machine driven by probe results and the time.
///
/// `up ─fail→ suspect ─failAfter fails→ down ─success→ recovering ─recoverAfter successes→ up`
public struct ChannelHealth: Sendable, Codable, Equatable {
    /// The current state.
    public var state: HealthState = .up
    /// Failures in a row.
    public var consecutiveFailures = 0
    /// Successes in a row.
    public var consecutiveSuccesses = 0
    /// The last probe round that passed: the earliest bound of an outage.
    public var lastSuccessAt: Date?
    /// The first failure of the current suspect/down spell.
    public var firstFailureAt: Date?
    /// When the outage was confirmed.
    public var downAt: Date?
    /// The first success after being down.
    public var recoveringAt: Date?
    /// When the channel was last probed.
    public var lastProbeAt: Date?
    /// When the channel is next due.
    public var nextDueAt: Date?
    /// Why the last failing round failed.
    public var lastFailure: String?
    /// When the current degraded spell began (its notice runs once per spell).
    public var degradedAt: Date?
    /// Why it is degraded: the slow probe.
    public var slowReason: String?
    /// When the current planned window began for this channel.
    public var maintenanceSince: Date?

    /// A channel never probed: up, due now.
    public init() {}

    /// Applies one probe round's verdict and returns what changed, if anything.
    ///
    /// `degraded` means the round passed but too slowly: an up channel becomes degraded, a degraded
    /// one that is fast again becomes up; confirming an outage or a recovery is unaffected.
    public mutating func record(success: Bool, degraded: Bool = false, at time: Date, reason: String? = nil, schedule: Schedule) -> HealthChange? {
        if state == .maintenance { return nil }
        var change = record(success: success, at: time, reason: reason, schedule: schedule)
        if success, change == nil || change == .cleared {
            if state == .up, degraded {
                state = .degraded
                degradedAt = time
                slowReason = reason
                change = change ?? .degraded
            } else if state == .degraded, !degraded {
                state = .up
                degradedAt = nil
                slowReason = nil
                change = .undegraded
            }
        }
        return change
    }

    private mutating func record(success: Bool, at time: Date, reason: String?, schedule: Schedule) -> HealthChange? {
        lastProbeAt = time
        let change: HealthChange?
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            lastSuccessAt = time
            change = recordSuccess(at: time, schedule: schedule)
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            lastFailure = reason
            change = recordFailure(at: time, schedule: schedule)
        }
        nextDueAt = time.addingTimeInterval(interval(schedule).timeInterval)
        return change
    }

    private mutating func recordSuccess(at time: Date, schedule: Schedule) -> HealthChange? {
        switch state {
        case .up, .degraded, .maintenance:
            return nil
        case .suspect:
            state = .up
            firstFailureAt = nil
            return .cleared
        case .down:
            recoveringAt = time
            if schedule.recoverAfter <= 1 { return finishRecovery() }
            state = .recovering
            return .recovering
        case .recovering:
            return consecutiveSuccesses >= schedule.recoverAfter ? finishRecovery() : nil
        }
    }

    private mutating func recordFailure(at time: Date, schedule: Schedule) -> HealthChange? {
        switch state {
        case .maintenance:
            return nil
        case .up, .degraded:
            firstFailureAt = time
            if schedule.failAfter <= 1 { return confirmDown(at: time) }
            state = .suspect
            return .suspected
        case .suspect:
            return consecutiveFailures >= schedule.failAfter ? confirmDown(at: time) : nil
        case .down:
            return nil
        case .recovering:
            state = .down
            recoveringAt = nil
            return .relapsed
        }
    }

    private mutating func confirmDown(at time: Date) -> HealthChange {
        state = .down
        downAt = time
        return .wentDown
    }

    private mutating func finishRecovery() -> HealthChange {
        state = .up
        firstFailureAt = nil
        downAt = nil
        lastFailure = nil
        return .recovered
    }

    /// The probe interval for the current state: quick while confirming a change.
    public func interval(_ schedule: Schedule) -> Duration {
        switch state {
        case .suspect, .recovering: schedule.confirmEvery
        case .up, .down, .degraded, .maintenance: schedule.every
        }
    }

    /// Enters a planned window: no probing counts until it ends. Nil when already inside one.
    public mutating func enterMaintenance(at time: Date) -> HealthChange? {
        guard state != .maintenance else { return nil }
        state = .maintenance
        maintenanceSince = time
        consecutiveFailures = 0
        consecutiveSuccesses = 0
        firstFailureAt = nil
        lastFailure = nil
        return .maintenanceStarted
    }

    /// Leaves a planned window: up, and due at once so the channel is checked afresh.
    public mutating func leaveMaintenance(at time: Date) -> HealthChange? {
        guard state == .maintenance else { return nil }
        state = .up
        maintenanceSince = nil
        nextDueAt = nil
        return .maintenanceEnded
    }

    /// Whether the channel should be probed at `time`, allowing cron's start-time jitter.
    public func isDue(at time: Date, schedule: Schedule) -> Bool {
        guard let nextDueAt else { return true }
        // The clock went back (an NTP step, a restored VM): a due time more than one interval ahead
        // would leave a gap without probes, so the channel is due at once.
        if nextDueAt.timeIntervalSince(time) > interval(schedule).timeInterval { return true }
        // A cron run a minute later may start a few hundred ms "early" relative to the
        // previous probe; without slack such a channel would skip a whole run.
        let slack = min(5, interval(schedule).timeInterval / 10)
        if time >= nextDueAt.addingTimeInterval(-slack) { return true }
        // A tighter schedule (a sale began) brings the next probe forward.
        guard let lastProbeAt else { return false }
        return time >= lastProbeAt.addingTimeInterval(interval(schedule).timeInterval - slack)
    }

    /// When the channel is next due under a schedule: the stored time, or sooner if the schedule is tighter now.
    public func nextDue(under schedule: Schedule) -> Date? {
        guard let nextDueAt else { return nil }
        guard let lastProbeAt else { return nextDueAt }
        return min(nextDueAt, lastProbeAt.addingTimeInterval(interval(schedule).timeInterval))
    }
}
