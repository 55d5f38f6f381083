import Foundation

/// Something the engine did, for whoever is watching (the CLI's timeline, tests).
public enum EngineEvent: Sendable {
    /// A channel's probes ran.
    case probed(ChannelVerdict, at: Date)
    /// A record was journaled.
    case journaled(JournalRecord)
    /// A step's request is about to be sent.
    case sending(step: String, incident: String, request: RenderedRequest)
    /// A step's request was answered (or failed to be).
    case answered(step: String, incident: String, attempt: StepAttempt)
}

/// What the engine needs from outside; all passed in, nothing global.
public struct EngineDependencies: Sendable {
    /// The validated workspace.
    public var workspace: Workspace
    /// The HTTP client for probes and steps.
    public var http: HTTPClient
    /// The time.
    public var clock: any WallClock
    /// Credentials and masking.
    public var secrets: SecretResolver
    /// Where requests really go (the sandbox in the demo), if not where they say.
    public var redirect: URLRedirect?
    /// Told about everything the engine does.
    public var observer: @Sendable (EngineEvent) -> Void

    /// Creates the dependencies.
    public init(
        workspace: Workspace, http: HTTPClient, clock: any WallClock, secrets: SecretResolver, redirect: URLRedirect? = nil,
        observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) {
        self.workspace = workspace
        self.http = http
        self.clock = clock
        self.secrets = secrets
        self.redirect = redirect
        self.observer = observer
    }
}

/// A problem an operator caused or can fix (unknown channel, nothing to restore).
public struct EngineError: DetourError {
    /// What is wrong and what to do.
    public var description: String

    /// Creates an error with its message.
    public init(description: String) { self.description = description }
}

