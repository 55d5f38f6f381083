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
    /// The channel's revenue per hour when it opened, as journaled (nil in journals written before it was kept).
    public var revenuePerHour: Double?
    /// The sale multiplier in force when it opened, as journaled.
    public var saleMultiplier: Double?

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

    /// An incident by id.
    public func incident(_ id: String) -> Incident? { incidents.first { $0.id == id } }

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
                    revenuePerHour: event.revenuePerHour, saleMultiplier: event.saleMultiplier))
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
                incident.steps[event.step] = step
            }
        case .incidentMitigated(let event):
            update(event.incident) { $0.mitigatedAt = $0.mitigatedAt ?? record.ts }
        case .incidentRecovering(let event):
            update(event.incident) {
                $0.recoveringAt = $0.recoveringAt ?? event.recoveredAt
                $0.restoredBy = event.by
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
        case .workspaceInvalid(let event):
            workspaceInvalid = event
        case .workspaceValid:
            workspaceInvalid = nil
        }
    }

    private mutating func update(_ id: String, _ change: (inout Incident) -> Void) {
        guard let index = incidents.lastIndex(where: { $0.id == id }) else { return }
        change(&incidents[index])
    }
}
