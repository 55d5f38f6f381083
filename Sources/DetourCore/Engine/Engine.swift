import Foundation

/// Something the engine did, for whoever is watching (the CLI's timeline, tests).
public enum EngineEvent: Sendable {
    /// A channel's probes ran.
    case probed(ChannelVerdict, at: Date)
    /// A record was journaled.
    case journaled(JournalRecord)
    /// A step's request is about to be sent.
    case sending(step: String, incident: String, request: RenderedRequest)
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
    private let dependencies: EngineDependencies
    private let store: StateStore
    private let runner: StepRunner
    /// The current state.
    public private(set) var state: DetourState

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

    // MARK: - One pass

    /// Probes what is due, advances health, then runs or resumes every unresolved incident.
    public func runPass() async throws {
        try refresh()
        let now = dependencies.clock.now()
        try await advanceMaintenance(at: now)
        let due = workspace.channels.filter { channel in
            let health = state.channels[channel.id] ?? ChannelHealth()
            return health.state != .maintenance && health.isDue(at: now, schedule: channel.schedule)
        }
        let verdicts = await ProbeRound(dependencies: dependencies).run(due, now: now)
        if try await monitorIsOffline(verdicts, at: now) {
            try store.saveSnapshot(state)
            return
        }
        for verdict in verdicts {
            dependencies.observer(.probed(verdict, at: now))
            try await advanceHealth(verdict, at: now)
        }
        try await driveIncidents()
        try store.saveSnapshot(state)
    }

    /// When the next pass has work: the earliest due channel, or now while steps wait.
    public func nextWakeUp() -> Date {
        let unsettled = state.incidents.contains { $0.status != .resolved && $0.status != .mitigated }
        if unsettled { return dependencies.clock.now().addingTimeInterval(1) }
        let dues = workspace.channels.map { channel in
            // A channel in a planned window is not probed: its next work is the window's end.
            if state.channels[channel.id]?.state == .maintenance, let window = workspace.maintenanceWindow(for: channel, at: dependencies.clock.now()) {
                return window.to
            }
            return state.channels[channel.id]?.nextDueAt ?? .distantPast
        }
        return dues.min() ?? dependencies.clock.now().addingTimeInterval(60)
    }

