import Foundation

/// Everything that happens, as recorded in the journal's segments; the state is a fold over these.
public enum JournalEvent: Sendable, Equatable {
    /// A channel's health changed state or counters.
    case channelHealth(ChannelHealthChanged)
    /// An incident opened (by probes or by an operator).
    case incidentOpened(IncidentOpened)
    /// A side effect is about to be attempted.
    case stepStarted(StepStarted)
    /// A side effect's outcome.
    case stepFinished(StepFinished)
    /// Every failover step is done.
    case incidentMitigated(IncidentReference)
    /// The channel is back (or an operator restored it): undo and recovery begin.
    case incidentRecovering(IncidentRecovering)
    /// Undo and recovery steps are done.
    case incidentResolved(IncidentReference)
    /// An operator paused automation for a channel.
    case channelHeld(ChannelHeld)
    /// An operator resumed automation for a channel.
    case channelReleased(ChannelReleased)
    /// An operator (or the clock, after `autoAfter`) released the approval gate.
    case incidentApproved(IncidentApproved)
    /// Every channel and every canary failed together: the monitor's own network is down.
    case monitorOffline(MonitorStatus)
    /// The monitor reaches the world again.
    case monitorOnline(MonitorStatus)
    /// A recovering incident's channel failed again within `recovery.settle`: the same incident goes on.
    case incidentRelapsed(IncidentReference)
    /// An operator asked for a failed step to be sent again (`detour retry`).
    case stepRetried(StepRetried)
    /// A new set of errors in the workspace: commands run on the last good copy.
    case workspaceInvalid(WorkspaceInvalid)
    /// The workspace loads without errors again.
    case workspaceValid(WorkspaceValid)
    /// A level of an incident's escalation paged a person (before its messages are sent).
    case incidentPaged(IncidentPaged)
    /// Someone acknowledged an incident's page (`detour ack`): escalation stops.
    case incidentAcknowledged(IncidentAcknowledged)
    /// A heartbeat channel's job checked in (`detour checkin`, `/hb/<token>`).
    case channelCheckin(ChannelCheckin)
}

/// `channel.checkin`: a heartbeat channel's job said it ran; never the token.
public struct ChannelCheckin: Sendable, Codable, Equatable {
    /// The channel id.
    public var channel: String
    /// How it arrived: `cli` (`detour checkin`) or `http` (`/hb/<token>`).
    public var via: String

    /// Creates a check-in record.
    public init(channel: String, via: String) {
        self.channel = channel
        self.via = via
    }
}

/// `channel.health`: the channel's full health after a change, with the evidence.
public struct ChannelHealthChanged: Sendable, Codable, Equatable {
    /// The channel id.
    public var channel: String
    /// Its health after the change.
    public var health: ChannelHealth
    /// The change, when the state moved (`wentDown`, `recovered`, …).
    public var change: HealthChange?
    /// Why the probe round failed, if it did.
    public var evidence: String?
    /// Each failing (or slow) critical probe: class, expected and actual.
    public var probes: [ProbeEvidence]?
}

/// `monitor.offline` / `monitor.online`: the monitor's own network, judged from one round.
public struct MonitorStatus: Sendable, Codable, Equatable {
    /// The channels probed in the round.
    public var channels: [String]
    /// How many canary URLs were tried.
    public var canaries: Int
    /// The first channel's failure, for people.
    public var evidence: String?
}

/// Who or what opened or ended an incident.
public enum IncidentTrigger: String, Sendable, Codable {
    case probe
    case manual
    /// A `schedule` playbook's run; not an outage.
    case schedule
    /// A `degraded`, `maintenance` or `offline` playbook's run; not an outage.
    case notice
}

/// `incident.opened`.
public struct IncidentOpened: Sendable, Codable, Equatable {
    /// The new incident's id.
    public var incident: String
    /// The channel that is down.
    public var channel: String
    /// Probes or an operator.
    public var trigger: IncidentTrigger
    /// The operator, for manual incidents.
    public var by: String?
    /// Why: the probe evidence or the operator's reason.
    public var reason: String
    /// The first failed probe (probe incidents).
    public var firstFailureAt: Date?
    /// The last successful probe before it (the earliest bound of the outage).
    public var lastSuccessAt: Date?
    /// For scheduled runs: the one playbook it runs.
    public var playbook: String?
    /// The incident this one follows: the channel was restored by force while it still failed.
    public var follows: String? = nil
    /// A manual failover that sends no public notice (`--quiet`).
    public var quiet: Bool? = nil
    /// The channel's revenue per hour when the incident opened (before hour and weekday factors).
    public var revenuePerHour: Double? = nil
    /// The sale multiplier in force when the incident opened (1 outside sales).
    public var saleMultiplier: Double? = nil
    /// The channel's sales on the calendar as it was when the incident opened (those not over yet),
    /// so a sale that starts during the outage counts and one added later does not.
    public var sales: [RecordedSale]? = nil
}

/// A sale as the calendar had it when an incident opened.
public struct RecordedSale: Sendable, Codable, Equatable {
    /// Its name.
    public var name: String
    /// When it starts.
    public var from: Date
    /// When it ends (exclusive).
    public var to: Date
    /// The revenue multiplier while it runs.
    public var multiplier: Double
}

/// `workspace.invalid`: the workspace has a set of errors not seen before; commands run on the last good copy.
public struct WorkspaceInvalid: Sendable, Codable, Equatable {
    /// How many errors.
    public var errors: Int
    /// The files with errors, relative to the workspace.
    public var files: [String]
    /// Identifies the set of errors, so the same set is journaled once.
    public var fingerprint: String
    /// When the last good copy that runs instead was taken.
    public var lastGoodAt: Date?

