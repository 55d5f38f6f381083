import Foundation

/// Everything Detour knows, rebuilt by folding journal records.
///
/// An index kept by `apply` (incidents by id, unresolved incidents, each channel's incidents)
/// makes the lookups a pass does cost the same over a year of resolved incidents as over none.
public struct DetourState: Sendable, Codable, Equatable {
    /// Health per channel id.
    public var channels: [String: ChannelHealth] = [:]
    /// Every incident, oldest first; changed only by `apply`, which keeps the index.
    public private(set) var incidents: [Incident] = []
    /// How many bytes of `journalSegment` this state reflects (with every segment before it).
    public var journalOffset: Int = 0
    /// The journal segment `journalOffset` counts in (`journal/2026-11.jsonl`); nil in snapshots
    /// written before the journal had segments, whose offset counts in `journal.jsonl`.
    public var journalSegment: String?
    /// Channels whose automation an operator paused, with the hold.
    public var holds: [String: ChannelHeld] = [:]
    /// Since when the monitor's own network has been down, if it is.
    public var monitorOfflineSince: Date?
    /// The last public message per channel and provider (`rakuten line`): what customers last heard.
    public var lastNotices: [String: LastNotice] = [:]
    /// The errors the workspace has, as last journaled; nil while it is valid.
    public var workspaceInvalid: WorkspaceInvalid?
    /// The last check-in of each heartbeat channel.
    public var checkins: [String: Date] = [:]
    /// Derived from `incidents`; never saved.
    private var index = IncidentIndex()

    /// An empty state.
    public init() {}

    /// A state holding only these incidents (a report or summary of one incident), indexed.
    public init(incidents: [Incident]) {
        self.incidents = incidents
        for (position, incident) in incidents.enumerated() { index.add(incident, at: position) }
    }

    /// The place in the journal this state reflects.
    public var journalPosition: JournalPosition {
        get { JournalPosition(segment: journalSegment ?? JournalPosition.legacySegment, offset: journalOffset) }
        set {
            journalSegment = newValue.segment
            journalOffset = newValue.offset
        }
    }

    /// The unresolved incidents (outages and playbook runs), oldest first.
    public var unresolvedIncidents: [Incident] { index.unresolved.map { incidents[$0] } }

    /// The unresolved outage incident of a channel, if any (scheduled runs are not outages).
    public func openIncident(for channel: String) -> Incident? {
        index.unresolved.reversed().lazy.map { incidents[$0] }.first { $0.channel == channel && $0.isOutage }
    }

    /// The latest outage incident of a channel, resolved or not.
    public func lastOutage(of channel: String) -> Incident? { index.lastOutage[channel].map { incidents[$0] } }

    /// Whether probes already opened an incident for the outage of a channel that began at `firstFailureAt`.
    public func hasProbeIncident(channel: String, firstFailureAt: Date?) -> Bool {
        index.probeOutages.contains(ProbeOutageKey(channel: channel, firstFailureAt: firstFailureAt))
    }

    /// The latest incident of a channel that satisfies `condition`, looking at recent ones first.
    public func lastIncident(of channel: String, where condition: (Incident) -> Bool) -> Incident? {
        index.byChannel[channel]?.reversed().lazy.map { incidents[$0] }.first(where: condition)
    }

    /// The hold in force on a channel at a time, if any.
    public func hold(on channel: String, at time: Date) -> ChannelHeld? {
        guard let hold = holds[channel], hold.until.map({ $0 > time }) ?? true else { return nil }
        return hold
    }

    /// An incident by id (the latest, if an id was ever used twice).
    public func incident(_ id: String) -> Incident? { index.byID[id].map { incidents[$0] } }

    /// What customers last heard about a channel on a provider.
    public func lastNotice(channel: String, provider: String) -> LastNotice? { lastNotices["\(channel) \(provider)"] }

