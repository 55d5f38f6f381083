import Foundation

/// Everything the journal says about one incident, in order: probe evidence, health changes,
/// steps with every attempt and answer, manual actions.
public struct IncidentTimeline: Sendable {
    /// What sort of entry, for grouping and colour.
    public enum Kind: String, Sendable {
        /// A failing probe round's evidence.
        case probe
        /// A health state change.
        case state
        /// The incident opened, was mitigated, recovered or resolved.
        case incident
        /// A step request about to be sent.
        case request
        /// A step attempt's answer.
        case answer
        /// Something an operator did.
        case manual
    }

    /// One line of the timeline.
    public struct Entry: Sendable, Equatable {
        /// When.
        public var time: Date
        /// What sort.
        public var kind: Kind
        /// What happened, for people.
        public var text: String
    }

    /// The incident as folded from the journal.
    public var incident: Incident
    /// Its entries, oldest first.
    public var entries: [Entry]

    /// Picks the incident's records (and its channel's health records during the outage) from the journal.
    ///
    /// The entries read in `l10n`'s language; what the journal holds as written (reasons, requests,
    /// answers, evidence, states and outcomes as JSON spells them) stays as written.
    public init?(incident id: String, records: [JournalRecord], timeZone: TimeZone, l10n: Localizer = .english) {
        var state = DetourState()
        for record in records { state.apply(record) }
        guard let incident = state.incident(id) else { return nil }
        self.incident = incident
        let start = incident.lastSuccessAt ?? incident.firstFailureAt ?? incident.openedAt
        let end = incident.resolvedAt ?? .distantFuture
        var entries: [Entry] = []
        for record in records {
            switch record.event {
            case .channelHealth(let event):
                guard event.channel == incident.channel, record.ts >= start, record.ts <= end else { continue }
                let health = event.health
                let counts = l10n.text(
                    "timeline-entry.counts", ["failures": "\(health.consecutiveFailures)", "successes": "\(health.consecutiveSuccesses)"])
                if let evidence = event.evidence {
                    entries.append(Entry(time: record.ts, kind: .probe, text: l10n.text("timeline-entry.probe-failed", ["evidence": evidence])))
                }
                if let change = event.change {
                    entries.append(
                        Entry(
                            time: record.ts, kind: .state,
                            text: l10n.text("timeline-entry.health-change", ["state": health.state.rawValue, "change": change.rawValue, "counts": counts])))
                } else if event.evidence == nil {
                    entries.append(
                        Entry(time: record.ts, kind: .state, text: l10n.text("timeline-entry.health", ["state": health.state.rawValue, "counts": counts])))
                }
            case .incidentOpened(let event) where event.incident == id:
                if event.trigger == .manual {
                    entries.append(
                        Entry(
                            time: record.ts, kind: .manual,
                            text: l10n.text("timeline-entry.failover", ["by": event.by ?? l10n.text("timeline-entry.operator"), "reason": event.reason])))
                } else {
                    entries.append(Entry(time: record.ts, kind: .incident, text: l10n.text("timeline-entry.opened", ["reason": event.reason])))
                }
            case .stepStarted(let event) where event.incident == id:
                entries.append(
                    Entry(
                        time: record.ts, kind: .request,
                        text: l10n.text(
                            "timeline-entry.request",
                            [
                                "step": event.step, "phase": event.phase.rawValue, "attempt": "\(event.attempt)", "key": event.idempotencyKey,
                                "request": event.request,
                            ])))
            case .stepFinished(let event) where event.incident == id:
                let status = event.status.map { " \($0)" } ?? ""
                let error = event.error.map { " — \($0)" } ?? ""
                let note = event.note.map { " — \($0)" } ?? ""
                entries.append(
                    Entry(
                        time: record.ts, kind: .answer,
                        text: l10n.text(
                            "timeline-entry.answer",
                            [
                                "step": event.step, "attempt": "\(event.attempt)", "outcome": event.outcome.rawValue + status,
                                "ms": "\(event.durationMs)", "details": error + note,
                            ])))
            case .incidentApproved(let event) where event.incident == id:
                let text =
                    event.automatic
                    ? l10n.text("timeline-entry.approved-automatically")
                    : l10n.text("timeline-entry.approved", ["by": event.by ?? l10n.text("timeline-entry.operator")])
                entries.append(Entry(time: record.ts, kind: .manual, text: text))
            case .channelHeld(let event) where event.channel == incident.channel && record.ts >= start && record.ts <= end:
                let reason = event.reason.map { ": \($0)" } ?? ""
                entries.append(Entry(time: record.ts, kind: .manual, text: l10n.text("timeline-entry.held", ["by": event.by, "reason": reason])))
            case .channelReleased(let event) where event.channel == incident.channel && record.ts >= start && record.ts <= end:
                entries.append(Entry(time: record.ts, kind: .manual, text: l10n.text("timeline-entry.released", ["by": event.by])))
            case .monitorOffline(let event) where record.ts >= start && record.ts <= end:
                entries.append(
                    Entry(time: record.ts, kind: .state, text: l10n.text("timeline-entry.offline", ["evidence": event.evidence.map { " — \($0)" } ?? ""])))
            case .monitorOnline where record.ts >= start && record.ts <= end:
                entries.append(Entry(time: record.ts, kind: .state, text: l10n.text("timeline-entry.online")))
            case .incidentMitigated(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .incident, text: l10n.text("timeline-entry.mitigated")))
            case .incidentRecovering(let event) where event.incident == id:
                if event.trigger == .manual {
                    let reason = event.reason.map { ": \($0)" } ?? ""
                    entries.append(
                        Entry(
                            time: record.ts, kind: .manual,
                            text: l10n.text("timeline-entry.restore", ["by": event.by ?? l10n.text("timeline-entry.operator"), "reason": reason])))
                } else {
                    entries.append(
                        Entry(
                            time: record.ts, kind: .incident,
                            text: l10n.text("timeline-entry.answering-again", ["time": LocalTime.iso8601(event.recoveredAt, in: timeZone)])))
                }
            case .incidentPaged(let event) where event.incident == id:
                entries.append(
                    Entry(
                        time: record.ts, kind: .incident,
                        text: l10n.text(
                            "timeline-entry.paged",
                            ["name": event.name, "target": event.target, "level": "\(event.level)", "via": event.via.joined(separator: ", ")])))
            case .incidentAcknowledged(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .manual, text: l10n.text("timeline-entry.acknowledged", ["by": event.by])))
            case .channelCheckin(let event):
                // A heartbeat channel's job checking in is what ends its outage.
                guard event.channel == incident.channel, record.ts >= start, record.ts <= end else { continue }
                entries.append(Entry(time: record.ts, kind: .state, text: l10n.text("timeline-entry.checked-in", ["via": event.via])))
            case .incidentResolved(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .incident, text: l10n.text("timeline-entry.resolved")))
            default:
                continue
            }
        }
        self.entries = entries
    }
}