/// Probes channels, advances their health, and runs or resumes incidents' steps.
///
/// Every decision is journaled (and fsync'ed) before it is acted on, so a run that dies at any
/// point is finished by the next one without repeating a completed side effect.
public actor Engine {
    private var dependencies: EngineDependencies
    private let store: StateStore
    private let runner: StepRunner
    /// The current state.
    public private(set) var state: DetourState
    /// Incidents whose next step waits for a time (a retry, an automatic approval), by id.
    private var waitingUntil: [String: Date] = [:]
    /// Retries due sooner than this wait in the same pass; later ones are left to the next pass.
    private static let inlineWait: TimeInterval = 30

    private var workspace: Workspace { dependencies.workspace }

    /// Opens the state folder; the caller must hold its lock.
    public init(dependencies: EngineDependencies, stateDirectory: String) throws {
        self.dependencies = dependencies
        let store = try StateStore(directory: stateDirectory)
        try store.repairTornTail()
        self.store = store
        state = try store.loadState()
        runner = StepRunner(http: dependencies.http, secrets: dependencies.secrets, redirect: dependencies.redirect)
    }

    /// Replaces the workspace (SIGHUP); the caller has validated the new one.
    public func reload(_ workspace: Workspace) {
        dependencies.workspace = workspace
    }

    // MARK: - One pass

    /// Probes what is due, advances health, then runs or resumes every unresolved incident.
    public func runPass() async throws {
        try refresh()
        let now = dependencies.clock.now()
        try await advanceMaintenance(at: now)
        // A held channel is neither probed nor acted on: its planned work must not look like an outage.
        let due = workspace.channels.filter { channel in
            let health = state.channels[channel.id] ?? ChannelHealth()
            return state.hold(on: channel.id, at: now) == nil && health.state != .maintenance
                && health.isDue(at: now, schedule: workspace.schedule(for: channel, at: now))
        }
        let verdicts = await ProbeRound(dependencies: dependencies).run(due, now: now)
        if try await monitorIsOffline(verdicts, at: now) {
            // Only internal notices go out while the monitor itself is cut off.
            try await driveIncidents { $0.trigger == .notice }
            try store.saveSnapshot(state)
            return
        }
        for verdict in verdicts {
            dependencies.observer(.probed(verdict, at: now))
            try await advanceHealth(verdict, at: now)
        }
        try reconcileIncidents(at: now)
        try fireSchedules(at: now)
        try await driveIncidents()
        try store.saveSnapshot(state)
    }

    /// How late a missed scheduled time may still run (a cron tick a little late, a restart).
    private static let scheduleGrace: Duration = .seconds(300)

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        return calendar
    }

    /// Starts a run of each `schedule` playbook whose time has come, once per time and channel.
    private func fireSchedules(at now: Date) throws {
        for playbook in workspace.playbooks where playbook.event == .schedule {
            guard let cron = playbook.cron, let time = cron.latest(atOrBefore: now, within: Self.scheduleGrace, in: calendar) else { continue }
            for channel in workspace.channels where playbook.channels.matches(channel.id) {
                // The id is derived from the playbook, channel and time, so a time fires once however many passes see it.
                let id = "\(playbook.id)-\(channel.id)-\(stamp(time))"
                guard state.incident(id) == nil else { continue }
                try record(
                    .incidentOpened(
                        IncidentOpened(
                            incident: id, channel: channel.id, trigger: .schedule, by: nil, reason: "scheduled (\(cron))", firstFailureAt: nil,
                            lastSuccessAt: nil, playbook: playbook.id)), at: now)
            }
        }
    }

    /// When the next pass has work: the earliest due channel, or now while steps wait.
    public func nextWakeUp() -> Date {
        let now = dependencies.clock.now()
        let unsettled = state.incidents.filter { $0.status != .resolved && $0.status != .mitigated }
        let waits = unsettled.map { waitingUntil[$0.id] ?? now.addingTimeInterval(1) }
        let dues = workspace.channels.filter { state.hold(on: $0.id, at: now) == nil }.map { channel in
            // A channel in a planned window is not probed: its next work is the window's end.
            if state.channels[channel.id]?.state == .maintenance, let window = workspace.maintenanceWindow(for: channel, at: now) {
                return window.to
            }
            return state.channels[channel.id]?.nextDue(under: workspace.schedule(for: channel, at: now)) ?? .distantPast
        }
        // A sale with tighter intervals starting is work too: the first probe at its new pace.
        let saleStarts = workspace.channels.filter { $0.schedule.duringSales != nil }.compactMap {
            workspace.settings.calendar.nextSaleStart(channel: $0.id, after: now)
        }
        let holdEnds = state.holds.values.compactMap(\.until).filter { $0 > now }
        let fires = workspace.playbooks.compactMap { $0.cron?.next(after: now, in: calendar) }
        // A planned window starts on time: its playbooks run and probing pauses at that moment.
        let windowStarts = [workspace.nextMaintenanceStart(after: now)].compactMap { $0 }
        return (dues + waits + holdEnds + fires + saleStarts + windowStarts).min() ?? now.addingTimeInterval(60)
    }

    private func advanceHealth(_ verdict: ChannelVerdict, at now: Date) async throws {
        guard let channel = workspace.channel(verdict.channel) else { return }
        var health = state.channels[channel.id] ?? ChannelHealth()
        let change = health.record(
            success: verdict.passed, degraded: verdict.degraded, at: now, reason: verdict.reason, schedule: workspace.schedule(for: channel, at: now))
        if change == nil && (health.state == .up || health.state == .degraded) {
            // A healthy round changes only timestamps: kept in the snapshot, not worth a journal line.
            state.channels[channel.id] = health
            return
        }
        let evidence = verdict.evidence
        try record(
            .channelHealth(
                ChannelHealthChanged(
                    channel: channel.id, health: health, change: change.map { "\($0)" }, evidence: verdict.reason.map(dependencies.secrets.redactor.mask),
                    probes: evidence.isEmpty ? nil : evidence)), at: now)
        if change == .degraded {
            try await runNotice(.degraded, channel: channel, reason: verdict.reason ?? "slow", at: now)
        }
    }

    /// Brings incidents in line with health: opens one for a down channel, starts recovery for one
    /// that is up again. Derived from state rather than from the transition, so a run killed between
    /// journaling the health change and the incident change is finished by the next run.
    private func reconcileIncidents(at now: Date) throws {
        for channel in workspace.channels {
            guard let health = state.channels[channel.id] else { continue }
            if let incident = state.openIncident(for: channel.id) {
                if incident.trigger == .probe, incident.recoveringAt == nil, health.state == .up {
                    let recovering = IncidentRecovering(incident: incident.id, trigger: .probe, recoveredAt: health.recoveringAt ?? now, by: nil, reason: nil)
                    try record(.incidentRecovering(recovering), at: now)
                }
            } else if health.state == .down || health.state == .recovering, state.hold(on: channel.id, at: now) == nil,
                !state.incidents.contains(where: { $0.channel == channel.id && $0.trigger == .probe && $0.firstFailureAt == health.firstFailureAt })
            {
                // One incident per down spell (identified by its first failure): an operator's restore is not overridden.
                try openIncident(
                    channel: channel.id, trigger: .probe, by: nil, reason: health.lastFailure ?? "probes failed",
                    firstFailureAt: health.firstFailureAt, lastSuccessAt: health.lastSuccessAt, at: now)
            }
        }
    }

    /// Applies records other processes (an operator's `failover`) journaled since the last look.
    public func refresh() throws {
        let (records, end) = try store.records(from: state.journalOffset)
        for record in records { state.apply(record) }
        state.journalOffset = end
    }

    // MARK: - Manual control

    /// Opens a manual incident and runs its failover steps, whatever the probes say.
    @discardableResult
    public func failover(channel id: String, reason: String, by operatorName: String) async throws -> Incident {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        if let open = state.openIncident(for: id) {
            throw EngineError(description: "channel \"\(id)\" already has incident \(open.id) (\(open.status.rawValue)); see detour status")
        }
        let now = dependencies.clock.now()
        let incident = try openIncident(channel: id, trigger: .manual, by: operatorName, reason: reason, firstFailureAt: nil, lastSuccessAt: nil, at: now)
        try await driveIncidents()
        try store.saveSnapshot(state)
        return state.incident(incident) ?? state.incidents.last!
    }

    /// Ends a channel's incident: runs undo and recovery steps now.
    @discardableResult
    public func restore(channel id: String, reason: String?, by operatorName: String) async throws -> Incident {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        guard let incident = state.openIncident(for: id) else {
            throw EngineError(description: "channel \"\(id)\" has no open incident; nothing to restore")
        }
        if incident.recoveringAt == nil {
            let now = dependencies.clock.now()
            try record(
                .incidentRecovering(IncidentRecovering(incident: incident.id, trigger: .manual, recoveredAt: now, by: operatorName, reason: reason)), at: now)
        }
        try await driveIncidents()
        try store.saveSnapshot(state)
        return state.incident(incident.id) ?? incident
    }

    private func unknownChannel(_ id: String) -> EngineError {
        let ids = workspace.channels.map(\.id)
        let suggestion = closestMatch(to: id, in: ids).map { "did you mean \"\($0)\"? " } ?? ""
        return EngineError(description: "unknown channel \"\(id)\"; \(suggestion)channels: \(ids.joined(separator: ", "))")
    }

    /// Pauses automation for a channel until a time (or a release).
    public func hold(channel id: String, until: Date?, reason: String?, by operatorName: String) throws {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        let now = dependencies.clock.now()
        if let until, until <= now { throw EngineError(description: "--until must be in the future") }
        try record(.channelHeld(ChannelHeld(channel: id, until: until, by: operatorName, reason: reason)), at: now)
        try store.saveSnapshot(state)
    }

    /// Resumes automation for a channel.
    public func release(channel id: String, by operatorName: String) throws {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        guard state.holds[id] != nil else { throw EngineError(description: "channel \"\(id)\" is not held; nothing to release") }
        try record(.channelReleased(ChannelReleased(channel: id, by: operatorName)), at: dependencies.clock.now())
        try store.saveSnapshot(state)
    }

    @discardableResult
    private func openIncident(
        channel: String, trigger: IncidentTrigger, by operatorName: String?, reason: String, firstFailureAt: Date?, lastSuccessAt: Date?,
        at now: Date
    ) throws -> String {
        let id = newIncidentID(channel: channel, at: now)
        try record(
            .incidentOpened(
                IncidentOpened(
                    incident: id, channel: channel, trigger: trigger, by: operatorName, reason: dependencies.secrets.redactor.mask(reason),
                    firstFailureAt: firstFailureAt, lastSuccessAt: lastSuccessAt)), at: now)
        return id
    }

    /// `20261125-031500` in the workspace's time zone.
    private func stamp(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    private func newIncidentID(channel: String, at now: Date) -> String {
        let base = "\(channel)-\(stamp(now))"
        var id = base
        var suffix = 2
        while state.incident(id) != nil {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        return id
    }

    // MARK: - Incidents

    private func driveIncidents(where include: (Incident) -> Bool = { _ in true }) async throws {
        for incident in state.incidents where incident.status != .resolved && include(incident) {
            try await drive(incident.id)
        }
    }

    /// Runs whatever an incident still needs: failover steps, or undo and recovery steps.
    private func drive(_ id: String) async throws {
        guard let incident = state.incident(id), let channel = workspace.channel(incident.channel) else { return }
        waitingUntil[id] = nil
        let plan = IncidentPlan(workspace: workspace, incident: incident)
        let context = TemplateContext(workspace: workspace, channel: channel, incident: incident)
        if incident.playbook != nil {
            if try await run(plan.failover, of: id, context: context) {
                try record(.incidentResolved(IncidentReference(incident: id)), at: dependencies.clock.now())
            }
            return
        }
        if incident.recoveringAt == nil {
            if try await run(plan.failover, of: id, context: context), state.incident(id)?.mitigatedAt == nil {
                try record(.incidentMitigated(IncidentReference(incident: id)), at: dependencies.clock.now())
            }
        } else {
            let undo = plan.undo(after: state.incident(id)!)
            if try await run(undo + plan.recovery, of: id, context: context) {
                try record(.incidentResolved(IncidentReference(incident: id)), at: dependencies.clock.now())
            }
        }
    }

    /// Releases an incident's approval gate and runs its failover steps now.
    @discardableResult
    public func approve(incident id: String, by operatorName: String) async throws -> Incident {
        try refresh()
        guard let incident = state.incident(id) else {
            let open = state.incidents.filter { $0.status != .resolved }.map(\.id)
            throw EngineError(description: "no incident \"\(id)\"; open incidents: \(open.isEmpty ? "none" : open.joined(separator: ", "))")
        }
        guard workspace.pendingApproval(of: incident) != nil else {
            throw EngineError(description: "incident \(id) is not waiting for approval (\(incident.status.rawValue)); see detour status")
        }
        try record(.incidentApproved(IncidentApproved(incident: id, by: operatorName, automatic: false)), at: dependencies.clock.now())
        try await driveIncidents()
        try store.saveSnapshot(state)
        return state.incident(id) ?? incident
    }

    /// Runs steps in order (a parallel group at the same time); true when every one is settled and the phase may complete.
    private func run(_ steps: [PlannedStep], of incident: String, context: TemplateContext) async throws -> Bool {
        for group in IncidentPlan.groups(steps) {
            if group.count == 1 {
                if try await !run(group[0], of: incident, context: context) { return false }
                continue
            }
            let done = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                for planned in group {
                    tasks.addTask { try await self.run(planned, of: incident, context: context) }
                }
                var all = true
                for try await done in tasks { all = all && done }
                return all
            }
            if !done { return false }
        }
        return true
    }

    /// What stands before a step's first attempt.
    private enum Gate {
        case go
        case wait(until: Date)
        case skip(String)
    }

    private func gate(_ planned: PlannedStep, incident: Incident, context: TemplateContext, at now: Date) throws -> Gate {
        let playbook = planned.playbook
        if let rule = playbook.approval, rule.required, incident.approvedAt == nil {
            if planned.phase != .failover {
                return .skip("the failover of playbook \(playbook.id) was never approved; nothing to announce")
            }
            guard let after = rule.autoAfter else { return .wait(until: .distantFuture) }
            let due = incident.openedAt.addingTimeInterval(after.timeInterval)
            guard now >= due else { return .wait(until: due) }
            try record(.incidentApproved(IncidentApproved(incident: incident.id, by: nil, automatic: true)), at: now)
        }
        if let condition = planned.step.when,
            !condition.holds(event: planned.event, channel: context.channel, at: now, settings: workspace.settings)
        {
            return .skip("its when condition does not hold")
        }
        if let cooldown = playbook.cooldown, planned.action.action.isPublicNotice {
            let earlier = state.incidents.last { other in
                other.channel == incident.channel && other.id != incident.id && other.openedAt <= incident.openedAt
                    && other.steps[planned.key]?.outcome == .succeeded
            }
            if let earlier, incident.openedAt.timeIntervalSince(earlier.resolvedAt ?? earlier.openedAt) < cooldown.timeInterval {
                return .skip(
                    "cooldown \(DurationText.format(cooldown)): incident \(earlier.id) already told customers; not posted again (this incident is tracked instead)"
                )
            }
        }
        return .go
    }

    /// Ids earlier calls left: the playbook's steps in this incident, the step an undo reverses, the step itself.
    private func outputs(for planned: PlannedStep, in incident: Incident) -> [String: String] {
        var outputs: [String: String] = [:]
        for (key, record) in incident.steps.sorted(by: { $0.key < $1.key }) where key.hasPrefix(planned.playbook.id + "/") {
            outputs.merge(record.outputs) { $1 }
        }
        if let reverses = planned.reverses { outputs.merge(incident.steps[reverses]?.outputs ?? [:]) { $1 } }
        outputs.merge(incident.steps[planned.key]?.outputs ?? [:]) { $1 }
        return outputs
    }

    /// Runs one step until it succeeds, runs out of attempts, or must wait; true when the phase may go on.
    private func run(_ planned: PlannedStep, of incidentID: String, context: TemplateContext) async throws -> Bool {
        let key = "\(incidentID)/\(planned.key)"
        let action = planned.action.action
        let redactor = dependencies.secrets.redactor
        while true {
            guard let incident = state.incident(incidentID) else { return false }
            let record = incident.steps[planned.key]
            let now = dependencies.clock.now()
            switch record?.outcome {
            case .succeeded?, .skipped?: return true
            case .failed?: return planned.step.continueOnError
            case .retryable?, .progressed?, nil: break
            }
            if record == nil {
                switch try gate(planned, incident: incident, context: context, at: now) {
                case .go: break
                case .wait(let until):
                    waitingUntil[incidentID] = min(waitingUntil[incidentID] ?? .distantFuture, until)
                    return false
                case .skip(let why):
                    try finish(planned, of: incidentID, attempt: 0, StepAttempt(outcome: .skipped, status: nil, error: nil, duration: .zero, note: why))
                    continue
                }
            }
            let uncertain = record?.isUncertain == true
            if uncertain, !action.honoursIdempotency, planned.step.onUncertain == .skip {
                let note = "an earlier attempt may have been delivered and \(action.name) cannot tell a repeat; not sent again (onUncertain: skip)"
                try finish(
                    planned, of: incidentID, attempt: record!.attemptsStarted,
                    StepAttempt(outcome: .skipped, status: nil, error: nil, duration: .zero, note: note))
                continue
            }
            let failures = (record?.attemptsStarted ?? 0) - (record?.progressCount ?? 0)
            guard failures < planned.step.attempts || uncertain else { return planned.step.continueOnError }
            if !uncertain, let retryAt = record?.retryAt, retryAt > now {
                guard retryAt.timeIntervalSince(now) <= Self.inlineWait else {
                    waitingUntil[incidentID] = min(waitingUntil[incidentID] ?? .distantFuture, retryAt)
                    return false
                }
                try await dependencies.clock.sleep(until: retryAt)
            }
            let attempt = (record?.attemptsStarted ?? 0) + 1
            let environment = CallEnvironment(
                context: context, secrets: dependencies.secrets, providers: workspace.settings.providers, idempotencyKey: key,
                incidentID: incidentID, outputs: outputs(for: planned, in: incident), isRepeat: failures > 0 || uncertain, now: dependencies.clock.now())
            let call: ProviderCall?
            do {
                call = try action.call(environment)
            } catch {
                let message = "step \(planned.key) (\(action.name)): \(error.message)"
                try finish(
                    planned, of: incidentID, attempt: attempt, StepAttempt(outcome: .failed, status: nil, error: redactor.mask(message), duration: .zero))
                continue
            }
            guard let call else {
                // Nothing to send (`log`): the journal line is the whole effect.
                let line = (action as? LogAction).flatMap { try? $0.line(environment) }.map(redactor.mask)
                try self.record(
                    .stepStarted(
                        StepStarted(incident: incidentID, step: planned.key, phase: planned.phase, attempt: attempt, idempotencyKey: key, request: "log")),
                    at: now)
                try finish(planned, of: incidentID, attempt: attempt, StepAttempt(outcome: .succeeded, status: nil, error: nil, duration: .zero, note: line))
                continue
            }
            let rendered = runner.render(call, timeout: planned.step.timeout)
            let request = rendered.display + (call.stage.isEmpty ? "" : " (\(call.stage))")
            try self.record(
                .stepStarted(
                    StepStarted(incident: incidentID, step: planned.key, phase: planned.phase, attempt: attempt, idempotencyKey: key, request: request)),
                at: dependencies.clock.now())
            dependencies.observer(.sending(step: planned.key, incident: incidentID, request: rendered))
            var result = await runner.send(rendered, action: action, environment: environment)
            dependencies.observer(.answered(step: planned.key, incident: incidentID, attempt: result))
            if result.outcome == .retryable, result.uncertain, !action.honoursIdempotency, planned.step.onUncertain == .skip {
                result.outcome = .skipped
                result.note =
                    "no answer (\(result.error ?? "?")); it may have been delivered and \(action.name) cannot tell a repeat, so it is not sent again (onUncertain: skip)"
                result.error = nil
            }
            var retryAt: Date?
            if result.outcome == .retryable {
                if failures + 1 >= planned.step.attempts {
                    result.outcome = .failed
                    result.error = "\(result.error ?? "failed") (after \(failures + 1) attempts)"
                } else {
                    let wait = result.retryAfter?.timeInterval ?? Self.backoff(planned.step.backoff, failures: failures, key: key)
                    retryAt = dependencies.clock.now().addingTimeInterval(wait)
                }
            }
            if result.outcome == .failed {
                result.error = "step \(planned.key) (\(action.name)): \(result.error ?? "failed")"
            }
            try finish(planned, of: incidentID, attempt: attempt, result, retryAt: retryAt)
        }
    }

    /// Exponential backoff with jitter: base × 2^failures, times 0.5–1.0, at most 10 minutes.
    /// The jitter comes from the step key, so runs are reproducible while steps still spread out.
    static func backoff(_ base: Duration, failures: Int, key: String) -> TimeInterval {
        let exponential = min(600, base.timeInterval * pow(2, Double(min(failures, 20))))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key)#\(failures)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let jitter = 0.5 + Double(hash % 1_000) / 2_000
        return exponential * jitter
    }

    private func finish(_ planned: PlannedStep, of incident: String, attempt: Int, _ result: StepAttempt, retryAt: Date? = nil) throws {
        try record(
            .stepFinished(
                StepFinished(
                    incident: incident, step: planned.key, phase: planned.phase, attempt: attempt, outcome: result.outcome, status: result.status,
                    error: result.error, durationMs: Int(result.duration.milliseconds), outputs: result.outputs.isEmpty ? nil : result.outputs,
                    retryAt: retryAt, note: result.note)), at: dependencies.clock.now())
    }

    /// Journals (fsync'ed) and then applies a record.
    func record(_ event: JournalEvent, at time: Date) throws {
        let record = JournalRecord(ts: time, event: event)
        state.journalOffset = try store.append(record)
        state.apply(record)
        dependencies.observer(.journaled(record))
    }
}

