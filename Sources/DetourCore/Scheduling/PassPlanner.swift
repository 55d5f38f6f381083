import Foundation

/// What a pass probes and fires, and when the next one has work: pure, from the workspace, the
/// state and the time.
struct PassPlanner {
    /// The workspace.
    let workspace: Workspace
    /// The state.
    let state: DetourState

    /// How late a missed scheduled time may still run (a cron tick a little late, a restart).
    static let scheduleGrace: Duration = .seconds(300)

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        return calendar
    }

    /// Channels that may be probed at all: not heartbeat channels (their jobs check in), not held
    /// by an operator, not inside a planned window.
    func probeable(at now: Date) -> [Channel] {
        workspace.channels.filter { channel in
            channel.heartbeat == nil && state.hold(on: channel.id, at: now) == nil && (state.channels[channel.id]?.state ?? .up) != .maintenance
        }
    }

    /// Channels due for a probe now.
    func due(at now: Date) -> [Channel] {
        probeable(at: now).filter { channel in
            (state.channels[channel.id] ?? ChannelHealth()).isDue(at: now, schedule: workspace.schedule(for: channel, at: now))
        }
    }

    /// `incident.opened` for each `schedule` playbook whose time has come, once per time and channel.
    func scheduleFires(at now: Date, stamp: (Date) -> String) -> [JournalEvent] {
        var events: [JournalEvent] = []
        for playbook in workspace.playbooks where playbook.event == .schedule {
            guard let cron = playbook.cron, let time = cron.latest(atOrBefore: now, within: Self.scheduleGrace, in: calendar) else { continue }
            for channel in workspace.channels where playbook.channels.matches(channel.id) {
                // The id is derived from the playbook, channel and time, so a time fires once however many passes see it.
                let id = "\(playbook.id)-\(channel.id)-\(stamp(time))"
                guard state.incident(id) == nil else { continue }
                events.append(
                    .incidentOpened(
                        IncidentOpened(
                            incident: id, channel: channel.id, trigger: .schedule, by: nil, reason: "scheduled (\(cron))", firstFailureAt: nil,
                            lastSuccessAt: nil, playbook: playbook.id)))
            }
        }
        return events
    }

    /// When the next pass has work: the earliest due channel or check-in deadline, a step's wait, a hold's end, a cron
    /// time, a sale or a planned window starting.
    func nextWakeUp(at now: Date, stepsWake: Date?) -> Date {
        let dues = workspace.channels.filter { state.hold(on: $0.id, at: now) == nil }.map { channel in
            // A channel in a planned window is not probed: its next work is the window's end.
            if state.channels[channel.id]?.state == .maintenance, let window = workspace.maintenanceWindow(for: channel, at: now) {
                return window.to
            }
            // A heartbeat channel's next work is its check-in deadline (or the next look while it is late).
            if channel.heartbeat != nil { return state.channels[channel.id]?.nextDueAt ?? .distantPast }
            return state.channels[channel.id]?.nextDue(under: workspace.schedule(for: channel, at: now)) ?? .distantPast
        }
        // A sale with tighter intervals starting is work too: the first probe at its new pace.
        let saleStarts = workspace.channels.filter { $0.schedule.duringSales != nil }.compactMap {
            workspace.settings.calendar.nextSaleStart(channel: $0.id, after: now)
        }
        let holdEnds = state.holds.values.compactMap(\.until).filter { $0 > now }
        let fires = workspace.playbooks.compactMap { $0.cron?.next(after: now, in: calendar) }
        // A planned window starts on time: its playbooks run and probing pauses at that moment.
        let windowStarts = [workspace.nextMaintenanceStart(after: now)].compactMap { $0 }
        return (dues + [stepsWake].compactMap { $0 } + holdEnds + fires + saleStarts + windowStarts).min() ?? now.addingTimeInterval(60)
    }
}
