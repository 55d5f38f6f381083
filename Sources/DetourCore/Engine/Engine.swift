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
    /// The shared journal every record commits to before the local one, in a cluster; nil on a single node.
    public var journalSink: (any JournalSink)? = nil

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
public struct EngineError: LocalizableDetourError {
    /// What is wrong and what to do, in English.
    public var description: String
    /// The same as a catalog message, when it has been translated.
    public var text: Message?

    /// Creates an error with its message.
    public init(description: String) { self.description = description }

    /// Creates an error from a catalog message; its English text is `description`.
    public init(_ text: Message) {
        description = text.rendered(by: .english)
        self.text = text
    }
}

/// Carries out what `IncidentMachine` decides: probes, journals (fsync'ed) and sends.
///
/// Every decision is journaled before it is acted on, so a run that dies at any point is finished
/// by the next one without repeating a completed side effect. The engine decides nothing itself.
public actor Engine {
    var dependencies: EngineDependencies
    let store: StateStore
    private let runner: StepRunner
    /// The decisions, over the state folded from the journal.
    var machine: IncidentMachine
    /// After this time a pass starts no new step (`maxPassDuration`).
    private var passDeadline: Date = .distantFuture

    /// The current state.
    public var state: DetourState { machine.state }

    var workspace: Workspace { dependencies.workspace }

    /// Opens the state folder; the caller must hold its lock.
    public init(dependencies: EngineDependencies, stateDirectory: String) throws {
        self.dependencies = dependencies
        let store = try StateStore(directory: stateDirectory)
        try store.repairTornTail()
        self.store = store
        machine = IncidentMachine(workspace: dependencies.workspace, state: try store.loadState())
        runner = StepRunner(http: dependencies.http, secrets: dependencies.secrets, redirect: dependencies.redirect)
    }

    /// Replaces the workspace (SIGHUP); the caller has validated the new one.
    public func reload(_ workspace: Workspace) {
        dependencies.workspace = workspace
        machine.workspace = workspace
    }

    // MARK: - One pass

    /// Probes what is due, advances health, then runs or resumes every unresolved incident.
    public func runPass() async throws {
        try refresh()
        let now = dependencies.clock.now()
        startPass(at: now)
        try await advanceMaintenance(at: now)
        let planner = PassPlanner(workspace: workspace, state: state)
        let due = planner.due(at: now)
        var verdicts = await ProbeRound(dependencies: dependencies).run(due, now: now)
        if let offlineRound = try await monitorOffline(verdicts, probeable: planner.probeable(at: now), at: now) {
            verdicts = offlineRound
            // Only internal notices go out while the monitor itself is cut off.
            try await drive(scope: .internalNotices)
            try store.saveSnapshot(state)
            return
        }
        try await advance(with: verdicts, at: now)
        try store.saveSnapshot(state)
    }

    /// The part of a pass after probing: health from the verdicts, incidents, scheduled runs, steps.
    func advance(with verdicts: [ChannelVerdict], at now: Date) async throws {
        for event in machine.checkinRecords(at: now) { try await record(event, at: now) }
        for verdict in verdicts {
            dependencies.observer(.probed(verdict, at: now))
            // A degraded spell's notice follows from the journaled health (IncidentMachine.noticesDue).
            for event in machine.healthRecords(verdict, at: now, mask: dependencies.secrets.redactor.mask).records { try await record(event, at: now) }
        }
        for event in machine.reconcile(at: now) { try await record(event, at: now) }
        for event in PassPlanner(workspace: workspace, state: state).scheduleFires(at: now, stamp: machine.stamp) { try await record(event, at: now) }
        try await drive()
    }

    /// When the next pass has work.
    public func nextWakeUp() -> Date {
        let now = dependencies.clock.now()
        let stepsWake = machine.next(at: now).wakeAt
        return PassPlanner(workspace: workspace, state: state).nextWakeUp(at: now, stepsWake: stepsWake)
    }

    /// Applies records other processes (an operator's `failover`) journaled since the last look.
    public func refresh() throws {
        let (records, end) = try store.records(from: state.journalPosition)
        for record in records { machine.apply(record) }
        machine.setJournalPosition(end)
    }

    /// Starts the pass clock: no new step after `maxPassDuration`.
    func startPass(at now: Date) {
        passDeadline = now.addingTimeInterval(workspace.settings.maxPassDuration.timeInterval)
    }

    // MARK: - Executing the machine's decisions

    /// Carries out the machine's work until nothing is due now, sleeping through short waits
    /// (a few seconds) and leaving longer ones, journaled as `retryAt`, to the next pass.
    func drive(scope: IncidentScope = .all) async throws {
        // Each round journals at least one record, so the loop ends; the bound is a safety net.
        for _ in 0..<100_000 {
            let now = dependencies.clock.now()
            let outlook = machine.next(at: now, scope: scope)
            switch outlook.work {
            case .journal(let events)?:
                for event in events { try await record(event, at: now) }
            case .send(let calls)?:
                guard now < passDeadline else { return }
                try await send(calls)
            case nil:
                guard let wake = outlook.retryAt, wake == outlook.wakeAt, machine.policy.waitsInline(until: wake, now: now, deadline: passDeadline)
                else { return }
                try await dependencies.clock.sleep(until: wake)
            }
        }
    }

    /// Journals `step.started` for each call, sends them together, and journals each answer.
    private func send(_ calls: [StepCall]) async throws {
        var prepared: [(StepCall, any ProviderAction, CallEnvironment, RenderedRequest)] = []
        for call in calls {
            guard let incident = state.incident(call.incident), let channel = workspace.channel(incident.channel) else { continue }
            let action = call.planned.action.action
            let now = dependencies.clock.now()
            let environment = CallEnvironment(
                context: TemplateContext(workspace: workspace, channel: channel, incident: incident), secrets: dependencies.secrets,
                providers: workspace.settings.providers, idempotencyKey: call.idempotencyKey, incidentID: call.incident, outputs: call.outputs,
                isRepeat: call.isRepeat, now: now)
            let providerCall: ProviderCall?
            do {
                providerCall = try action.call(environment)
            } catch {
                let failure = StepAttempt(outcome: .failed, status: nil, error: dependencies.secrets.redactor.mask(error.message), duration: .zero)
                for event in machine.answered(call, failure, at: now) { try await record(event, at: now) }
                continue
            }
            guard let providerCall else {
                // Nothing to send (`log`): the action's local effect, journaled, is the whole effect.
                let mask = dependencies.secrets.redactor.mask
                let effect = try? action.localEffect(environment)
                try await started(call, request: mask(effect?.request ?? "\(action.name): nothing to send"), at: now)
                let done = StepAttempt(outcome: .succeeded, status: nil, error: nil, duration: .zero, note: effect?.note.map(mask))
                for event in machine.answered(call, done, at: now) { try await record(event, at: now) }
                continue
            }
            // A step never runs past the pass's end by more than a second.
            let remaining = Duration.milliseconds(Int64(clamping: Int(max(1, passDeadline.timeIntervalSince(now)) * 1_000)))
            let rendered = runner.render(providerCall, timeout: min(call.planned.step.timeout, remaining))
            try await started(call, request: rendered.display + (providerCall.stage.isEmpty ? "" : " (\(providerCall.stage))"), at: now)
            dependencies.observer(.sending(step: call.planned.key, incident: call.incident, request: rendered))
            prepared.append((call, action, environment, rendered))
        }
        // A leader that may have lost its lease since its last commit sends nothing; the next leader resends.
        if !prepared.isEmpty { try await dependencies.journalSink?.confirmActing() }
        let runner = self.runner
        let answers = await withTaskGroup(of: (Int, StepAttempt).self) { group in
            for (index, item) in prepared.enumerated() {
                group.addTask { (index, await runner.send(item.3, action: item.1, environment: item.2)) }
            }
            var answers = [StepAttempt?](repeating: nil, count: prepared.count)
            for await (index, answer) in group { answers[index] = answer }
            return answers
        }
        for (index, item) in prepared.enumerated() {
            guard let answer = answers[index] else { continue }
            dependencies.observer(.answered(step: item.0.planned.key, incident: item.0.incident, attempt: answer))
            let now = dependencies.clock.now()
            for event in machine.answered(item.0, answer, at: now) { try await record(event, at: now) }
        }
    }

    private func started(_ call: StepCall, request: String, at now: Date) async throws {
        try await record(
            .stepStarted(
                StepStarted(
                    incident: call.incident, step: call.planned.key, phase: call.planned.phase, attempt: call.attempt,
                    idempotencyKey: call.idempotencyKey, request: request)), at: now)
    }

    /// Journals (fsync'ed) and then applies a record; in a cluster, commits it to the shared journal first.
    func record(_ event: JournalEvent, at time: Date) async throws {
        let record = JournalRecord(ts: time, event: event)
        // A record the shared journal refuses (a deposed leader, no etcd quorum) is never applied or acted on.
        try await dependencies.journalSink?.commit(record)
        let position = try store.append(record)
        machine.apply(record)
        machine.setJournalPosition(position)
        dependencies.observer(.journaled(record))
    }

}