// MARK: - Maintenance, degraded notices, self-check

extension Engine {
    /// Moves channels into and out of their planned windows; a window's start fires `maintenance` playbooks.
    fileprivate func advanceMaintenance(at now: Date) async throws {
        for channel in workspace.channels {
            var health = state.channels[channel.id] ?? ChannelHealth()
            let window = workspace.maintenanceWindow(for: channel, at: now)
            let change = window == nil ? health.leaveMaintenance(at: now) : health.enterMaintenance(at: now)
            guard let change else { continue }
            let note = window.map { window in
                "planned maintenance until \(LocalTime.iso8601(window.to, in: workspace.settings.timeZone))\(window.note.isEmpty ? "" : ": \(window.note)")"
            }
            try record(.channelHealth(ChannelHealthChanged(channel: channel.id, health: health, change: "\(change)", evidence: note)), at: now)
            if change == .maintenanceStarted { try await runNotice(.maintenance, channel: channel, reason: note ?? "planned maintenance", at: now) }
        }
    }

    /// Runs the steps of playbooks for a notice event once, journaled under a spell id; no incident opens.
    func runNotice(_ event: PlaybookEvent, channel: Channel, reason: String, at now: Date) async throws {
        // Each notice is a run of its playbook, journaled like an incident, so it gets retries,
        // idempotency keys and resumption after a crash like any other step.
        for playbook in workspace.playbooks(for: event, channel: channel.id) {
            let id = "\(playbook.id)-\(channel.id)-\(stamp(now))"
            guard state.incident(id) == nil else { continue }
            try record(
                .incidentOpened(
                    IncidentOpened(
                        incident: id, channel: channel.id, trigger: .notice, by: nil, reason: dependencies.secrets.redactor.mask(reason),
                        firstFailureAt: nil, lastSuccessAt: nil, playbook: playbook.id)), at: now)
        }
    }

