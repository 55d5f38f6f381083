import Foundation

/// Runs a workspace through a timeline on a simulated clock, in process, against the sandbox's
/// fakes, and accounts for every outage: what Detour did, when, and what it was worth.
///
/// Nothing leaves the machine: every probe goes to a sandbox storefront, every step request to the
/// sandbox's provider fakes, and every `env:` credential is a stand-in. The state lives in a folder of
/// its own, never the workspace's.
public struct Simulator: Sendable {
    /// The workspace as the merchant wrote it.
    public var workspace: Workspace
    /// The failures to run through.
    public var timeline: Timeline
    /// Tick or watch.
    public var runsAs: RunsAs
    /// Settings changed for the run.
    public var overrides: [SettingOverride]
    /// The fakes.
    public var sandbox: any SimulationSandbox
    /// The HTTP client (to the sandbox only).
    public var http: HTTPClient
    /// A fresh folder for the run's state (removed and recreated).
    public var stateDirectory: String

    /// Creates a simulation.
    public init(
        workspace: Workspace, timeline: Timeline, runsAs: RunsAs = .watch, overrides: [SettingOverride] = [], sandbox: any SimulationSandbox,
        http: HTTPClient, stateDirectory: String
    ) {
        self.workspace = workspace
        self.timeline = timeline
        self.runsAs = runsAs
        self.overrides = overrides
        self.sandbox = sandbox
        self.http = http
        self.stateDirectory = stateDirectory
    }

    /// The workspace as the run sees it: settings overridden, the timeline's sales in the
    /// calendar, every probe pointed at its channel's sandbox storefront, providers at their
    /// public hosts (which the redirect sends to the sandbox's fakes).
    public func simulatedWorkspace() throws -> Workspace {
        var simulated = workspace
        for override in overrides {
            if let id = override.channel, workspace.channel(id) == nil {
                let suggestion = closestMatch(to: id, in: workspace.channels.map(\.id)).map { "did you mean \($0)? " } ?? ""
                throw SimulationOptionError(
                    description:
                        "--settings \(override): no channel \"\(id)\"; \(suggestion)write one of \(workspace.channels.map(\.id).joined(separator: ", "))")
            }
        }
        // A simulated year replays probe answers; heartbeat channels' jobs do not run in it, so they are left out.
        simulated.channels = try workspace.channels.filter { $0.kind != .heartbeat }.map { channel in
            var channel = channel
            for override in overrides where override.channel == nil || override.channel == channel.id { channel = try override.apply(to: channel) }
            channel.probes = channel.probes.enumerated().map { index, probe in
                var probe = probe
                probe.url = "\(sandbox.baseURL)/store/\(channel.id)/\(index)"
                return probe
            }
            return channel
        }
        simulated.settings.calendar.sales = (workspace.settings.calendar.sales + timeline.sales).sorted { $0.from < $1.from }
        // Each provider is the sandbox's fake of its public API, found by its public host.
        simulated.settings.providers = [:]
        return simulated
    }

    /// Credentials as the run uses them: a stand-in for every one the workspace references, so
    /// even the sandbox never sees a real token.
    public static func standInEnvironment(_ workspace: Workspace) -> [String: String] {
        var environment: [String: String] = [:]
        for name in workspace.environmentReferences { environment[name] = "simulated-\(name.lowercased())" }
        return environment
    }

