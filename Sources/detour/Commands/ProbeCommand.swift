import DetourCore
import Foundation

/// `detour probe`: probes channels now and prints each result; changes no state.
struct ProbeCommand: Command {
    static let name = "probe"
    static let abstract = "Probe channels now and print every result (changes no state)"
    static let discussion = "Exits 0 when every critical probe passed, 1 otherwise."
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "channels to probe (default: all)", repeating: true, required: false)]

    let channels: [String]

    init(_ parsed: ParsedArguments) throws { channels = parsed.positionals }

    func run(_ context: CommandContext) async -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        var selected = session.workspace.channels
        if !channels.isEmpty {
            for id in channels where session.workspace.channel(id) == nil {
                context.console.err("error: unknown channel \"\(id)\"; channels: \(session.workspace.channels.map(\.id).joined(separator: ", "))")
                return .usage
            }
            selected = channels.compactMap { session.workspace.channel($0) }
        }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let dependencies = EngineDependencies(workspace: session.workspace, http: http, clock: SystemClock(), secrets: session.secrets)
        // Probing needs no state; a throwaway engine over an empty temporary folder would be wasteful,
        // so probe through the evaluator directly.
        let verdicts = await ProbeRound(dependencies: dependencies).run(selected)
        var allPassed = true
        for verdict in verdicts {
            let channel = session.workspace.channel(verdict.channel)!
            context.console.out("\(channel.name) (\(channel.id)): \(verdict.passed ? "up" : "DOWN")")
            for result in verdict.results {
                let mark = result.passed ? "ok  " : (result.critical ? "FAIL" : "warn")
                context.console.out("  \(mark) \(result.summary)  \(result.url)")
            }
            allPassed = allPassed && verdict.passed
        }
        return allPassed ? .ok : .failure
    }
}