    /// Creates the record.
    public init(errors: Int, files: [String], fingerprint: String, lastGoodAt: Date?) {
        self.errors = errors
        self.files = files
        self.fingerprint = fingerprint
        self.lastGoodAt = lastGoodAt
    }
}

/// `workspace.valid`: the workspace loads without errors again.
public struct WorkspaceValid: Sendable, Codable, Equatable {
    /// The fingerprint of the errors that were fixed.
    public var fixed: String

    /// Creates the record.
    public init(fixed: String) { self.fixed = fixed }
}

/// The phase a step runs in.
public enum StepPhase: String, Sendable, Codable {
    case failover
    case undo
    case recovery
}

/// `step.started`: journaled and fsync'ed before the request is sent.
public struct StepStarted: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// `playbook/step` (with `/undo` or `/recovery` for those phases).
    public var step: String
    /// Which phase.
    public var phase: StepPhase
    /// 1 for the first attempt.
    public var attempt: Int
    /// The same for every attempt of the step, sent to providers that honour one.
    public var idempotencyKey: String
    /// `POST https://…`, secrets masked.
    public var request: String
}

/// How a step attempt ended.
public enum StepOutcome: String, Sendable, Codable {
    case succeeded
    /// Worth another attempt (5xx, 429, timeouts).
    case retryable
    /// Will not work by retrying (4xx, bad configuration).
    case failed
    /// Not attempted (a left-over uncertain attempt that must not be repeated, a `when` that does not hold, a cooldown).
    case skipped
    /// One call of a multi-call action succeeded; the next call follows.
    case progressed
}

/// `step.finished`.
public struct StepFinished: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// The step key, as in `step.started`.
    public var step: String
    /// Which phase.
    public var phase: StepPhase
    /// The attempt this finishes.
    public var attempt: Int
    /// How it ended.
    public var outcome: StepOutcome
    /// The HTTP status, when an answer came.
    public var status: Int?
    /// What went wrong, for people (masked).
    public var error: String?
    /// How long the attempt took.
    public var durationMs: Int
    /// Ids the provider returned (campaign, status page incident), for later calls and undo.
    public var outputs: [String: String]? = nil
    /// When a retryable attempt may be tried again.
    public var retryAt: Date? = nil
    /// Why it was skipped or counts as done, for people.
    public var note: String? = nil
    /// The shared effect the step holds (`holds`), when it succeeded.
    public var holds: String? = nil
    /// The incident whose delivered effect this step joined instead of sending it again.
    public var heldFrom: String? = nil
    /// What customers were told, when the step is a public notice that was delivered.
    public var notice: NoticeMark? = nil
}

/// A public message delivered to customers on one provider: an outage notice or its recovery.
public struct NoticeMark: Sendable, Codable, Equatable {
    /// What the message said.
    public enum Kind: String, Sendable, Codable {
        /// The channel is down.
        case down
        /// The channel is back.
        case recovered
    }

    /// The provider family (`line`, `x`, `discord`, …).
    public var provider: String
    /// Down or recovered.
    public var kind: Kind
}

/// `step.retried`: an operator sends a failed step again; its attempt count goes on.
public struct StepRetried: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// The step key.
    public var step: String
    /// The operator.
    public var by: String
}

/// `incident.approved`: the approval gate is released.
public struct IncidentApproved: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// The operator, or nil when `autoAfter` passed.
    public var by: String?
    /// Whether it was released automatically.
    public var automatic: Bool
}

/// An event that names only an incident.
public struct IncidentReference: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
}

/// `incident.recovering`.
public struct IncidentRecovering: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// Probes or an operator.
    public var trigger: IncidentTrigger
    /// The first successful probe after the outage (or the restore time).
    public var recoveredAt: Date
    /// The operator, for manual restores.
    public var by: String?
    /// The operator's reason.
    public var reason: String?
    /// An operator restored it although its probes still failed (`restore --force`).
    public var forced: Bool? = nil
}

/// `channel.held`: automation paused for a channel (planned work), until a time or a release.
public struct ChannelHeld: Sendable, Codable, Equatable {
    /// The channel.
    public var channel: String
    /// When the hold ends by itself; nil until `release`.
    public var until: Date?
    /// The operator.
    public var by: String
    /// Why.
    public var reason: String?
}

/// `channel.released`: automation resumed for a channel.
public struct ChannelReleased: Sendable, Codable, Equatable {
    /// The channel.
    public var channel: String
    /// The operator.
    public var by: String
}

/// One journal line: when, and what.
public struct JournalRecord: Sendable, Equatable {
    /// When it happened (the engine's clock).
    public var ts: Date
    /// What happened.
    public var event: JournalEvent

    /// Creates a record.
    public init(ts: Date, event: JournalEvent) {
        self.ts = ts
        self.event = event
    }
}

/// `incident.paged`: one level of a `page` step's escalation, and who it reached.
public struct IncidentPaged: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// The `page` step's key (`mall-down/page`).
    public var step: String
    /// The level, from 1.
    public var level: Int
    /// The person paged (an id under `people`).
    public var person: String
    /// Their name, as it was when paged.
    public var name: String
    /// The rotation or person the level names.
    public var target: String
    /// The ways used (`line`, `slack`, `phone`, …).
    public var via: [String]
}

/// `incident.acknowledged`: someone took the incident; escalation stops.
public struct IncidentAcknowledged: Sendable, Codable, Equatable {
    /// The incident.
    public var incident: String
    /// Who acknowledged.
    public var by: String
}