    /// Runs the timeline and returns what happened.
    public func run() async throws -> SimulationResult {
        let simulated = try simulatedWorkspace()
        for channel in simulated.channels {
            sandbox.addStorefront(channel.id, healthyBody: Self.healthyPage(channel))
            sandbox.setStorefront(channel.id, failing: nil)
        }
        // A provider left failing by an earlier run (a sweep) answers normally again.
        for fault in timeline.providerFaults { for host in fault.hosts { sandbox.failProvider(host: host, status: nil) } }
        try? FileManager.default.removeItem(atPath: stateDirectory)
        let start = timeline.runStart
        let end = timeline.runEnd
        let clock = ManualClock(start)
        let log = SimulationLog(workspace: simulated, clock: clock)
        let secrets = SecretResolver(environment: Self.standInEnvironment(simulated), workspaceRoot: simulated.root)
        let engine = try Engine(
            dependencies: EngineDependencies(
                workspace: simulated, http: http, clock: clock, secrets: secrets, redirect: URLRedirect(base: sandbox.baseURL), observer: log.handle),
            stateDirectory: stateDirectory)

        var transitions = FaultTransitions(timeline)
        var faults: [String: FaultShape] = [:]
        var answers = await warmUp(simulated)
        var lastPass: Date?
        var passes = 0
        var realPasses = 0
        var skipped = 0
        let tick: Duration? = if case .tick(let interval) = runsAs { interval } else { nil }
        while true {
            // Stretches where every channel due answers normally are moved through in memory.
            let healthy = Set(simulated.channels.map(\.id).filter { faults[$0] == nil })
            if let moved = await engine.fastForward(healthy: healthy, before: transitions.nextTime ?? end, tick: tick, lastPass: lastPass) {
                lastPass = moved
                skipped += 1
            }
            let wake = await engine.nextWakeUp()
            var passTime = max(wake, clock.now())
            if case .tick(let interval) = runsAs {
                // A cron run at each whole interval; a channel due a few seconds after one is probed by it.
                let earliest = max(wake.addingTimeInterval(-5), lastPass.map { $0.addingTimeInterval(interval.timeInterval) } ?? .distantPast)
                passTime = max(Self.boundary(atOrAfter: earliest, every: interval), clock.now())
            }
            // Failures that begin or end before the pass are in force for it.
            for change in transitions.due(through: passTime) { apply(change, to: &faults) }
            guard passTime < end else { break }
            clock.set(passTime)
            var known: [String: ChannelVerdict] = [:]
            for channel in simulated.channels {
                if let verdict = answers[Self.answerKey(channel.id, faults[channel.id])] { known[channel.id] = verdict }
            }
            let probed: [String]
            if let simulatedProbes = try await engine.simulatedPass(answers: known) {
                probed = simulatedProbes
            } else {
                log.startRound()
                try await engine.runPass()
                realPasses += 1
                let round = log.round()
                for verdict in round { answers[Self.answerKey(verdict.channel, faults[verdict.channel])] = verdict }
                probed = round.map(\.channel)
            }
            passes += 1
            lastPass = passTime
            // A captcha is one answer: the round that met it used it up.
            for channel in probed where faults[channel] == .captcha {
                faults[channel] = nil
                sandbox.setStorefront(channel, failing: nil)
            }
        }
        try await engine.saveSnapshot()
        let state = await engine.state
        return SimulationResult(
            workspace: simulated, timeline: timeline, state: state, notices: log.notices(), runsAs: runsAs, overrides: overrides, start: start, end: end,
            passes: passes, realPasses: realPasses)
    }

    /// Asks the sandbox once, all at the same time, how each channel answers in each shape the
    /// timeline gives it: a timeout then costs one probe timeout for the whole run, not one per channel.
    private func warmUp(_ simulated: Workspace) async -> [String: ChannelVerdict] {
        var shapes: [(channel: Channel, shape: FaultShape?)] = simulated.channels.map { ($0, nil) }
        var seen = Set(shapes.map { Self.answerKey($0.channel.id, nil) })
        for event in timeline.events where event.shape != .captcha {
            guard let channel = simulated.channel(event.channel), seen.insert(Self.answerKey(channel.id, event.shape)).inserted else { continue }
            shapes.append((channel, event.shape))
        }
        var probed: [Channel] = []
        for (index, item) in shapes.enumerated() {
            // A storefront of its own per shape, so every shape is asked at once.
            let name = "\(item.channel.id)~\(index)"
            sandbox.addStorefront(name, healthyBody: Self.healthyPage(item.channel))
            sandbox.setStorefront(name, failing: item.shape)
            var channel = item.channel
            channel.probes = channel.probes.enumerated().map { probeIndex, probe in
                var probe = probe
                probe.url = "\(sandbox.baseURL)/store/\(name)/\(probeIndex)"
                return probe
            }
            probed.append(channel)
        }
        let verdicts = await ProbeRound(http: http, redirect: URLRedirect(base: sandbox.baseURL), window: 512).run(probed, now: timeline.runStart)
        var answers: [String: ChannelVerdict] = [:]
        for (index, verdict) in verdicts.enumerated() {
            var verdict = verdict
            let channel = shapes[index].channel
            // As if the channel's own storefront had answered.
            for (probeIndex, _) in verdict.results.enumerated() where probeIndex < channel.probes.count {
                verdict.results[probeIndex].url = channel.probes[probeIndex].url
            }
            answers[Self.answerKey(channel.id, shapes[index].shape)] = verdict
        }
        return answers
    }

    /// A storefront page that passes the channel's probes: its name and every `bodyContains` text.
    static func healthyPage(_ channel: Channel) -> String {
        let markers = channel.probes.flatMap(\.expect.bodyContains)
        return "<html><head><meta charset=\"utf-8\"><title>\(HTML.escape(channel.name))</title></head><body><h1>\(HTML.escape(channel.name))</h1>"
            + markers.map { "<p>\(HTML.escape($0))</p>" }.joined() + "</body></html>"
    }

    private func apply(_ change: FaultTransitions.Change, to faults: inout [String: FaultShape]) {
        switch change {
        case .storefront(let channel, let shape):
            faults[channel] = shape
            sandbox.setStorefront(channel, failing: shape)
        case .provider(let fault, let failing):
            for host in fault.hosts { sandbox.failProvider(host: host, status: failing ? fault.answer : nil) }
        }
    }

    /// The answer a channel gives under a failure: a blip answers as a 503 does.
    static func answerKey(_ channel: String, _ shape: FaultShape?) -> String {
        let word = shape.map { $0 == .blip ? FaultShape.unavailable.description : $0.description } ?? "healthy"
        return channel + "\u{1F}" + word
    }

