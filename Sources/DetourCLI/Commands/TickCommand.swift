import DetourCore
import Foundation

/// `detour tick`: one pass for cron — probe what is due, advance health, run or resume playbooks.
struct TickCommand: Command {
    static let name = "tick"
    static let abstract = "One pass for cron: probe what is due, advance state, run or resume playbooks"
    static let discussion = """
        Safe to run every minute: a run that finds another one in progress exits 0 at once, and
        whatever a killed run left half done is resumed without repeating what already happened.
        Ctrl-C or SIGTERM let the step in flight finish and be journaled, then stop (exit 130).
        """
    static let options: [any OptionDeclaration] = [verboseFlag, metricsFileOption]

    let verbose: Bool
    let metricsFile: PathArgument?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        verbose = parsed.flag(verboseFlag)
        metricsFile = try parsed.value(metricsFileOption)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let interruption = Interruption { context.console.err(session.leftAfterInterruption(again: nil)) }
        interruption.install()
        guard let lock = try await session.lock(patience: .zero) else {
            context.console.out("another detour run is in progress (\(session.lockHolder())); nothing to do")
            return .ok
        }
        defer { lock.release() }
        let http = makeHTTPClient(maxConcurrent: session.workspace.settings.maxConcurrentProbes)
        defer { http.shutdown() }
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, verbose: verbose, l10n: context.l10n)
        let outputs = PassOutputs(
            workspace: session.workspace, metricsFile: metricsFile, workingDirectory: FileManager.default.currentDirectoryPath,
            stateDirectory: session.stateDirectory)
        if let cluster = session.workspace.settings.cluster {
            guard let run = ClusterRun(session: session, settings: cluster, http: http) else { return .failure }
            return await run.tick(printer: printer)
        }
        let engine: Engine
        do {
            engine = try session.engine(http: http) { event in
                printer.handle(event)
                outputs.observe(event)
                interruption.observe(event)
            }
            try await session.noteWorkspace(engine)
            try await engine.runPass()
        } catch {
            // Someone off this machine hears that the pass failed (`heartbeat.url` + /fail).
            await HeartbeatPing.send(session, ok: false, console: context.console)
            throw error
        }
        await HeartbeatPing.send(session, ok: true, console: context.console)
        if outputs.isEnabled {
            let written = outputs.write(state: await engine.state, now: try session.clock().now(), console: context.console)
            if !written { return .failure }
        }
        return .ok
    }
}
