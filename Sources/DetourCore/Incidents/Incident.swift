import Foundation

/// What an incident is doing now.
public enum IncidentStatus: String, Sendable, Codable {
    /// Failover steps are running or pending.
    case open
    /// Every failover step is done; customers are being sent elsewhere.
    case mitigated
    /// The channel is back; undo and recovery steps are running.
    case recovering
    /// All done.
    case resolved
}

/// The record of one step across its attempts.
public struct StepRecord: Sendable, Codable, Equatable {
    /// Which phase.
    public var phase: StepPhase
    /// Attempts started.
    public var attemptsStarted = 0
    /// Attempts with a `step.finished`.
    public var attemptsFinished = 0
    /// The outcome of the last finished attempt.
    public var outcome: StepOutcome?
    /// The last HTTP status.
    public var status: Int?
    /// The last error text.
    public var error: String?
    /// The key sent with every attempt.
    public var idempotencyKey: String
    /// Ids the provider returned so far.
    public var outputs: [String: String] = [:]
    /// When the next attempt may start.
    public var retryAt: Date?
    /// Calls of a multi-call action that succeeded (they do not use up attempts).
    public var progressCount = 0
    /// Why it was skipped or counts as done.
    public var note: String?
    /// The shared effect it holds, once it succeeded.
    public var holds: String?
    /// The incident whose delivered effect it joined, if it did not send its own.
    public var heldFrom: String?
    /// Attempts made before the last `detour retry` (they no longer count against `retry.attempts`).
    public var retryBase = 0
    /// The public message it delivered, if any.
    public var notice: NoticeMark?

    /// Failed attempts that count against `retry.attempts`.
    public var failuresCounted: Int { max(0, attemptsStarted - progressCount - retryBase) }

    /// Started but never finished: the process died in between, the side effect may have happened.
    public var isUncertain: Bool { attemptsStarted > attemptsFinished }

    /// Done with for good (success, permanent failure or skipped).
    public var isSettled: Bool { outcome == .succeeded || outcome == .failed || outcome == .skipped }
}

/// One outage of one channel, from detection to resolution, with every step's record.
public struct Incident: Sendable, Codable, Equatable, Identifiable {
    /// `rakuten-20261125-031500`.
    public var id: String
    /// The channel.
    public var channel: String
    /// Probes or an operator.
    public var trigger: IncidentTrigger
    /// The operator, for manual incidents.
    public var by: String?
    /// Evidence or the operator's reason.
    public var reason: String
    /// When it opened (the outage was confirmed or declared).
    public var openedAt: Date
    /// The first failed probe.
    public var firstFailureAt: Date?
    /// The last success before the outage.
    public var lastSuccessAt: Date?
    /// When every failover step was done.
    public var mitigatedAt: Date?
    /// When the channel answered again (or was restored).
    public var recoveringAt: Date?
    /// Who restored it, for manual restores.
    public var restoredBy: String?
    /// When undo and recovery finished.
    public var resolvedAt: Date?
    /// For scheduled runs: the one playbook it runs.
    public var playbook: String?
    /// Step records by step key.
    public var steps: [String: StepRecord] = [:]
    /// When the approval gate was released.
    public var approvedAt: Date?
    /// Who released it (nil: automatically).
    public var approvedBy: String?
    /// The incident this one follows (its channel was restored by force while failing).
    public var follows: String?
    /// A manual failover without public notices.
    public var quiet = false
    /// Whether an operator restored it although its probes still failed.
    public var forcedRestore = false
    /// Times the channel failed again while the recovery settled.
    public var relapses = 0
    /// When someone acknowledged the page (`detour ack`).
    public var acknowledgedAt: Date?
    /// Who acknowledged it.
    public var acknowledgedBy: String?
    /// Every level paged, in order (nil when nobody was paged).
    public var pages: [PageRecord]?

    /// Steps that failed for good: an operator should look (`detour retry`).
    public var failedSteps: [String] {
        steps.filter { $0.value.outcome == .failed }.map(\.key).sorted()
    }

    /// Whether a step failed for good and nobody retried it yet.
    public var needsAttention: Bool { steps.values.contains { $0.outcome == .failed } }
    /// The channel's revenue per hour when it opened, as journaled (nil in journals written before it was kept).
    public var revenuePerHour: Double?
    /// The sale multiplier in force when it opened, as journaled.
    public var saleMultiplier: Double?
    /// The channel's sales as the calendar had them when it opened.
    public var sales: [RecordedSale]?

    /// The current status.
    public var status: IncidentStatus {
        if resolvedAt != nil { return .resolved }
        if recoveringAt != nil { return .recovering }
        if mitigatedAt != nil { return .mitigated }
        return .open
    }

    /// Whether this is an outage (by probes or an operator), not a single playbook's run.
    public var isOutage: Bool { trigger == .probe || trigger == .manual }

    /// When sales started being lost: the first failure, or the opening for manual incidents.
    public var outageStart: Date { firstFailureAt ?? openedAt }
}

