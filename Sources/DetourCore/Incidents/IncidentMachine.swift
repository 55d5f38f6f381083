import Foundation

/// One attempt of one step that the machine asks to be sent.
struct StepCall: Sendable {
    /// The incident it belongs to.
    var incident: String
    /// The step, its phase and its playbook.
    var planned: PlannedStep
    /// 1 for the first attempt; goes on across runs and `detour retry`.
    var attempt: Int
    /// The key sent with every attempt (`incident/playbook/step`).
    var idempotencyKey: String
    /// Whether an earlier attempt may have reached the provider.
    var isRepeat: Bool
    /// Ids earlier calls left (the step an undo reverses, earlier steps of the playbook).
    var outputs: [String: String]
}

/// What the machine wants done next.
enum MachineWork: Sendable {
    /// Journal these records, in order, then ask again.
    case journal([JournalEvent])
    /// Journal `step.started` for each, send them together, and feed each answer to `answered`.
    case send([StepCall])
}

/// What the machine sees ahead at a time: work to do now, or when to look again.
struct MachineOutlook: Sendable {
    /// Work to do now, if any.
    var work: MachineWork?
    /// When a waiting step (a retry, a settle, an automatic approval) becomes due.
    var wakeAt: Date?
    /// When a step's retry becomes due: a wait short enough is slept through inside the pass.
    var retryAt: Date?
}

/// Which incidents a drive covers.
enum IncidentScope: Sendable {
    /// Every unresolved incident.
    case all
    /// Only internal notice runs (the monitor is offline: nothing public goes out).
    case internalNotices
}

/// The incident logic as a pure state machine: journal records in, decisions out.
///
/// It decides when an incident opens, recovers, settles, relapses and resolves; which step is sent
/// next, with which attempt and key; which steps are skipped (approval, `when`, cooldown, a recovery
/// with nothing to recover from) or joined (a shared effect another incident already holds); and
/// what an answer means. It does no I/O: `Engine` journals what it returns and sends the calls.
struct IncidentMachine: Sendable {
    /// The workspace the decisions follow.
    var workspace: Workspace
    /// Everything journaled so far.
    private(set) var state: DetourState
    /// When failed attempts are retried.
    var policy = RetryPolicy()

    /// A machine over a state folded from the journal.
    init(workspace: Workspace, state: DetourState) {
        self.workspace = workspace
        self.state = state
    }

    /// Folds one journaled record into the state.
    mutating func apply(_ record: JournalRecord) { state.apply(record) }

    /// Sets the place in the journal the state reflects.
    mutating func setJournalPosition(_ position: JournalPosition) { state.journalPosition = position }

    /// Replaces the channel health kept only in the snapshot (a healthy round changes only timestamps).
    mutating func setHealth(_ health: ChannelHealth, for channel: String) { state.channels[channel] = health }

    // MARK: - Health and incidents

    /// The records one probe verdict leads to: the channel's new health, when it is worth a line.
    mutating func healthRecords(_ verdict: ChannelVerdict, at now: Date, mask: (String) -> String) -> (records: [JournalEvent], change: HealthChange?) {
        guard let channel = workspace.channel(verdict.channel) else { return ([], nil) }
        var health = state.channels[channel.id] ?? ChannelHealth()
        let change = health.record(
            success: verdict.passed, degraded: verdict.degraded, at: now, reason: verdict.reason.map(mask),
            schedule: workspace.schedule(for: channel, at: now))
        if change == nil && (health.state == .up || health.state == .degraded) {
            // A healthy round changes only timestamps: kept in the snapshot, not worth a journal line.
            state.channels[channel.id] = health
            return ([], nil)
        }
        // Each probe's result is kept once, with the change it explains; later failing rounds keep the one-line reason.
        let evidence = change == nil ? [] : verdict.evidence
        let record = ChannelHealthChanged(
            channel: channel.id, health: health, change: change, evidence: verdict.reason.map(mask),
            probes: evidence.isEmpty ? nil : evidence)
        return ([.channelHealth(record)], change)
    }

