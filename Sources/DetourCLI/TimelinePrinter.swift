import DetourCore
import Foundation

/// Turns engine events into the readable timeline shown by tick, watch, failover, restore and demo.
struct TimelinePrinter: Sendable {
    let console: Console
    let names: [String: String]
    let schedules: [String: Schedule]
    /// Each channel's `recovery.settle`.
    let settles: [String: Duration]
    let timeZone: TimeZone
    /// Also print rounds where nothing changed.
    var verbose = false

    init(console: Console, workspace: Workspace, verbose: Bool = false) {
        self.console = console
        names = Dictionary(uniqueKeysWithValues: workspace.channels.map { ($0.id, $0.name) })
        schedules = Dictionary(uniqueKeysWithValues: workspace.channels.map { ($0.id, $0.schedule) })
        settles = Dictionary(uniqueKeysWithValues: workspace.channels.map { ($0.id, $0.settle) })
        timeZone = workspace.settings.timeZone
        self.verbose = verbose
    }

    /// Prints one event.
    func handle(_ event: EngineEvent) {
        switch event {
        case .probed(let verdict, let time):
            // Failures are told through the health changes they cause; every probe only when verbose.
            guard verbose else { return }
            for result in verdict.results {
                line(time, "\(name(verdict.channel)): probe \(result.passed ? "ok" : "failed") — \(result.summary)")
            }
        case .sending(let step, _, let request):
            console.out("           → \(step)  \(request.display)")
        case .answered:
            break
        case .journaled(let record):
            describe(record)
        }
    }

    private func describe(_ record: JournalRecord) {
        switch record.event {
        case .channelHealth(let event):
            let failAfter = schedules[event.channel]?.failAfter ?? 0
            let evidence = event.evidence.map { " — \($0)" } ?? ""
            let text: String
            switch event.change {
            case .suspected?: text = "suspect: failure 1 of \(failAfter)\(evidence)"
            case .cleared?: text = "up again (a blip; nothing posted)"
            case .wentDown?: text = "DOWN: outage confirmed after \(event.health.consecutiveFailures) failures\(evidence)"
            case .recovering?: text = "answering again; confirming recovery"
            case .relapsed?: text = "failed again while recovering\(evidence)"
            case .recovered?: text = "UP: recovery confirmed"
            case .degraded?: text = "degraded: answering, but slowly\(evidence)"
            case .undegraded?: text = "fast again"
            case .maintenanceStarted?: text = "planned maintenance started\(evidence) (no incident, not counted as lost sales)"
            case .maintenanceEnded?: text = "planned maintenance ended; probing again"
            case .restored?: text = "restored by an operator; health starts afresh"
            case nil:
                // Only confirmation progress is worth a line; a channel known to be down stays quiet.
                guard event.health.state == .suspect else { return }
                text = "suspect: failure \(event.health.consecutiveFailures) of \(failAfter)\(evidence)"
            }
            line(record.ts, "\(name(event.channel)): \(text)")
        case .incidentOpened(let event):
            let who = event.trigger == .manual ? " by \(event.by ?? "operator")" : ""
            line(record.ts, "incident \(event.incident) opened\(who)\(event.follows.map { " (follows \($0))" } ?? ""): \(event.reason)")
        case .stepStarted:
            break
        case .stepFinished(let event):
            let status = event.status.map { "\($0) " } ?? ""
            let error = (event.error ?? event.note).map { ": \($0)" } ?? ""
            console.out("           ← \(event.step)  \(status)\(event.outcome.rawValue) (\(event.durationMs) ms)\(error)")
        case .monitorOffline(let event):
            line(record.ts, "MONITOR OFFLINE: every channel and canary failed; no playbook runs\(event.evidence.map { " — \($0)" } ?? "")")
        case .monitorOnline:
            line(record.ts, "monitor online again")
        case .incidentMitigated(let event):
            line(record.ts, "incident \(event.incident) mitigated: every failover step done")
        case .incidentRecovering(let event):
            let who = event.trigger == .manual ? " (restored by \(event.by ?? "operator"))" : ""
            if event.trigger == .manual {
                line(record.ts, "incident \(event.incident): restored\(who)\(event.forced == true ? " while still failing" : ""); undoing and announcing")
            } else {
                // Incident ids start with their channel's id.
                let settle = settles.filter { event.incident.hasPrefix($0.key + "-") }.max { $0.key.count < $1.key.count }?.value ?? .zero
                let when = clock(event.recoveredAt.addingTimeInterval(settle.timeInterval))
                line(record.ts, "incident \(event.incident): channel back; undo and recovery notices at \(when) if it stays up (recovery.settle)")
            }
        case .incidentResolved(let event):
            line(record.ts, "incident \(event.incident) resolved")
        case .channelHeld(let event):
            line(record.ts, "\(name(event.channel)): held by \(event.by)\(event.reason.map { ": \($0)" } ?? "")")
        case .channelReleased(let event):
            line(record.ts, "\(name(event.channel)): released by \(event.by)")
        case .incidentApproved(let event):
            line(record.ts, "incident \(event.incident) approved \(event.automatic ? "automatically (autoAfter passed)" : "by \(event.by ?? "operator")")")
        case .incidentRelapsed(let event):
            line(record.ts, "incident \(event.incident): failed again before the recovery settled; the same outage goes on (nothing posted)")
        case .stepRetried(let event):
            line(record.ts, "incident \(event.incident): \(event.step) sent again by \(event.by)")
        case .workspaceInvalid(let event):
            line(
                record.ts,
                "WORKSPACE INVALID: \(event.errors) error\(event.errors == 1 ? "" : "s") in \(event.files.joined(separator: ", ")); running on the last good copy"
            )
        case .workspaceValid:
            line(record.ts, "workspace valid again")
        case .incidentPaged(let event):
            line(record.ts, "incident \(event.incident): paging \(event.name) (\(event.target), level \(event.level)) by \(event.via.joined(separator: ", "))")
        case .incidentAcknowledged(let event):
            line(record.ts, "incident \(event.incident) acknowledged by \(event.by); escalation stops")
        case .channelCheckin(let event):
            line(record.ts, "\(name(event.channel)): checked in (\(event.via))")
        }
    }

    private func name(_ channel: String) -> String { names[channel] ?? channel }

    private func line(_ time: Date, _ text: String) {
        console.out("\(clock(time))  \(text)")
    }

    /// `HH:mm:ss` in the workspace's time zone.
    func clock(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }
}
