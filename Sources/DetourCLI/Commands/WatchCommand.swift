import DetourCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `detour watch`: the tick loop as a daemon, sleeping until the next channel is due.
struct WatchCommand: Command {
    static let name = "watch"
    static let abstract = "Run as a daemon: probe each channel on its schedule and act at once"
    static let discussion = """
        Takes the run lock for each pass only, so operators' 'failover' and 'restore' commands
        and cron ticks can run alongside. SIGTERM or SIGINT finish the pass in flight and exit 0.
        SIGHUP reloads the workspace if it passes 'detour check'; otherwise the daemon keeps the
        one it has, says why, and journals workspace.invalid. Started on a workspace with errors,
        it runs on the last good copy (see 'detour status').
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
        if context.environment["DETOUR_NOW"]?.isEmpty == false {
            context.console.err("error: DETOUR_NOW pins the clock; watch needs the real one. Unset it, or use 'detour tick' to rehearse")
            return .usage
        }
        let http = makeHTTPClient(maxConcurrent: session.workspace.settings.maxConcurrentProbes)
        defer { http.shutdown() }
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, verbose: verbose)
        let stop = StopSignal()
        let outputs = PassOutputs(
            workspace: session.workspace, metricsFile: metricsFile, workingDirectory: FileManager.default.currentDirectoryPath,
            stateDirectory: session.stateDirectory)
        let engine: Engine
        do {
            engine = try session.engine(http: http) { event in
                printer.handle(event)
                outputs.observe(event)
            }
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
        let validity = WorkspaceValidity(session.fallback?.record)
        let reload = ReloadSignal { await Self.reload(engine, session, validity) }
        let loop = Task {
            do {
                context.console.out("watching \(session.workspace.channels.count) channels; state in \(session.stateDirectory)")
                while !stop.requested {
                    if let lock = try await session.lock(patience: .seconds(30)) {
                        try await engine.noteWorkspace(validity.current, running: session.workspace, at: try session.clock().now())
                        try await engine.runPass()
                        if outputs.isEnabled {
                            _ = outputs.write(state: await engine.state, now: try session.clock().now(), console: context.console)
                        }
                        lock.release()
                    }
                    let wake = await engine.nextWakeUp()
                    try await stop.sleep(until: wake)
                }
                return ExitCode.ok
            } catch is CancellationError {
                return ExitCode.ok
            } catch {
                context.console.err("error: \(error.message)")
                return ExitCode.failure
            }
        }
        stop.install(onSignal: {
            context.console.out("stopping after the pass in flight")
        })
        let status = await loop.value
        reload.cancel()
        return status
    }

    /// Reloads the workspace into the engine only when it is valid; the next pass journals the change.
    static func reload(_ engine: Engine, _ session: WorkspaceSession, _ validity: WorkspaceValidity) async {
        let context = session.context
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        guard let workspace = load.workspace else {
            for diagnostic in load.diagnostics where diagnostic.severity == .error { context.console.err(diagnostic.description) }
            context.console.err("reload refused: the workspace has errors (above); still running the previous one")
            let errors = load.diagnostics.filter { $0.severity == .error }
            validity.current = WorkspaceInvalid(
                errors: errors.count, files: Array(Set(errors.map(\.location.file))).sorted(),
                fingerprint: WorkspaceSession.fingerprint(errors), lastGoodAt: LastGoodWorkspace(stateDirectory: session.stateDirectory).manifest()?.takenAt)
            return
        }
        validity.current = nil
        context.outcome.runsOnValidWorkspace()
        do {
            try LastGoodWorkspace(stateDirectory: session.stateDirectory).save(
                from: workspace.root, environment: context.environment, at: (try? session.clock().now()) ?? Date())
        } catch {
            context.console.err("warning: cannot keep the last good workspace: \(error.message)")
        }
        await engine.reload(workspace)
        context.console.out("reloaded: \(workspace.channels.count) channels, \(workspace.playbooks.count) playbooks")
    }
}

/// Whether the workspace on disk has errors, as the daemon last saw it (at start or at SIGHUP).
final class WorkspaceValidity: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: WorkspaceInvalid?

    /// Starts with what the daemon was started on.
    init(_ value: WorkspaceInvalid?) { self.value = value }

    /// The errors, or nil while it is valid.
    var current: WorkspaceInvalid? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// SIGHUP turned into a call; the handler runs on its own task so the loop is never blocked.
final class ReloadSignal: @unchecked Sendable {
    // @unchecked: the source is set once in init and only cancelled afterwards (thread-safe in Dispatch).
    private let source: DispatchSourceSignal

    init(_ handler: @escaping @Sendable () async -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { Task { await handler() } }
        source.resume()
    }

    func cancel() { source.cancel() }
}

/// SIGTERM/SIGINT turned into a flag plus a wake-up for the sleeping loop.
final class StopSignal: @unchecked Sendable {
    // @unchecked: `stopped` and `waiter` are only touched under `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var sources: [DispatchSourceSignal] = []

    var requested: Bool { lock.withLock { stopped } }

    func install(onSignal: @escaping @Sendable () -> Void) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                onSignal()
                self?.trigger()
            }
            source.resume()
            sources.append(source)
        }
    }

    private func trigger() {
        let continuation = lock.withLock {
            stopped = true
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    /// Sleeps until the deadline or a stop signal, whichever is first.
    func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        guard interval > 0, !requested else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = lock.withLock {
                if stopped { return true }
                waiter = continuation
                return false
            }
            if alreadyStopped {
                continuation.resume()
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + min(interval, DurationText.longest.timeInterval)) { [weak self] in
                let pending = self?.lock.withLock {
                    defer { self?.waiter = nil }
                    return self?.waiter
                }
                pending?.resume()
            }
        }
    }
}