    /// Brings incidents in line with health: opens one for a down channel, starts recovery for one
    /// that is up again, continues one whose channel failed again while its recovery settled.
    ///
    /// Derived from state rather than from a transition, so a run killed between journaling the
    /// health change and the incident change is finished by the next run.
    func reconcile(at now: Date) -> [JournalEvent] {
        var events: [JournalEvent] = []
        for channel in workspace.channels {
            guard let health = state.channels[channel.id] else { continue }
            if let incident = state.openIncident(for: channel.id) {
                guard incident.trigger == .probe else { continue }
                let healthy = health.state == .up || health.state == .degraded
                if incident.recoveringAt == nil, healthy {
                    events.append(
                        .incidentRecovering(
                            IncidentRecovering(incident: incident.id, trigger: .probe, recoveredAt: health.recoveringAt ?? now, by: nil, reason: nil)))
                } else if incident.recoveringAt != nil, incident.restoredBy == nil, health.state == .down, !hasStartedRecovery(incident) {
                    // Failed again before the recovery settled: the same outage goes on, silently.
                    events.append(.incidentRelapsed(IncidentReference(incident: incident.id)))
                }
            } else if health.state == .down || health.state == .recovering, state.hold(on: channel.id, at: now) == nil {
                // Never down without an open incident: a restore resets health, so a channel down
                // again (or still) after its incident ended is a new outage.
                let previous = state.lastOutage(of: channel.id)
                let follows = previous.flatMap { $0.forcedRestore ? $0.id : nil }
                var opened = IncidentOpened(
                    incident: newIncidentID(channel: channel.id, at: now), channel: channel.id, trigger: .probe, by: nil,
                    reason: health.lastFailure ?? "probes failed", firstFailureAt: health.firstFailureAt, lastSuccessAt: health.lastSuccessAt,
                    follows: follows)
                recordRevenue(&opened, at: health.firstFailureAt ?? now)
                events.append(.incidentOpened(opened))
            }
        }
        return events
    }

    /// Journals the revenue rate and sale multiplier in force, so a later calendar change never rewrites a past outage's money.
    func recordRevenue(_ opened: inout IncidentOpened, at time: Date) {
        guard let revenue = workspace.revenueInForce(channel: opened.channel, at: time) else { return }
        opened.revenuePerHour = revenue.perHour
        opened.saleMultiplier = revenue.multiplier
        // Sales not over yet, up to a bounded number: an outage rarely outlasts the next few.
        opened.sales = workspace.settings.calendar.sales.filter { sale in
            sale.to > time && (sale.channels?.contains(opened.channel) ?? true)
        }.prefix(16).map { RecordedSale(name: $0.name, from: $0.from, to: $0.to, multiplier: $0.multiplier) }
    }

    /// Whether undo or recovery steps of an incident have begun (a relapse can no longer be absorbed).
    private func hasStartedRecovery(_ incident: Incident) -> Bool {
        incident.steps.values.contains { $0.phase != .failover }
    }