    /// Applies one record. Pure: the same records always give the same state.
    public mutating func apply(_ record: JournalRecord) {
        switch record.event {
        case .channelHealth(let event):
            channels[event.channel] = event.health
        case .incidentOpened(let event):
            incidents.append(
                Incident(
                    id: event.incident, channel: event.channel, trigger: event.trigger, by: event.by, reason: event.reason,
                    openedAt: record.ts, firstFailureAt: event.firstFailureAt, lastSuccessAt: event.lastSuccessAt, playbook: event.playbook,
                    follows: event.follows, quiet: event.quiet ?? false, revenuePerHour: event.revenuePerHour, saleMultiplier: event.saleMultiplier,
                    sales: event.sales))
            index.add(incidents[incidents.count - 1], at: incidents.count - 1)
        case .stepStarted(let event):
            update(event.incident) { incident in
                var step = incident.steps[event.step] ?? StepRecord(phase: event.phase, idempotencyKey: event.idempotencyKey)
                step.attemptsStarted = max(step.attemptsStarted, event.attempt)
                incident.steps[event.step] = step
            }
        case .stepFinished(let event):
            update(event.incident) { incident in
                var step = incident.steps[event.step] ?? StepRecord(phase: event.phase, idempotencyKey: "")
                step.attemptsStarted = max(step.attemptsStarted, event.attempt)
                step.attemptsFinished = max(step.attemptsFinished, event.attempt)
                step.outcome = event.outcome
                step.status = event.status
                step.error = event.error
                step.retryAt = event.retryAt
                step.note = event.note
                if event.outcome == .progressed { step.progressCount += 1 }
                for (key, value) in event.outputs ?? [:] { step.outputs[key] = value }
                step.holds = event.holds ?? step.holds
                step.heldFrom = event.heldFrom ?? step.heldFrom
                step.notice = event.notice ?? step.notice
                if event.notice != nil { step.noticeAt = record.ts }
                incident.steps[event.step] = step
            }
            if let notice = event.notice, let channel = incident(event.incident)?.channel {
                lastNotices["\(channel) \(notice.provider)"] = LastNotice(kind: notice.kind, incident: event.incident, at: record.ts)
            }
        case .incidentMitigated(let event):
            update(event.incident) { $0.mitigatedAt = $0.mitigatedAt ?? record.ts }
        case .incidentRecovering(let event):
            update(event.incident) {
                $0.recoveringAt = $0.recoveringAt ?? event.recoveredAt
                $0.restoredBy = event.by
                $0.forcedRestore = event.forced ?? false
            }
        case .incidentResolved(let event):
            update(event.incident) { $0.resolvedAt = $0.resolvedAt ?? record.ts }
            if let position = index.byID[event.incident] { index.resolve(position) }
        case .channelHeld(let event):
            holds[event.channel] = event
        case .channelReleased(let event):
            holds[event.channel] = nil
        case .incidentApproved(let event):
            update(event.incident) {
                $0.approvedAt = $0.approvedAt ?? record.ts
                $0.approvedBy = event.by
            }
        case .monitorOffline:
            monitorOfflineSince = monitorOfflineSince ?? record.ts
        case .monitorOnline:
            monitorOfflineSince = nil
        case .incidentRelapsed(let event):
            update(event.incident) {
                $0.recoveringAt = nil
                $0.relapses += 1
            }
        case .stepRetried(let event):
            update(event.incident) { incident in
                guard var step = incident.steps[event.step] else { return }
                step.outcome = .retryable
                step.retryAt = nil
                step.error = nil
                step.retryBase = step.attemptsStarted - step.progressCount
                incident.steps[event.step] = step
            }
        case .workspaceInvalid(let event):
            workspaceInvalid = event
        case .workspaceValid:
            workspaceInvalid = nil
        case .incidentPaged(let event):
            update(event.incident) { incident in
                let page = PageRecord(
                    step: event.step, level: event.level, person: event.person, name: event.name, target: event.target, via: event.via, at: record.ts)
                // One record per level: a repeated line (a journal replayed twice) changes nothing.
                guard !(incident.pages ?? []).contains(where: { $0.step == page.step && $0.level == page.level }) else { return }
                incident.pages = (incident.pages ?? []) + [page]
            }
        case .channelCheckin(let event):
            checkins[event.channel] = max(checkins[event.channel] ?? record.ts, record.ts)
        case .incidentAcknowledged(let event):
            update(event.incident) {
                guard $0.acknowledgedAt == nil else { return }
                $0.acknowledgedAt = record.ts
                $0.acknowledgedBy = event.by
            }
        }
    }

    private mutating func update(_ id: String, _ change: (inout Incident) -> Void) {
        guard let position = index.byID[id] else { return }
        // A change to a resolved incident is a change to the history the snapshot keeps apart.
        if incidents[position].resolvedAt != nil { index.historyRevision += 1 }
        change(&incidents[position])
    }

    /// Counts changes to resolved incidents, so a store knows when the history it keeps apart changed.
    var historyRevision: Int { index.historyRevision }

    /// How many incidents from the start are resolved: the history a snapshot keeps in its own file.
    var resolvedPrefix: Int { index.unresolved.first ?? incidents.count }

    /// Puts the incidents kept apart back before the snapshot's own.
    mutating func prepend(_ history: [Incident]) {
        incidents = history + incidents
        index = IncidentIndex()
        for (position, incident) in incidents.enumerated() { index.add(incident, at: position) }
    }

    private enum CodingKeys: String, CodingKey {
        case channels, incidents, journalOffset, journalSegment, holds, monitorOfflineSince, lastNotices, workspaceInvalid, history, checkins
    }