    /// The first whole interval (counted from 1970, so minutes fall on the minute) at or after a time.
    static func boundary(atOrAfter time: Date, every interval: Duration) -> Date {
        let step = max(1, interval.timeInterval)
        return Date(timeIntervalSince1970: (time.timeIntervalSince1970 / step).rounded(.up) * step)
    }
}

/// The timeline's failures as starts and ends in time order.
struct FaultTransitions {
    /// One change to the fakes.
    enum Change {
        /// A storefront starts failing in a shape, or answers normally again (nil).
        case storefront(String, FaultShape?)
        /// A provider starts failing, or answers normally again.
        case provider(ProviderFault, failing: Bool)
    }

    private var changes: [(time: Date, order: Int, change: Change)]
    private var next = 0

    /// The changes of a timeline, in time order.
    init(_ timeline: Timeline) {
        var changes: [(time: Date, order: Int, change: Change)] = []
        // Ends sort before starts at the same instant: one event may follow another directly.
        for event in timeline.events {
            changes.append((event.from, 1, .storefront(event.channel, event.shape)))
            changes.append((event.to, 0, .storefront(event.channel, nil)))
        }
        for fault in timeline.providerFaults {
            changes.append((fault.from, 1, .provider(fault, failing: true)))
            changes.append((fault.to, 0, .provider(fault, failing: false)))
        }
        self.changes = changes.sorted { ($0.time, $0.order) < ($1.time, $1.order) }
    }

    /// When the next change is, if any is left.
    var nextTime: Date? { next < changes.count ? changes[next].time : nil }

    /// The changes at or before a time not yet taken.
    mutating func due(through time: Date) -> [Change] {
        var due: [Change] = []
        while next < changes.count, changes[next].time <= time {
            due.append(changes[next].change)
            next += 1
        }
        return due
    }
}

/// What the engine did during a run, gathered from its observer: each round's answers and every
/// step request that was answered.
final class SimulationLog: @unchecked Sendable {
    // @unchecked: every mutable field is only touched under `lock`.
    private let lock = NSLock()
    private let clock: ManualClock
    private let steps: [String: (provider: String, isPublic: Bool)]
    private var requests: [String: RenderedRequest] = [:]
    private var sent: [SimulatedNotice] = []
    private var verdicts: [ChannelVerdict] = []

    /// Creates a log that knows which steps of the workspace's playbooks reach customers.
    init(workspace: Workspace, clock: ManualClock) {
        self.clock = clock
        var steps: [String: (provider: String, isPublic: Bool)] = [:]
        for playbook in workspace.playbooks {
            for step in playbook.steps {
                let action = step.action.action
                steps["\(playbook.id)/\(step.id)"] = (action.name, action.isPublicNotice)
                steps["\(playbook.id)/\(step.id)/undo"] = (action.name, action.isPublicNotice)
                steps["\(playbook.id)/\(step.id)/recovery"] = (action.name, action.isPublicNotice)
            }
            for step in playbook.recovery {
                steps["\(playbook.id)/\(step.id)/recovery"] = (step.action.action.name, step.action.action.isPublicNotice)
            }
        }
        self.steps = steps
    }

    /// The engine's observer.
    func handle(_ event: EngineEvent) {
        lock.withLock {
            switch event {
            case .probed(let verdict, _):
                verdicts.append(verdict)
            case .sending(let step, let incident, let request):
                let key = incident + "\u{1F}" + step
                if requests[key] == nil { requests[key] = request }
            case .answered(let step, let incident, let attempt):
                guard attempt.outcome == .succeeded, let kind = steps[step] else { return }
                let request = requests[incident + "\u{1F}" + step]
                sent.append(
                    SimulatedNotice(
                        time: clock.now(), incident: incident, step: step, provider: kind.provider, isPublic: kind.isPublic,
                        text: request.map(Self.text) ?? ""))
            case .journaled:
                break
            }
        }
    }

    /// Starts collecting one real round's answers.
    func startRound() { lock.withLock { verdicts.removeAll() } }

    /// The answers of the round since `startRound`.
    func round() -> [ChannelVerdict] { lock.withLock { verdicts } }

    /// Every answered step request, in order.
    func notices() -> [SimulatedNotice] { lock.withLock { sent } }

    /// What a notice said: the first text-like field of its JSON body, or its request line.
    static func text(_ request: RenderedRequest) -> String {
        let body = request.request.body.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if let data = body.data(using: .utf8), let value = try? JSONSerialization.jsonObject(with: data), let text = firstText(value) { return text }
        return request.display
    }

    private static func firstText(_ value: Any) -> String? {
        let keys = ["text", "status", "content", "subject", "summary", "name", "body"]
        if let object = value as? [String: Any] {
            for key in keys { if let text = object[key] as? String, !text.isEmpty { return text } }
            for key in object.keys.sorted() { if let text = firstText(object[key]!) { return text } }
        } else if let array = value as? [Any] {
            for item in array { if let text = firstText(item) { return text } }
        }
        return nil
    }
}
