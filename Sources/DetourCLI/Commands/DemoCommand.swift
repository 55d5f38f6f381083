import DetourCore
import DetourSandbox
import Foundation

/// `detour demo`: the example workspace against the embedded sandbox — an outage from first
/// failed probe to the lost-sale report, on a simulated clock so it takes seconds.
struct DemoCommand: Command {
    static let name = "demo"
    static let abstract = "Run the workspace against the embedded sandbox: outage, failover, recovery, report"
    static let discussion = """
        Starts the sandbox on 127.0.0.1, sends every probe and every playbook request there
        (nothing leaves the machine), takes a channel down, and prints the timeline. Time is
        simulated: each pass jumps to the next due probe, so a 30-minute outage takes seconds.
        Credentials the playbooks reference but the environment lacks get demo values.
        """
    static let channel = Option.channel(help: "the channel to take down (default: the mall with the most revenue)")
    static let outage = Option.duration("outage", help: "how long the outage lasts (default: 30m)")
    static let start = Option.time("start", help: "when the simulated clock starts (default: \(DemoCommand.defaultStart), Black Friday evening)")
    static let options: [any OptionDeclaration] = [channel, outage, start]

    let channelID: ChannelID?
    let outage: Duration
    let start: TimeArgument

    /// A fixed start makes every run tell the same story, inside the example calendar's sale.
    static let defaultStart = "2026-11-27T20:00"

    init(_ parsed: ParsedArguments) throws(UsageError) {
        channelID = try parsed.value(Self.channel)
        outage = try parsed.value(Self.outage) ?? .seconds(30 * 60)
        if let given = try parsed.value(Self.start) {
            start = given
        } else {
            start = try TimeArgument(option: Self.start.spec.name, text: Self.defaultStart, durations: nil)
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let loaded = WorkspaceSession.load(context) else { return .invalidWorkspace }
        let workspace = loaded.workspace
        // A mistyped --channel is refused: taking another channel down instead would tell the wrong story.
        guard
            let target = try channelID?.resolve(in: workspace) ?? workspace.channels.filter({ $0.kind == .mall }).max(by: {
                ($0.revenue?.perHour ?? 0) < ($1.revenue?.perHour ?? 0)
            })
                ?? workspace.channels.first
        else {
            throw UsageError(description: "the workspace has no channel to take down; add one in channels/")
        }
        let startDate = try start.date(now: Date(), zone: workspace.settings.timeZone)
        guard let sandbox = startSandbox(context) else { return .failure }
        defer { sandbox.stop() }
        for channel in workspace.channels {
            let hosts = Set(channel.probes.compactMap { URL(string: $0.url)?.host })
            let markers = channel.probes.flatMap(\.expect.bodyContains)
            let body =
                "<html><head><meta charset=\"utf-8\"><title>\(channel.name)</title></head><body><h1>\(channel.name)</h1>\(markers.map { "<p>\($0)</p>" }.joined())</body></html>"
            sandbox.addStorefront(channel.id, hosts: Array(hosts), healthyBody: body)
        }
        // Demo credentials only for what the environment lacks; real ones stay masked as always.
        var environment = context.environment
        for name in workspace.environmentReferences where (environment[name] ?? "").isEmpty {
            environment[name] = "demo-\(name.lowercased())-value"
        }
        let stateDirectory = context.stateDirOverride ?? NSTemporaryDirectory() + "detour-demo-\(getpid())"
        let clock = SimulatedClock(startDate)
        let printer = TimelinePrinter(console: context.console, workspace: workspace, l10n: context.l10n)
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let secrets = SecretResolver(environment: environment, workspaceRoot: workspace.root, redactor: context.console.redactor)
        let console = context.console
        try? FileManager.default.removeItem(atPath: stateDirectory)
        let engine = try Engine(
            dependencies: EngineDependencies(
                workspace: workspace, http: http, clock: clock, secrets: secrets, redirect: URLRedirect(base: sandbox.baseURL),
                observer: printer.handle),
            stateDirectory: stateDirectory)
        console.out(
            "Detour demo — sandbox on \(sandbox.baseURL); \(workspace.channels.count) channels, \(workspace.playbooks.count) playbooks; simulated clock")
        console.out("")
        try await engine.runPass()
        console.out("\(printer.clock(clock.now()))  all channels probed: \(await upCount(engine, workspace)) of \(workspace.channels.count) up")
        try await advance(engine, clock, by: .seconds(120))

        sandbox.setMode(.down, for: target.id)
        console.out("\(printer.clock(clock.now()))  [sandbox] \(target.name) starts answering 503 Service Unavailable")
        let outageStart = clock.now()
        guard try await passUntil(engine, clock, limit: 200, { state in state.openIncident(for: target.id)?.mitigatedAt != nil }) else {
            console.err("error: the outage of \(target.id) was not mitigated; see the timeline above")
            return .failure
        }
        try await advance(engine, clock, until: outageStart.addingTimeInterval(outage.timeInterval))

        sandbox.setMode(.healthy, for: target.id)
        console.out("\(printer.clock(clock.now()))  [sandbox] \(target.name) answers normally again")
        guard try await passUntil(engine, clock, limit: 200, { state in state.openIncident(for: target.id) == nil }) else {
            console.err("error: the incident of \(target.id) did not resolve; see the timeline above")
            return .failure
        }

        let requests = sandbox.requests()
        console.out("\nThe sandbox received \(requests.count) playbook requests:")
        for request in requests {
            console.out("  \(request.method) \(request.host)\(request.path) → \(request.answeredStatus)")
        }
        console.out("\nLost-sale report:")
        console.raw(LostSaleReport(state: await engine.state, workspace: workspace, now: clock.now()).table())
        console.out("\nState kept in \(stateDirectory); try: detour report --state-dir \(stateDirectory)")
        return .ok
    }

    private func upCount(_ engine: Engine, _ workspace: Workspace) async -> Int {
        let state = await engine.state
        return workspace.channels.filter { (state.channels[$0.id]?.state ?? .up) == .up }.count
    }

    /// Runs passes at each due time until `done` holds; false if it never does within `limit` passes.
    private func passUntil(_ engine: Engine, _ clock: SimulatedClock, limit: Int, _ done: (DetourState) -> Bool) async throws -> Bool {
        for _ in 0..<limit {
            clock.set(await engine.nextWakeUp())
            try await engine.runPass()
            if done(await engine.state) { return true }
        }
        return false
    }

    private func advance(_ engine: Engine, _ clock: SimulatedClock, by duration: Duration) async throws {
        try await advance(engine, clock, until: clock.now().addingTimeInterval(duration.timeInterval))
    }

    private func advance(_ engine: Engine, _ clock: SimulatedClock, until deadline: Date) async throws {
        while true {
            let wake = await engine.nextWakeUp()
            guard wake < deadline else { break }
            clock.set(wake)
            try await engine.runPass()
        }
        clock.set(deadline)
    }
}