/// One level of a page, as journaled.
public struct PageRecord: Sendable, Codable, Equatable {
    /// The `page` step's key.
    public var step: String
    /// The level, from 1.
    public var level: Int
    /// The person paged.
    public var person: String
    /// Their name.
    public var name: String
    /// The rotation or person the level names.
    public var target: String
    /// The ways used.
    public var via: [String]
    /// When the level was paged.
    public var at: Date
}

extension Incident {
    /// Time to acknowledge: from the opening to the acknowledgement, if there was one.
    public var timeToAcknowledge: TimeInterval? { acknowledgedAt.map { $0.timeIntervalSince(openedAt) } }
}

/// The last public message customers got about a channel on one provider.
public struct LastNotice: Sendable, Codable, Equatable {
    /// Down or recovered.
    public var kind: NoticeMark.Kind
    /// The incident that sent it.
    public var incident: String
    /// When it was delivered.
    public var at: Date
}

/// Everything Detour knows, rebuilt by folding journal records.
public struct DetourState: Sendable, Codable, Equatable {
    /// Health per channel id.
    public var channels: [String: ChannelHealth] = [:]
    /// Every incident, oldest first.
    public var incidents: [Incident] = []
    /// How many journal bytes this state reflects.
    public var journalOffset: Int = 0
    /// Channels whose automation an operator paused, with the hold.
    public var holds: [String: ChannelHeld] = [:]
    /// Since when the monitor's own network has been down, if it is.
    public var monitorOfflineSince: Date?
    /// The last public message per channel and provider (`rakuten line`): what customers last heard.
    public var lastNotices: [String: LastNotice] = [:]
    /// The errors the workspace has, as last journaled; nil while it is valid.
    public var workspaceInvalid: WorkspaceInvalid?

    /// An empty state.
    public init() {}

    /// The unresolved outage incident of a channel, if any (scheduled runs are not outages).
    public func openIncident(for channel: String) -> Incident? {
        incidents.last { $0.channel == channel && $0.status != .resolved && $0.isOutage }
    }

    /// The hold in force on a channel at a time, if any.
    public func hold(on channel: String, at time: Date) -> ChannelHeld? {
        guard let hold = holds[channel], hold.until.map({ $0 > time }) ?? true else { return nil }
        return hold
    }

    /// An incident by id (recent incidents are looked at first).
    public func incident(_ id: String) -> Incident? { incidents.last { $0.id == id } }

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
        case .incidentAcknowledged(let event):
            update(event.incident) {
                guard $0.acknowledgedAt == nil else { return }
                $0.acknowledgedAt = record.ts
                $0.acknowledgedBy = event.by
            }
        }
    }

    private mutating func update(_ id: String, _ change: (inout Incident) -> Void) {
        guard let index = incidents.lastIndex(where: { $0.id == id }) else { return }
        change(&incidents[index])
    }
}

extension DetourState {
    /// Every shared effect held now (`holds`), with the open incidents holding it, in the order they took it.
    public func heldEffects() -> [(effect: String, holders: [Incident])] {
        var order: [String] = []
        var holders: [String: [Incident]] = [:]
        for incident in incidents where incident.status != .resolved {
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

extension Workspace {
    /// The playbooks whose failover steps of an incident wait for `detour approve`.
    public func playbooksAwaitingApproval(_ incident: Incident) -> [String] {
        guard incident.approvedAt == nil, incident.recoveringAt == nil, incident.playbook == nil else { return [] }
        return playbooks(for: .down, channel: incident.channel).filter { playbook in
            playbook.approval?.required == true
                && playbook.steps.contains { incident.steps["\(playbook.id)/\($0.id)"]?.isSettled != true }
        }.map(\.id)
    }

    /// One phrase for an incident's state: `mitigated; newsletter awaiting approval`,
    /// `open; needs attention: mall-down/line failed`, `recovering; settling until 10:05`.
    public func summary(of incident: Incident, clock: (Date) -> String) -> String {
        var parts = [incident.status.rawValue]
        let waiting = playbooksAwaitingApproval(incident)
        if !waiting.isEmpty { parts.append("\(waiting.joined(separator: ", ")) awaiting approval") }
        if incident.needsAttention {
            parts.append("needs attention: \(incident.failedSteps.joined(separator: ", ")) failed (detour retry \(incident.id))")
        }
        if incident.status == .recovering, incident.trigger == .probe, incident.restoredBy == nil, let recovered = incident.recoveringAt,
            let channel = channel(incident.channel), !incident.steps.values.contains(where: { $0.phase != .failover })
        {
            let until = recovered.addingTimeInterval(channel.settle.timeInterval)
            parts.append("settling until \(clock(until)) (recovery.settle)")
        }
        if incident.relapses > 0 { parts.append("relapsed \(incident.relapses)×") }
        return parts.joined(separator: "; ")
    }
}