    /// True (after journaling `monitor.offline` once) when every probed channel and every canary failed.
    ///
    /// Without canaries at least two channels must have been probed, so one real outage is never mistaken for it.
    fileprivate func monitorIsOffline(_ verdicts: [ChannelVerdict], at now: Date) async throws -> Bool {
        let canaries = workspace.settings.canary
        let allFailed = !verdicts.isEmpty && verdicts.allSatisfy { !$0.passed }
        var offline = false
        if allFailed, verdicts.count >= 2 || !canaries.isEmpty {
            offline = canaries.isEmpty ? true : !(await ProbeRound(dependencies: dependencies).canariesAnswer(canaries))
        }
        let status = MonitorStatus(channels: verdicts.map(\.channel), canaries: canaries.count, evidence: verdicts.first?.reason)
        if !offline {
            if state.monitorOfflineSince != nil, !verdicts.isEmpty { try record(.monitorOnline(status), at: now) }
            return false
        }
        if state.monitorOfflineSince == nil {
            try record(.monitorOffline(status), at: now)
            if let first = verdicts.first, let channel = workspace.channel(first.channel) {
                try await runNotice(.offline, channel: channel, reason: "monitor offline: \(first.reason ?? "every probe failed")", at: now)
            }
        }
        // Counted as nothing: check again soon, without journaling each round.
        for verdict in verdicts {
            guard let channel = workspace.channel(verdict.channel) else { continue }
            var health = state.channels[channel.id] ?? ChannelHealth()
            health.lastProbeAt = now
            health.nextDueAt = now.addingTimeInterval(channel.schedule.confirmEvery.timeInterval)
            state.channels[channel.id] = health
            dependencies.observer(.probed(verdict, at: now))
        }
        return true
    }
}

/// An error whose description is written for the operator: shown as is, never as a dump.
public protocol DetourError: Error, Sendable, CustomStringConvertible {}

extension Error {
    /// The text to show a person: our own errors' descriptions, Foundation's localized text otherwise.
    public var message: String {
        (self as? any DetourError)?.description ?? localizedDescription
    }
}
