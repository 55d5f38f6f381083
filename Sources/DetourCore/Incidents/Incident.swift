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
    /// When that public message was delivered (the `step.finished` that carried it), for the status page's timelines.
    public var noticeAt: Date?

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
    public func summary(of incident: Incident, clock: (Date) -> String, l10n: Localizer = .english) -> String {
        var parts = [l10n.incidentStatus(incident.status)]
        let waiting = playbooksAwaitingApproval(incident)
        if !waiting.isEmpty { parts.append(l10n.text("words.summary.awaiting-approval", ["playbooks": waiting.joined(separator: ", ")])) }
        if incident.needsAttention {
            parts.append(
                l10n.text("words.summary.needs-attention", ["steps": incident.failedSteps.joined(separator: ", "), "incident": incident.id]))
        }
        if incident.status == .recovering, incident.trigger == .probe, incident.restoredBy == nil, let recovered = incident.recoveringAt,
            let channel = channel(incident.channel), !incident.steps.values.contains(where: { $0.phase != .failover })
        {
            let until = recovered.addingTimeInterval(channel.settle.timeInterval)
            parts.append(l10n.text("words.summary.settling", ["time": clock(until)]))
        }
        if incident.relapses > 0 { parts.append(l10n.text("words.summary.relapsed", ["count": "\(incident.relapses)"])) }
        return parts.joined(separator: l10n.text("words.separator"))
    }
}