    /// A new incident id: `rakuten-20261125-031500`, with a suffix when taken.
    func newIncidentID(channel: String, at now: Date) -> String {
        let base = "\(channel)-\(stamp(now))"
        var id = base
        var suffix = 2
        while state.incident(id) != nil {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        return id
    }

    /// `20261125-031500` in the workspace's time zone.
    func stamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// `incident.opened` records for the runs of a notice event's playbooks on a channel, once per id.
    func noticeRuns(_ event: PlaybookEvent, channel: String, reason: String, id: (Playbook) -> String) -> [JournalEvent] {
        workspace.playbooks(for: event, channel: channel).compactMap { playbook in
            let runID = id(playbook)
            guard state.incident(runID) == nil else { return nil }
            return .incidentOpened(
                IncidentOpened(
                    incident: runID, channel: channel, trigger: .notice, by: nil, reason: reason, firstFailureAt: nil, lastSuccessAt: nil,
                    playbook: playbook.id))
        }
    }

    /// Runs of the notice playbooks the state calls for and that have not started yet: once per
    /// degraded spell, per planned window, per offline spell, per set of workspace errors.
    ///
    /// Derived from state rather than from the transition that caused it, with ids taken from the
    /// state (the spell's start, the errors' fingerprint), so a run killed right after journaling
    /// the change still runs the notice on the next pass, and never twice.
    func noticesDue(scope: IncidentScope) -> [JournalEvent] {
        var events: [JournalEvent] = []
        if case .all = scope {
            for channel in workspace.channels {
                guard let health = state.channels[channel.id] else { continue }
                if health.state == .degraded, let since = health.degradedAt {
                    events += noticeRuns(.degraded, channel: channel.id, reason: health.slowReason ?? "slower than maxLatency") {
                        "\($0.id)-\(channel.id)-\(stamp(since))"
                    }
                }
                if health.state == .maintenance, let since = health.maintenanceSince {
                    let window = workspace.maintenanceWindow(for: channel, at: since)
                    let reason =
                        window.map { window in
                            "planned maintenance until \(LocalTime.iso8601(window.to, in: workspace.settings.timeZone))\(window.note.isEmpty ? "" : ": \(window.note)")"
                        } ?? "planned maintenance"
                    events += noticeRuns(.maintenance, channel: channel.id, reason: reason) { "\($0.id)-\(channel.id)-\(stamp(since))" }
                }
            }
            if let invalid = state.workspaceInvalid {
                let reason =
                    "workspace has \(invalid.errors) error\(invalid.errors == 1 ? "" : "s") in \(invalid.files.joined(separator: ", ")); running on the last good copy"
                events += firstChannelRuns(.workspaceInvalid, reason: reason) { "\($0.id)-workspace-\(invalid.fingerprint.prefix(12))" }
            }
        }
        if let since = state.monitorOfflineSince {
            let reason = "monitor offline since \(LocalTime.iso8601(since, in: workspace.settings.timeZone)): every probe and every canary failed"
            events += firstChannelRuns(.offline, reason: reason) { "\($0.id)-offline-\(stamp(since))" }
        }
        return events
    }

    /// Runs of an event's playbooks that are about no channel in particular: each once, with the first channel it applies to.
    private func firstChannelRuns(_ event: PlaybookEvent, reason: String, id: (Playbook) -> String) -> [JournalEvent] {
        var events: [JournalEvent] = []
        var seen: Set<String> = []
        for channel in workspace.channels {
            for playbook in workspace.playbooks(for: event, channel: channel.id) where seen.insert(playbook.id).inserted {
                let runID = id(playbook)
                guard state.incident(runID) == nil else { continue }
                events.append(
                    .incidentOpened(
                        IncidentOpened(
                            incident: runID, channel: channel.id, trigger: .notice, by: nil, reason: reason, firstFailureAt: nil, lastSuccessAt: nil,
                            playbook: playbook.id)))
            }
        }
        return events
    }

    /// Runs of `step-failed` playbooks for each step of an open outage (or a scheduled run) that failed for good, once per failure.
    ///
    /// Derived from state, not from the answer, so a run that dies right after journaling the
    /// failure still tells the operators on the next pass.
    func failureNotices() -> [JournalEvent] {
        guard !workspace.playbooks.filter({ $0.event == .stepFailed }).isEmpty else { return [] }
        var events: [JournalEvent] = []
        for incident in state.unresolvedIncidents where incident.isOutage || incident.trigger == .schedule {
            // A scheduled run tells of its own steps (a selftest's outcome), not of each check under them.
            for key in incident.failedSteps where incident.isOutage || key.split(separator: "/").count == 2 {
                let record = incident.steps[key]
                let reason = "step \(key) of \(incident.id) failed: \(record?.error ?? "failed")"
                // The attempt count is part of the id: a step retried by hand that fails again is told again.
                let suffix = "\(key.replacingOccurrences(of: "/", with: "."))-\(record?.attemptsStarted ?? 0)"
                events += noticeRuns(.stepFailed, channel: incident.channel, reason: reason) { "\($0.id)-\(incident.id)-\(suffix)" }
            }
        }
        return events
    }

    // MARK: - Steps

    /// The next work over the unresolved incidents in scope, failover phases first (so an incident
    /// that needs a shared effect joins it before another incident's recovery would undo it).
    func next(at now: Date, scope: IncidentScope = .all) -> MachineOutlook {
        // Incidents follow health first: an incident that just resolved while its channel is down
        // again is followed at once by a new one, whatever command or pass resolved it.
        var derived = noticesDue(scope: scope)
        if case .all = scope { derived = reconcile(at: now) + failureNotices() + derived }
        if !derived.isEmpty { return MachineOutlook(work: .journal(derived), wakeAt: nil) }
        let unresolved = state.unresolvedIncidents.filter { incident in
            switch scope {
            case .all: return true
            case .internalNotices: return incident.trigger == .notice
            }
        }
        let ordered = unresolved.filter { $0.recoveringAt == nil } + unresolved.filter { $0.recoveringAt != nil }
        var wake: Date?
        var retry: Date?
        for incident in ordered {
            switch progress(of: incident, at: now) {
            case .work(let work): return MachineOutlook(work: work, wakeAt: nil)
            case .wait(let until, let isRetry):
                wake = min(wake ?? until, until)
                if isRetry { retry = min(retry ?? until, until) }
            case .idle: continue
            }
        }
        return MachineOutlook(work: nil, wakeAt: wake, retryAt: retry)
    }

    private enum Progress {
        case work(MachineWork)
        /// Nothing until a time; `retry` when it is a step's retry (not a settle or an approval).
        case wait(Date, retry: Bool)
        case idle
    }

    /// How a run of steps stands.
    enum SequenceProgress {
        case work(MachineWork)
        case wait(Date)
        /// Waits for `detour approve` (or `autoAfter`, when given).
        case awaitingApproval(Date?)
        /// A step failed for good; the rest waits for `detour retry`.
        case failed
        case done
    }

    private func progress(of incident: Incident, at now: Date) -> Progress {
        guard let channel = workspace.channel(incident.channel) else { return .idle }
        let plan = IncidentPlan(workspace: workspace, incident: incident)
        let resolve = Progress.work(.journal([.incidentResolved(IncidentReference(incident: incident.id))]))
        if incident.playbook != nil {
            switch sequence(plan.failover, of: incident, channel: channel, at: now) {
            case .work(let work): return .work(work)
            case .wait(let until): return .wait(until, retry: true)
            case .awaitingApproval(let until): return until.map { .wait($0, retry: false) } ?? .idle
            case .failed: return .idle
            case .done: return resolve
            }
        }
        if incident.recoveringAt == nil {
            var wake: Date?
            var retry: Date?
            var pending = false
            for steps in plan.failoverByPlaybook {
                switch sequence(steps, of: incident, channel: channel, at: now) {
                case .work(let work): return .work(work)
                case .wait(let until):
                    pending = true
                    wake = min(wake ?? until, until)
                    retry = min(retry ?? until, until)
                case .awaitingApproval(let until):
                    // Waiting for approval does not hold back mitigation by the other playbooks.
                    if let until { wake = min(wake ?? until, until) }
                case .failed: pending = true
                case .done: continue
                }
            }
            // Escalation goes on beside the failover: nobody waits for a retry to be paged again.
            switch escalate(incident, plan: plan, channel: channel, at: now) {
            case .work(let work): return .work(work)
            case .wait(let until): wake = min(wake ?? until, until)
            default: break
            }
            if !pending, incident.mitigatedAt == nil {
                return .work(.journal([.incidentMitigated(IncidentReference(incident: incident.id))]))
            }
            guard let wake else { return .idle }
            return .wait(wake, retry: retry == wake)
        }
        if let until = settlesUntil(incident, channel: channel, at: now) { return .wait(until, retry: false) }
        if settleBlocked(incident, channel: channel) { return state.channels[channel.id]?.nextDueAt.map { .wait($0, retry: false) } ?? .idle }
        switch sequence(plan.undo(after: incident) + plan.recovery, of: incident, channel: channel, at: now) {
        case .work(let work): return .work(work)
        case .wait(let until): return .wait(until, retry: true)
        case .awaitingApproval(let until): return until.map { .wait($0, retry: false) } ?? .idle
        case .failed: return .idle
        case .done:
            // The people paged hear it is over; a message that cannot be delivered never holds the incident open.
            switch pageResolutions(incident, plan: plan, channel: channel, at: now) {
            case .work(let work): return .work(work)
            case .wait(let until): return .wait(until, retry: true)
            default: return resolve
            }
        }
    }

    /// While a recovery found by probes settles: the time it ends, if it is still ahead.
    private func settlesUntil(_ incident: Incident, channel: Channel, at now: Date) -> Date? {
        guard incident.trigger == .probe, incident.restoredBy == nil, let recovered = incident.recoveringAt, !hasStartedRecovery(incident) else {
            return nil
        }
        let until = recovered.addingTimeInterval(channel.settle.timeInterval)
        return now < until ? until : nil
    }

    /// Whether a settled recovery must still wait because the channel is failing again (suspect).
    private func settleBlocked(_ incident: Incident, channel: Channel) -> Bool {
        guard incident.trigger == .probe, incident.restoredBy == nil, !hasStartedRecovery(incident) else { return false }
        let health = state.channels[channel.id]?.state ?? .up
        return health == .suspect || health == .down || health == .recovering
    }

    /// Steps in order (a parallel group together): the first work, or how the run stands.
    func sequence(_ steps: [PlannedStep], of incident: Incident, channel: Channel, at now: Date) -> SequenceProgress {
        for group in IncidentPlan.groups(steps) {
            var sends: [StepCall] = []
            var wake: Date?
            var approval: Date?? = nil
            var failed = false
            for planned in group {
                switch decide(planned, of: incident, channel: channel, at: now) {
                case .journal(let events): return .work(.journal(events))
                case .send(let call): sends.append(call)
                case .sendAll(let calls): sends += calls
                case .wait(let until): wake = min(wake ?? until, until)
                case .awaitingApproval(let until): approval = .some(until)
                case .failed: failed = true
                case .done: continue
                }
            }
            if !sends.isEmpty { return .work(.send(sends)) }
            if let wake { return .wait(wake) }
            if let approval { return .awaitingApproval(approval) }
            if failed { return .failed }
        }
        return .done
    }

    /// What one step needs now.
    enum StepDecision {
        case journal([JournalEvent])
        case send(StepCall)
        /// Several calls of one step that go out together (a page's ways).
        case sendAll([StepCall])
        case wait(Date)
        case awaitingApproval(Date?)
        case failed
        case done
    }

    func decide(_ planned: PlannedStep, of incident: Incident, channel: Channel, at now: Date) -> StepDecision {
        let record = incident.steps[planned.key]
        switch record?.outcome {
        case .succeeded?, .skipped?: return .done
        case .failed?: return planned.step.continueOnError ? .done : .failed
        case .retryable?, .progressed?, nil: break
        }
        if record == nil, let gate = gate(planned, of: incident, channel: channel, at: now) { return gate }
        let action = planned.action.action
        if let page = action as? PageAction { return pageStep(planned, page: page, of: incident, channel: channel, at: now) }
        if action is SelfTestAction { return selfTestStep(planned, of: incident, channel: channel, at: now) }
        let uncertain = record?.isUncertain == true
        if uncertain, !action.honoursIdempotency, planned.step.onUncertain == .skip, let record {
            let note = "an earlier attempt may have been delivered and \(action.name) cannot tell a repeat; not sent again (onUncertain: skip)"
            return .journal([finished(planned, incident: incident.id, attempt: record.attemptsStarted, outcome: .skipped, note: note)])
        }
        let failures = record?.failuresCounted ?? 0
        if failures >= planned.step.attempts, !uncertain, let record {
            // The journaled attempt count is the truth across runs: never more than `retry.attempts`.
            let error = "step \(planned.key) (\(action.name)): \(record.error ?? "failed") (gave up after \(failures) attempts)"
            return .journal([finished(planned, incident: incident.id, attempt: record.attemptsStarted, outcome: .failed, error: error)])
        }
        if !uncertain, let retryAt = record?.retryAt, retryAt > now { return .wait(retryAt) }
        if planned.phase == .undo, let effect = incident.steps[planned.reverses ?? ""]?.holds {
            let others = holders(of: effect, except: incident.id)
            if !others.isEmpty {
                let note = "still held by \(describe(others)); undone when the last of them ends"
                return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .skipped, note: note)])
            }
        }
        return .send(
            StepCall(
                incident: incident.id, planned: planned, attempt: (record?.attemptsStarted ?? 0) + 1,
                idempotencyKey: "\(incident.id)/\(planned.key)", isRepeat: failures > 0 || uncertain, outputs: outputs(for: planned, in: incident)))
    }

    /// What stands before a step's first attempt, if anything.
    private func gate(_ planned: PlannedStep, of incident: Incident, channel: Channel, at now: Date) -> StepDecision? {
        let playbook = planned.playbook
        let action = planned.action.action
        if let rule = playbook.approval, rule.required, incident.approvedAt == nil {
            if planned.phase != .failover {
                return .journal([
                    finished(
                        planned, incident: incident.id, attempt: 0, outcome: .skipped,
                        note: "the failover of playbook \(playbook.id) was never approved; nothing to announce")
                ])
            }
            guard let after = rule.autoAfter else { return .awaitingApproval(nil) }
            let due = incident.openedAt.addingTimeInterval(after.timeInterval)
            guard now >= due else { return .awaitingApproval(due) }
            return .journal([.incidentApproved(IncidentApproved(incident: incident.id, by: nil, automatic: true))])
        }
        if let condition = planned.step.when, !condition.holds(event: planned.event, channel: channel, at: now, settings: workspace.settings) {
            return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .skipped, note: "its when condition does not hold")])
        }
        if action.isPublicNotice, let skip = noticeSkip(planned, of: incident, at: now) {
            return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .skipped, note: skip)])
        }
        if planned.phase == .failover, incident.isOutage, let effect = planned.holdKey {
            return join(effect, planned: planned, incident: incident, at: now)
        }
        return nil
    }

    /// Why a public notice is not sent, if it is not: what customers last heard decides.
    private func noticeSkip(_ planned: PlannedStep, of incident: Incident, at now: Date) -> String? {
        let action = planned.action.action
        guard incident.isOutage else { return legacyCooldownSkip(planned, of: incident) }
        if incident.quiet { return "quiet failover: no public notice" }
        let last = state.lastNotice(channel: incident.channel, provider: action.family)
        switch planned.phase {
        case .failover:
            // Cooldown only keeps the same message from being repeated; after a "recovered" a new outage is always announced.
            guard incident.trigger != .manual, let cooldown = planned.playbook.cooldown, let last, last.kind == .down, last.incident != incident.id
            else { return nil }
            let since = state.incident(last.incident)?.resolvedAt ?? now
            guard now.timeIntervalSince(since) < cooldown.timeInterval else { return nil }
            return
                "cooldown \(DurationText.format(cooldown)): customers were told of the outage by \(last.incident) and not yet told it ended; not posted again"
        case .recovery:
            guard !planned.step.always, last?.kind != .down else { return nil }
            return
                "customers were not told of this outage on \(action.family) (its notice was not delivered); no recovery notice (always: true sends it anyway)"
        case .undo:
            return nil
        }
    }

    /// Cooldown for notice and scheduled runs: the same step is not posted again within it.
    private func legacyCooldownSkip(_ planned: PlannedStep, of incident: Incident) -> String? {
        guard let cooldown = planned.playbook.cooldown else { return nil }
        let earlier = state.lastIncident(of: incident.channel) { other in
            other.id != incident.id && other.openedAt <= incident.openedAt
                && other.steps[planned.key]?.outcome == .succeeded
        }
        guard let earlier, incident.openedAt.timeIntervalSince(earlier.resolvedAt ?? earlier.openedAt) < cooldown.timeInterval else { return nil }
        return "cooldown \(DurationText.format(cooldown)): \(earlier.id) already posted it; not posted again"
    }

    /// A shared effect another open incident already holds is joined instead of sent again.
    private func join(_ effect: String, planned: PlannedStep, incident: Incident, at now: Date) -> StepDecision? {
        for other in state.unresolvedIncidents where other.id != incident.id && other.isOutage {
            let plan = IncidentPlan(workspace: workspace, incident: other)
            for theirs in plan.failover where theirs.holdKey == effect {
                guard let record = other.steps[theirs.key] else { continue }
                let undo = other.steps[theirs.key + "/undo"]
                if undo != nil, undo?.isSettled == false {
                    // Being switched off right now: switch it on again only once that is settled.
                    return .wait(undo?.retryAt ?? now.addingTimeInterval(1))
                }
                if record.outcome == .succeeded, undo == nil {
                    let origin = record.heldFrom ?? other.id
                    return .journal([
                        finished(
                            planned, incident: incident.id, attempt: 0, outcome: .succeeded, note: "held by \(other.channel) (\(other.id))", holds: effect,
                            heldFrom: origin)
                    ])
                }
                if record.outcome == .retryable || record.isUncertain {
                    // The other incident is still sending it: share its outcome rather than race it.
                    return .wait(record.retryAt ?? now.addingTimeInterval(1))
                }
            }
        }
        return nil
    }

    /// Open incidents other than `incident` that hold a shared effect and have not let it go.
    func holders(of effect: String, except incident: String) -> [Incident] {
        (state.heldEffects().first { $0.effect == effect }?.holders ?? []).filter { $0.id != incident }
    }

    private func describe(_ incidents: [Incident]) -> String {
        incidents.map { "\($0.channel) (\($0.id))" }.joined(separator: ", ")
    }

    /// Ids earlier calls left: the playbook's steps in this incident, the step an undo reverses (or the
    /// incident that first delivered a shared effect), the step itself.
    private func outputs(for planned: PlannedStep, in incident: Incident) -> [String: String] {
        var outputs: [String: String] = [:]
        for (key, record) in incident.steps.sorted(by: { $0.key < $1.key }) where key.hasPrefix(planned.playbook.id + "/") {
            outputs.merge(record.outputs) { $1 }
        }
        if let reverses = planned.reverses, let record = incident.steps[reverses] {
            if let origin = record.heldFrom, let effect = record.holds,
                let delivered = state.incident(origin)?.steps.values.first(where: {
                    $0.holds == effect && $0.attemptsStarted > 0
                })
            {
                outputs.merge(delivered.outputs) { $1 }
            }
            outputs.merge(record.outputs) { $1 }
        }
        outputs.merge(incident.steps[planned.key]?.outputs ?? [:]) { $1 }
        return outputs
    }

    // MARK: - Answers

    /// The records an attempt's answer leads to: `step.finished`, and the runs of `step-failed`
    /// playbooks when it failed for good.
    func answered(_ call: StepCall, _ attempt: StepAttempt, at now: Date) -> [JournalEvent] {
        var result = attempt
        let planned = call.planned
        let action = planned.action.action
        if result.outcome == .retryable, result.uncertain, !action.honoursIdempotency, planned.step.onUncertain == .skip {
            result.outcome = .skipped
            result.note =
                "no answer (\(result.error ?? "?")); it may have been delivered and \(action.name) cannot tell a repeat, so it is not sent again (onUncertain: skip)"
            result.error = nil
        }
        let failures = state.incident(call.incident)?.steps[planned.key]?.failuresCounted ?? call.attempt
        var retryAt: Date?
        if result.outcome == .retryable {
            if failures >= planned.step.attempts {
                result.outcome = .failed
                result.error = "\(result.error ?? "failed") (after \(failures) attempts)"
            } else {
                let wait = policy.wait(
                    providerAsked: result.retryAfter, backoff: planned.step.backoff, failures: max(0, failures - 1), key: call.idempotencyKey)
                retryAt = now.addingTimeInterval(wait)
            }
        }
        if result.outcome == .failed {
            result.error = "step \(planned.key) (\(action.name)): \(result.error ?? "failed")"
        }
        let incident = state.incident(call.incident)
        var notice: NoticeMark?
        if result.outcome == .succeeded, action.isPublicNotice, incident?.isOutage == true {
            switch planned.phase {
            case .failover: notice = NoticeMark(provider: action.family, kind: .down)
            case .recovery: notice = NoticeMark(provider: action.family, kind: .recovered)
            case .undo: notice = nil
            }
        }
        let holds = result.outcome == .succeeded && planned.phase == .failover && incident?.isOutage == true ? planned.holdKey : nil
        var events: [JournalEvent] = [
            .stepFinished(
                StepFinished(
                    incident: call.incident, step: planned.key, phase: planned.phase, attempt: call.attempt, outcome: result.outcome,
                    status: result.status, error: result.error, durationMs: Self.milliseconds(result.duration),
                    outputs: result.outputs.isEmpty ? nil : result.outputs, retryAt: retryAt, note: result.note, holds: holds, notice: notice))
        ]
        return events
    }

    /// A `step.finished` for a decision made without sending anything.
    func finished(
        _ planned: PlannedStep, incident: String, attempt: Int, outcome: StepOutcome, error: String? = nil, note: String? = nil, holds: String? = nil,
        heldFrom: String? = nil
    ) -> JournalEvent {
        .stepFinished(
            StepFinished(
                incident: incident, step: planned.key, phase: planned.phase, attempt: attempt, outcome: outcome, status: nil, error: error,
                durationMs: 0, note: note, holds: holds, heldFrom: heldFrom))
    }

    /// Whole milliseconds of a duration, clamped so no answer can overflow the conversion.
    static func milliseconds(_ duration: Duration) -> Int {
        let ms = duration.components.seconds.multipliedReportingOverflow(by: 1_000)
        guard !ms.overflow else { return Int.max }
        return Int(clamping: ms.partialValue + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
