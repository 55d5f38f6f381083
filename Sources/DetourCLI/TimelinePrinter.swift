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
    /// The language of the lines.
    let l10n: Localizer

    init(console: Console, workspace: Workspace, verbose: Bool = false, l10n: Localizer = .english) {
        self.console = console
        self.l10n = l10n
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
                let outcome = result.passed ? l10n.text("timeline.probe-ok") : l10n.text("timeline.probe-failed")
                line(time, "\(name(verdict.channel)): \(outcome) — \(result.summary)")
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
            case .suspected?: text = l10n.text("timeline.suspect", ["count": "1", "of": "\(failAfter)", "evidence": evidence])
            case .cleared?: text = l10n.text("timeline.cleared")
            case .wentDown?: text = l10n.text("timeline.down", ["count": "\(event.health.consecutiveFailures)", "evidence": evidence])
            case .recovering?: text = l10n.text("timeline.recovering")
            case .relapsed?: text = l10n.text("timeline.relapsed-health", ["evidence": evidence])
            case .recovered?: text = l10n.text("timeline.up")
            case .degraded?: text = l10n.text("timeline.degraded", ["evidence": evidence])
            case .undegraded?: text = l10n.text("timeline.undegraded")
            case .maintenanceStarted?: text = l10n.text("timeline.maintenance-started", ["evidence": evidence])
            case .maintenanceEnded?: text = l10n.text("timeline.maintenance-ended")
            case .restored?: text = l10n.text("timeline.restored-health")
            case nil:
                // Only confirmation progress is worth a line; a channel known to be down stays quiet.
                guard event.health.state == .suspect else { return }
                text = l10n.text(
                    "timeline.suspect", ["count": "\(event.health.consecutiveFailures)", "of": "\(failAfter)", "evidence": evidence])
            }
            line(record.ts, "\(name(event.channel)): \(text)")
        case .incidentOpened(let event):
            let who = event.trigger == .manual ? l10n.text("timeline.by", ["by": event.by ?? l10n.text("timeline.operator")]) : ""
            let follows = event.follows.map { l10n.text("timeline.follows", ["incident": $0]) } ?? ""
            line(record.ts, l10n.text("timeline.opened", ["incident": event.incident, "by": who, "follows": follows, "reason": event.reason]))
        case .stepStarted:
            break
        case .stepFinished(let event):
            let status = event.status.map { "\($0) " } ?? ""
            let error = (event.error ?? event.note).map { ": \($0)" } ?? ""
            console.out("           ← \(event.step)  \(status)\(l10n.outcome(event.outcome)) (\(event.durationMs) ms)\(error)")
        case .monitorOffline(let event):
            line(record.ts, l10n.text("timeline.monitor-offline", ["evidence": event.evidence.map { " — \($0)" } ?? ""]))
        case .monitorOnline:
            line(record.ts, l10n.text("timeline.monitor-online"))
        case .incidentMitigated(let event):
            line(record.ts, l10n.text("timeline.mitigated", ["incident": event.incident]))
        case .incidentRecovering(let event):
            if event.trigger == .manual {
                let who = l10n.text("timeline.restored-by", ["by": event.by ?? l10n.text("timeline.operator")])
                let forced = event.forced == true ? l10n.text("timeline.still-failing") : ""
                line(record.ts, l10n.text("timeline.restored", ["incident": event.incident, "by": who, "forced": forced]))
            } else {
                // Incident ids start with their channel's id.
                let settle = settles.filter { event.incident.hasPrefix($0.key + "-") }.max { $0.key.count < $1.key.count }?.value ?? .zero
                let when = clock(event.recoveredAt.addingTimeInterval(settle.timeInterval))
                line(record.ts, l10n.text("timeline.channel-back", ["incident": event.incident, "time": when]))
            }
        case .incidentResolved(let event):
            line(record.ts, l10n.text("timeline.resolved", ["incident": event.incident]))
        case .channelHeld(let event):
            let reason = event.reason.map { l10n.text("status.reason", ["reason": $0]) } ?? ""
            line(record.ts, l10n.text("timeline.held", ["channel": name(event.channel), "by": event.by, "reason": reason]))
        case .channelReleased(let event):
            line(record.ts, l10n.text("timeline.released", ["channel": name(event.channel), "by": event.by]))
        case .incidentApproved(let event):
            if event.automatic {
                line(record.ts, l10n.text("timeline.approved-automatically", ["incident": event.incident]))
            } else {
                line(record.ts, l10n.text("timeline.approved", ["incident": event.incident, "by": event.by ?? l10n.text("timeline.operator")]))
            }
        case .incidentRelapsed(let event):
            line(record.ts, l10n.text("timeline.relapsed", ["incident": event.incident]))
        case .stepRetried(let event):
            line(record.ts, l10n.text("timeline.retried", ["incident": event.incident, "step": event.step, "by": event.by]))
        case .workspaceInvalid(let event):
            let errors =
                event.errors == 1 ? l10n.text("check.count.error") : l10n.text("check.count.errors", ["count": "\(event.errors)"])
            line(record.ts, l10n.text("timeline.workspace-invalid", ["errors": errors, "files": event.files.joined(separator: ", ")]))
        case .workspaceValid:
            line(record.ts, l10n.text("timeline.workspace-valid"))
        case .incidentPaged(let event):
            line(
                record.ts,
                l10n.text(
                    "timeline.paged",
                    [
                        "incident": event.incident, "name": event.name, "target": event.target, "level": "\(event.level)",
                        "via": event.via.joined(separator: ", "),
                    ]))
        case .incidentAcknowledged(let event):
            line(record.ts, l10n.text("timeline.acknowledged", ["incident": event.incident, "by": event.by]))
        case .channelCheckin(let event):
            line(record.ts, l10n.text("timeline.checked-in", ["channel": name(event.channel), "via": event.via]))
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