    private func advanceHealth(_ verdict: ChannelVerdict, at now: Date) async throws {
        guard let channel = workspace.channel(verdict.channel) else { return }
        var health = state.channels[channel.id] ?? ChannelHealth()
        let change = health.record(success: verdict.passed, degraded: verdict.degraded, at: now, reason: verdict.reason, schedule: channel.schedule)
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
        switch change {
        case .degraded:
            try await runNotice(.degraded, channel: channel, reason: verdict.reason ?? "slow", at: now)
        case .wentDown where state.openIncident(for: channel.id) == nil:
            try openIncident(
                channel: channel.id, trigger: .probe, by: nil, reason: verdict.reason ?? "probes failed",
                firstFailureAt: health.firstFailureAt, lastSuccessAt: health.lastSuccessAt, at: now)
        case .recovered:
            if let incident = state.openIncident(for: channel.id), incident.trigger == .probe, incident.recoveringAt == nil {
                let recovering = IncidentRecovering(incident: incident.id, trigger: .probe, recoveredAt: health.recoveringAt ?? now, by: nil, reason: nil)
                try record(.incidentRecovering(recovering), at: now)
            }
        default:
            break
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
            try record(.incidentRecovering(IncidentRecovering(incident: incident.id, trigger: .manual, recoveredAt: now, by: operatorName, reason: reason)), at: now)
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

    private func newIncidentID(channel: String, at now: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        let base = String(format: "%@-%04d%02d%02d-%02d%02d%02d", channel, c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        var id = base
        var suffix = 2
        while state.incident(id) != nil {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        return id
    }

    // MARK: - Incidents

    private func driveIncidents() async throws {
        for incident in state.incidents where incident.status != .resolved {
            try await drive(incident.id)
        }
    }

    /// Runs whatever an incident still needs: failover steps, or undo and recovery steps.
    private func drive(_ id: String) async throws {
        guard let incident = state.incident(id), let channel = workspace.channel(incident.channel) else { return }
        let plan = IncidentPlan(workspace: workspace, channel: channel.id)
        let context = TemplateContext(workspace: workspace, channel: channel, incident: incident)
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

    /// Runs steps in order; true when every one is settled and the phase may complete.
    private func run(_ steps: [PlannedStep], of incident: String, context: TemplateContext) async throws -> Bool {
        for planned in steps {
            let done = try await run(planned, of: incident, context: context)
            if !done { return false }
        }
        return true
    }

    /// Runs one step until it succeeds or runs out of attempts; true when the phase may go on.
    private func run(_ planned: PlannedStep, of incidentID: String, context: TemplateContext) async throws -> Bool {
        let key = "\(incidentID)/\(planned.key)"
        while true {
            let record = state.incident(incidentID)?.steps[planned.key]
            switch record?.outcome {
            case .succeeded?, .skipped?: return true
            case .failed?: return planned.step.continueOnError
            case .retryable?, nil: break
            }
            let started = record?.attemptsStarted ?? 0
            // A left-over uncertain attempt is always resumed once more: the same idempotency key makes it safe.
            guard started < planned.step.attempts || record?.isUncertain == true else {
                return planned.step.continueOnError
            }
            let attempt = started + 1
            if attempt > 1, record?.isUncertain != true {
                let backoff = min(30.0, pow(2, Double(attempt - 2)))
                try await dependencies.clock.sleep(until: dependencies.clock.now().addingTimeInterval(backoff))
            }
            let rendered: RenderedRequest
            do {
                rendered = try runner.render(planned.action, context: context, idempotencyKey: key)
            } catch {
                try finish(planned, of: incidentID, attempt: attempt, StepAttempt(outcome: .failed, status: nil, error: dependencies.secrets.redactor.mask(error.message), duration: .zero))
                continue
            }
            try self.record(
                .stepStarted(StepStarted(incident: incidentID, step: planned.key, phase: planned.phase, attempt: attempt, idempotencyKey: key, request: rendered.display)),
                at: dependencies.clock.now())
            dependencies.observer(.sending(step: planned.key, incident: incidentID, request: rendered))
            var result = await runner.send(rendered)
            if result.outcome == .retryable, attempt >= planned.step.attempts {
                result.outcome = .failed
                result.error = "\(result.error ?? "failed") (after \(attempt) attempts)"
            }
            try finish(planned, of: incidentID, attempt: attempt, result)
        }
    }

    private func finish(_ planned: PlannedStep, of incident: String, attempt: Int, _ result: StepAttempt) throws {
        try record(
            .stepFinished(
                StepFinished(
                    incident: incident, step: planned.key, phase: planned.phase, attempt: attempt, outcome: result.outcome, status: result.status,
                    error: result.error, durationMs: Int(result.duration.milliseconds))), at: dependencies.clock.now())
    }

    /// Journals (fsync'ed) and then applies a record.
    private func record(_ event: JournalEvent, at time: Date) throws {
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
    fileprivate func runNotice(_ event: PlaybookEvent, channel: Channel, reason: String, at now: Date) async throws {
        let playbooks = workspace.playbooks(for: event, channel: channel.id)
        guard !playbooks.isEmpty else { return }
        // The spell id makes idempotency keys unique per spell; the health change journaled just before makes it fire once.
        let spell = "\(newIncidentID(channel: channel.id, at: now))-\(event.rawValue)"
        let incident = Incident(
            id: spell, channel: channel.id, trigger: .probe, by: nil, reason: reason, openedAt: now, firstFailureAt: nil, lastSuccessAt: nil)
        let context = TemplateContext(workspace: workspace, channel: channel, incident: incident)
        for playbook in playbooks {
            for step in playbook.steps {
                let key = "\(playbook.id)/\(step.id)"
                let idempotencyKey = "\(spell)/\(key)"
                let result: StepAttempt
                do {
                    let rendered = try runner.render(step.action, context: context, idempotencyKey: idempotencyKey)
                    try record(
                        .stepStarted(
                            StepStarted(
                                incident: spell, step: key, phase: .failover, attempt: 1, idempotencyKey: idempotencyKey, request: rendered.display)),
                        at: dependencies.clock.now())
                    dependencies.observer(.sending(step: key, incident: spell, request: rendered))
                    result = await runner.send(rendered)
                } catch let error as StepError {
                    result = StepAttempt(outcome: .failed, status: nil, error: dependencies.secrets.redactor.mask(error.message), duration: .zero)
                }
                try finish(PlannedStep(key: key, phase: .failover, step: step, action: step.action), of: spell, attempt: 1, result)
                if result.outcome != .succeeded && !step.continueOnError { break }
            }
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
