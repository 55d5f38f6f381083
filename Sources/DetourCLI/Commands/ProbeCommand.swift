import DetourCore
import Foundation

/// `detour probe`: probes channels now and prints each result; changes no state.
struct ProbeCommand: Command {
    static let name = "probe"
    static let abstract = "Probe channels now and print every result (changes no state)"
    static let discussion = """
        Each failed probe says its class (dns, connect, tls, timeout, http, condition), what was
        expected and what came back. Exits 0 when every critical probe passed, 1 otherwise.
        """
    static let bench = Flag("bench", help: "print only the totals and the round's wall time (for bench/probe)")
    static let options: [any OptionDeclaration] = [bench]
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "channels to probe (default: all)", repeating: true, required: false)]

    let channels: [ChannelID]
    let bench: Bool

    init(_ parsed: ParsedArguments) {
        channels = parsed.positionals.map(ChannelID.init)
        bench = parsed.flag(Self.bench)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        let workspace = session.workspace
        var selected = workspace.channels
        if !channels.isEmpty { selected = try channels.map { id throws(UsageError) in try id.resolve(in: workspace) } }
        let http = makeHTTPClient(maxConcurrent: workspace.settings.maxConcurrentProbes)
        defer { http.shutdown() }
        let dependencies = EngineDependencies(workspace: workspace, http: http, clock: SystemClock(), secrets: session.secrets)
        let now: Date
        do { now = try session.clock().now() } catch {
            context.console.err("error: \(error.message)")
            return .usage
        }
        // Probing needs no state, so it goes through the round directly rather than an engine.
        let started = ContinuousClock.now
        let verdicts = await ProbeRound(dependencies: dependencies).run(selected, now: now)
        let elapsed = ContinuousClock.now - started
        let allPassed = verdicts.allSatisfy(\.passed)
        if bench {
            let results = verdicts.flatMap(\.results)
            let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
            let failed = results.filter { !$0.passed }
            context.console.out(
                String(
                    format: "probes %d failed %d seconds %.3f per_second %.0f", results.count, failed.count, seconds, Double(results.count) / max(seconds, 1e-9)
                ))
            if let first = failed.first { context.console.out("first failure: \(first.summary)") }
            return allPassed ? .ok : .failure
        }
        for verdict in verdicts {
            let channel = workspace.channel(verdict.channel)!
            let window = workspace.maintenanceWindow(for: channel, at: now)
            let state = window != nil ? "maintenance (planned)" : verdict.passed ? (verdict.degraded ? "degraded" : "up") : "DOWN"
            context.console.out("\(channel.name) (\(channel.id)): \(state)")
            for result in verdict.results {
                let mark = result.passed ? (result.slow == nil ? "ok  " : "slow") : (result.critical ? "FAIL" : "warn")
                context.console.out("  \(mark) \(result.summary)  \(result.url)")
            }
        }
        return allPassed ? .ok : .failure
    }
}