// MARK: - Maintenance and the monitor's own network

extension Engine {
    /// Moves channels into and out of their planned windows; a window's start fires `maintenance` playbooks.
    func advanceMaintenance(at now: Date) async throws {
        for channel in workspace.channels {
            var health = state.channels[channel.id] ?? ChannelHealth()
            let window = workspace.maintenanceWindow(for: channel, at: now)
            let change = window == nil ? health.leaveMaintenance(at: now) : health.enterMaintenance(at: now)
            guard let change else { continue }
            let note = window.map { window in
                "planned maintenance until \(LocalTime.iso8601(window.to, in: workspace.settings.timeZone))\(window.note.isEmpty ? "" : ": \(window.note)")"
            }
            // The window's `maintenance` notice follows from the journaled health (IncidentMachine.noticesDue).
            try await record(
                .channelHealth(ChannelHealthChanged(channel: channel.id, health: health, change: change, evidence: note)), at: now)
        }
    }

    /// The full round that shows the monitor's own network is down, or nil when it is not.
    ///
    /// Any HTTP answer, of any status, proves the network works. Only when every due channel failed
    /// at the transport level (DNS, connect, TLS, timeout) are the other channels and the canaries
    /// probed too; the monitor is offline when every one of them failed the same way. Without
    /// canaries at least two channels must have been probed, so one real outage is never mistaken for it.
    fileprivate func monitorOffline(_ verdicts: [ChannelVerdict], probeable: [Channel], at now: Date) async throws -> [ChannelVerdict]? {
        let canaries = workspace.settings.canary
        var round = verdicts
        var offline = false
        if !verdicts.isEmpty, verdicts.allSatisfy(\.failedInTransport) {
            let probed = Set(verdicts.map(\.channel))
            let others = probeable.filter { !probed.contains($0.id) }
            round += others.isEmpty ? [] : await ProbeRound(dependencies: dependencies).run(others, now: now)
            if round.allSatisfy(\.failedInTransport), round.count >= 2 || !canaries.isEmpty {
                offline = canaries.isEmpty ? true : !(await ProbeRound(dependencies: dependencies).canariesAnswer(canaries))
            }
        }
        let status = MonitorStatus(channels: round.map(\.channel), canaries: canaries.count, evidence: round.first?.reason)
        if !offline {
            if state.monitorOfflineSince != nil, verdicts.contains(where: { !$0.failedInTransport }) { try await record(.monitorOnline(status), at: now) }
            return nil
        }
        // The `offline` notices follow from the journaled state (IncidentMachine.noticesDue).
        if state.monitorOfflineSince == nil { try await record(.monitorOffline(status), at: now) }
        // Counted as nothing: check again soon, without journaling each round.
        for verdict in round {
            guard let channel = workspace.channel(verdict.channel) else { continue }
            var health = state.channels[channel.id] ?? ChannelHealth()
            health.lastProbeAt = now
            health.nextDueAt = now.addingTimeInterval(channel.schedule.confirmEvery.timeInterval)
            machine.setHealth(health, for: channel.id)
            dependencies.observer(.probed(verdict, at: now))
        }
        return round
    }
}

extension ChannelVerdict {
    /// Every probe failed before any HTTP answer came (DNS, connect, TLS, timeout): says nothing
    /// about the channel, and may mean the monitor's own network is down.
    public var failedInTransport: Bool {
        !results.isEmpty
            && results.allSatisfy { result in
                guard let kind = result.failure?.kind else { return false }
                return kind == .dns || kind == .connect || kind == .tls || kind == .timeout
            }
    }
}
