import Foundation

extension IncidentMachine {
    /// The records heartbeat channels lead to at a time: down when the check-in is overdue, up
    /// again once one arrived. `only` limits it to one channel (a check-in just journaled).
    ///
    /// Nothing is journaled while nothing changes: the deadline and the time of the last look are
    /// kept in the snapshot, as for a healthy probe round.
    mutating func checkinRecords(at now: Date, only: String? = nil) -> [JournalEvent] {
        var events: [JournalEvent] = []
        for channel in workspace.channels {
            guard let monitor = channel.heartbeat, only == nil || channel.id == only, state.hold(on: channel.id, at: now) == nil else { continue }
            var health = state.channels[channel.id] ?? ChannelHealth()
            guard health.state != .maintenance else { continue }
            // First seen, restored, or out of a planned window: the job gets a whole window before it counts as late.
            if health.nextDueAt == nil { health.lastSuccessAt = now }
            let checkin = state.checkins[channel.id]
            let lastSeen = max(checkin ?? .distantPast, health.lastSuccessAt ?? now)
            let deadline = lastSeen.addingTimeInterval(monitor.window.timeInterval)
            let late = now > deadline
            switch health.state {
            case .down, .recovering:
                guard !late else {
                    // Look again soon, for a check-in another process (`detour checkin`) journaled.
                    health.nextDueAt = now.addingTimeInterval(min(monitor.every.timeInterval, 60))
                    setHealth(health, for: channel.id)
                    continue
                }
                let change = health.record(success: true, at: now, schedule: monitor.schedule)
                health.lastSuccessAt = lastSeen
                health.nextDueAt = deadline
                events.append(.channelHealth(ChannelHealthChanged(channel: channel.id, health: health, change: change, evidence: nil, probes: nil)))
            case .up, .suspect, .degraded, .maintenance:
                guard late else {
                    health.nextDueAt = deadline
                    setHealth(health, for: channel.id)
                    continue
                }
                let reason = lateReason(monitor, lastSeen: lastSeen, checkedIn: checkin != nil && checkin == lastSeen, now: now)
                let change = health.record(success: false, at: now, reason: reason, schedule: monitor.schedule)
                // The outage began when the check-in was due, not when a pass noticed it.
                health.firstFailureAt = deadline
                health.lastSuccessAt = lastSeen
                health.nextDueAt = now.addingTimeInterval(min(monitor.every.timeInterval, 60))
                events.append(.channelHealth(ChannelHealthChanged(channel: channel.id, health: health, change: change, evidence: reason, probes: nil)))
            }
        }
        return events
    }

    /// `no check-in since 10:02:13 (expected every 15m, grace 5m)`, in the workspace's time zone.
    private func lateReason(_ monitor: PushMonitor, lastSeen: Date, checkedIn: Bool, now: Date) -> String {
        let zone = workspace.settings.timeZone
        // The clock alone is clear within a day; an older time needs its date.
        let time = now.timeIntervalSince(lastSeen) < 86_400 ? LocalTime.clock(lastSeen, in: zone) : LocalTime.iso8601(lastSeen, in: zone)
        return checkedIn ? "no check-in since \(time) (\(monitor.expectation))" : "no check-in since monitoring began at \(time) (\(monitor.expectation))"
    }
}