    /// Reads a snapshot and builds the index from its incidents.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        channels = try container.decode([String: ChannelHealth].self, forKey: .channels)
        incidents = try container.decode([Incident].self, forKey: .incidents)
        journalOffset = try container.decode(Int.self, forKey: .journalOffset)
        journalSegment = try container.decodeIfPresent(String.self, forKey: .journalSegment)
        holds = try container.decode([String: ChannelHeld].self, forKey: .holds)
        monitorOfflineSince = try container.decodeIfPresent(Date.self, forKey: .monitorOfflineSince)
        lastNotices = try container.decode([String: LastNotice].self, forKey: .lastNotices)
        workspaceInvalid = try container.decodeIfPresent(WorkspaceInvalid.self, forKey: .workspaceInvalid)
        checkins = try container.decodeIfPresent([String: Date].self, forKey: .checkins) ?? [:]
        for (position, incident) in incidents.enumerated() { index.add(incident, at: position) }
    }

    /// Writes a snapshot (without the index).
    public func encode(to encoder: any Encoder) throws { try encode(to: encoder, history: nil) }

    /// Writes a snapshot whose first `history.count` incidents are kept in another file, named by `history`.
    func encode(to encoder: any Encoder, history: HistoryMark?) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(channels, forKey: .channels)
        let current: ArraySlice<Incident> = incidents.dropFirst(history?.count ?? 0)
        try container.encode(Array(current), forKey: .incidents)
        try container.encodeIfPresent(history, forKey: .history)
        try container.encode(journalOffset, forKey: .journalOffset)
        try container.encodeIfPresent(journalSegment, forKey: .journalSegment)
        try container.encode(holds, forKey: .holds)
        try container.encodeIfPresent(monitorOfflineSince, forKey: .monitorOfflineSince)
        try container.encode(lastNotices, forKey: .lastNotices)
        try container.encodeIfPresent(workspaceInvalid, forKey: .workspaceInvalid)
        if !checkins.isEmpty { try container.encode(checkins, forKey: .checkins) }
    }
}

/// Where a snapshot's resolved history is: how many incidents, the last one's id, and its file.
struct HistoryMark: Codable, Equatable {
    /// How many incidents from the start.
    var count: Int
    /// The last of them.
    var last: String

    /// The file in the state folder (`history-00000070.json`): a new name for each new count, so
    /// a run killed between writing it and the snapshot leaves the old pair intact.
    var file: String { String(format: "history-%08d.json", count) }
}

/// A snapshot's resolved history, in its own file.
struct HistoryFile: Codable {
    /// Which history it is.
    var mark: HistoryMark
    /// The incidents.
    var incidents: [Incident]
}

/// A place in the journal: a segment, and a byte offset in it at the start of a line.
public struct JournalPosition: Sendable, Equatable, CustomStringConvertible {
    /// The segment's path in the state folder (`journal/2026-11.jsonl`).
    public var segment: String
    /// Bytes of the segment before this place.
    public var offset: Int

    /// The single journal of state folders written before segments: read as the first segment.
    public static let legacySegment = "journal.jsonl"

    /// Creates a position.
    public init(segment: String, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    /// `journal/2026-11.jsonl byte 1234`.
    public var description: String { "\(segment) byte \(offset)" }
}

/// An outage probes opened, identified by its channel and first failure.
struct ProbeOutageKey: Hashable {
    var channel: String
    var firstFailureAt: Date?
}

/// Where incidents are in `DetourState.incidents`, kept by `apply`.
private struct IncidentIndex: Sendable, Equatable {
    /// The latest incident with each id.
    var byID: [String: Int] = [:]
    /// Unresolved incidents, oldest first.
    var unresolved: [Int] = []
    /// Each channel's incidents, oldest first.
    var byChannel: [String: [Int]] = [:]
    /// Each channel's latest outage.
    var lastOutage: [String: Int] = [:]
    /// Outages probes opened.
    var probeOutages: Set<ProbeOutageKey> = []

    mutating func add(_ incident: Incident, at position: Int) {
        byID[incident.id] = position
        if incident.resolvedAt == nil { unresolved.append(position) }
        byChannel[incident.channel, default: []].append(position)
        if incident.isOutage { lastOutage[incident.channel] = position }
        if incident.trigger == .probe { probeOutages.insert(ProbeOutageKey(channel: incident.channel, firstFailureAt: incident.firstFailureAt)) }
    }

    /// Changes to resolved incidents so far.
    var historyRevision = 0

    mutating func resolve(_ position: Int) {
        if let found = unresolved.lastIndex(of: position) { unresolved.remove(at: found) }
    }

    // Derived from the incidents, so it never makes two states differ.
    static func == (lhs: Self, rhs: Self) -> Bool { true }
}

extension DetourState {
    /// Every shared effect held now (`holds`), with the open incidents holding it, in the order they took it.
    public func heldEffects() -> [(effect: String, holders: [Incident])] {
        var order: [String] = []
        var holders: [String: [Incident]] = [:]
        for incident in unresolvedIncidents {
            for (key, record) in incident.steps.sorted(by: { $0.key < $1.key })
            where record.outcome == .succeeded && !(incident.steps[key + "/undo"]?.isSettled ?? false) {
                guard let effect = record.holds else { continue }
                if holders[effect] == nil { order.append(effect) }
                if holders[effect]?.contains(where: { $0.id == incident.id }) != true { holders[effect, default: []].append(incident) }
            }
        }
        return order.map { ($0, holders[$0] ?? []) }
    }
}
