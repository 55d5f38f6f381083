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
    public init?(incident id: String, records: [JournalRecord], timeZone: TimeZone) {
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
                let counts = "failures \(health.consecutiveFailures), successes \(health.consecutiveSuccesses)"
                if let evidence = event.evidence {
                    entries.append(Entry(time: record.ts, kind: .probe, text: "probe failed: \(evidence)"))
                }
                if let change = event.change {
                    entries.append(Entry(time: record.ts, kind: .state, text: "health \(health.state.rawValue) (\(change.rawValue); \(counts))"))
                } else if event.evidence == nil {
                    entries.append(Entry(time: record.ts, kind: .state, text: "health \(health.state.rawValue) (\(counts))"))
                }
            case .incidentOpened(let event) where event.incident == id:
                if event.trigger == .manual {
                    entries.append(Entry(time: record.ts, kind: .manual, text: "failover by \(event.by ?? "an operator"): \(event.reason)"))
                } else {
                    entries.append(Entry(time: record.ts, kind: .incident, text: "incident opened: \(event.reason)"))
                }
            case .stepStarted(let event) where event.incident == id:
                entries.append(
                    Entry(
                        time: record.ts, kind: .request,
                        text: "→ \(event.step) [\(event.phase.rawValue)] attempt \(event.attempt), key \(event.idempotencyKey): \(event.request)"))
            case .stepFinished(let event) where event.incident == id:
                let status = event.status.map { " \($0)" } ?? ""
                let error = event.error.map { " — \($0)" } ?? ""
                let note = event.note.map { " — \($0)" } ?? ""
                entries.append(
                    Entry(
                        time: record.ts, kind: .answer,
                        text: "← \(event.step) attempt \(event.attempt): \(event.outcome.rawValue)\(status) in \(event.durationMs) ms\(error)\(note)"))
            case .incidentApproved(let event) where event.incident == id:
                let who = event.automatic ? "automatically (autoAfter passed)" : "by \(event.by ?? "an operator")"
                entries.append(Entry(time: record.ts, kind: .manual, text: "approved \(who)"))
            case .channelHeld(let event) where event.channel == incident.channel && record.ts >= start && record.ts <= end:
                let reason = event.reason.map { ": \($0)" } ?? ""
                entries.append(Entry(time: record.ts, kind: .manual, text: "channel held by \(event.by)\(reason)"))
            case .channelReleased(let event) where event.channel == incident.channel && record.ts >= start && record.ts <= end:
                entries.append(Entry(time: record.ts, kind: .manual, text: "channel released by \(event.by)"))
            case .monitorOffline(let event) where record.ts >= start && record.ts <= end:
                entries.append(
                    Entry(time: record.ts, kind: .state, text: "monitor offline: every channel and canary failed\(event.evidence.map { " — \($0)" } ?? "")"))
            case .monitorOnline where record.ts >= start && record.ts <= end:
                entries.append(Entry(time: record.ts, kind: .state, text: "monitor online again"))
            case .incidentMitigated(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .incident, text: "mitigated: every failover step done"))
            case .incidentRecovering(let event) where event.incident == id:
                if event.trigger == .manual {
                    let reason = event.reason.map { ": \($0)" } ?? ""
                    entries.append(Entry(time: record.ts, kind: .manual, text: "restore by \(event.by ?? "an operator")\(reason)"))
                } else {
                    entries.append(
                        Entry(
                            time: record.ts, kind: .incident,
                            text: "channel answering again since \(LocalTime.iso8601(event.recoveredAt, in: timeZone)); undo and recovery steps"))
                }
            case .incidentPaged(let event) where event.incident == id:
                entries.append(
                    Entry(
                        time: record.ts, kind: .incident,
                        text: "paged \(event.name) (\(event.target), level \(event.level)) by \(event.via.joined(separator: ", "))"))
            case .incidentAcknowledged(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .manual, text: "acknowledged by \(event.by)"))
            case .channelCheckin(let event):
                // A heartbeat channel's job checking in is what ends its outage.
                guard event.channel == incident.channel, record.ts >= start, record.ts <= end else { continue }
                entries.append(Entry(time: record.ts, kind: .state, text: "checked in (\(event.via))"))
            case .incidentResolved(let event) where event.incident == id:
                entries.append(Entry(time: record.ts, kind: .incident, text: "resolved"))
            default:
                continue
            }
        }
        self.entries = entries
    }
}
