import DetourConsole
import DetourCore
import DetourServer
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
        and cron ticks can run alongside. One watch per state folder: a second one exits 1 and
        names the first one's pid. SIGTERM or SIGINT finish the pass in flight and exit 0.
        SIGHUP reloads the workspace, between passes, if it passes 'detour check'; otherwise the
        daemon keeps the one it has, says why, and journals workspace.invalid. Started on a
        workspace with errors, it runs on the last good copy (see 'detour status').
        With --listen it also serves the status page, /healthz, /hb/<token> and the console
        (see docs/console.md); only on this machine unless --public.
        """
    static let listen = Option.string(
        "listen", value: "HOST:PORT", help: "also serve the status page and the console here (127.0.0.1:8080; port 0 picks one)")
    static let publicFlag = Flag("public", help: "allow --listen on an address other machines can reach (put TLS in front)")
    static let options: [any OptionDeclaration] = [verboseFlag, metricsFileOption, listen, publicFlag]

    let verbose: Bool
    let metricsFile: PathArgument?
    let listenText: String?
    let isPublic: Bool

    init(_ parsed: ParsedArguments) throws(UsageError) {
        verbose = parsed.flag(verboseFlag)
        metricsFile = try parsed.value(metricsFileOption)
        listenText = try parsed.value(Self.listen)
        isPublic = parsed.flag(Self.publicFlag)
    }

    func validate() throws(UsageError) {
        guard let listenText else {
            if isPublic { throw UsageError(description: "--public only applies with --listen; write --listen 0.0.0.0:8080 --public") }
            return
        }
        guard let address = ListenAddress(parsing: listenText) else {
            throw UsageError(description: "--listen \"\(listenText)\" is not HOST:PORT; write --listen 127.0.0.1:8080 (a numeric address and a port)")
        }
        if !address.isLoopback, !isPublic {
            throw UsageError(
                description:
                    "--listen \(address) would serve other machines; add --public to mean it (behind TLS, see docs/console.md), or write --listen 127.0.0.1:\(address.port)"
            )
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard var session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        if context.environment["DETOUR_NOW"]?.isEmpty == false {
            context.console.err("error: DETOUR_NOW pins the clock; watch needs the real one. Unset it, or use 'detour tick' to rehearse")
            return .usage
        }
        // One daemon per state folder, for its whole life; cron ticks and operators still take turns per pass.
        let daemonLock: RunLock
        do {
            let store = try StateStore(directory: session.stateDirectory)
            guard let lock = try store.tryWatchLock() else {
                let holder = store.watchLockHolder().map { "pid \($0)" } ?? "another process"
                context.console.err(
                    "error: detour watch is already running on \(session.stateDirectory) (\(holder)); "
                        + "stop it before starting another, or give this one its own --state-dir")
                return .failure
            }
            daemonLock = lock
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
        defer { daemonLock.release() }
        let http = makeHTTPClient(maxConcurrent: session.workspace.settings.maxConcurrentProbes)
        defer { http.shutdown() }
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, verbose: verbose, l10n: context.l10n)
        let stop = StopSignal()
        let outputs = PassOutputs(
            workspace: session.workspace, metricsFile: metricsFile, workingDirectory: FileManager.default.currentDirectoryPath,
            stateDirectory: session.stateDirectory)
        let web: ConsoleWeb?
        do {
            web = try listenText.flatMap(ListenAddress.init(parsing:)).map { address in
                try ConsoleWeb.start(address, session: session, http: http, printer: printer, console: context.console)
            }
        } catch {
            context.console.err("error: \(error)")
            return .failure
        }
        defer { web?.shutdown() }
        if let cluster = session.workspace.settings.cluster {
            guard var run = ClusterRun(session: session, settings: cluster, http: http) else { return .failure }
            return await run.watch(printer: printer, outputs: outputs, web: web)
        }
        let validity = WorkspaceValidity(session.fallback?.record)
        let reloads = ReloadSignal { stop.requestReload() }
        let loop = Task {
            do {
                context.console.out("watching \(session.workspace.channels.count) channels; state in \(session.stateDirectory)")
                var engine: Engine?
                var wake = Date.distantPast
                while !stop.requested {
                    // Between passes only: a pass always runs on one workspace from start to end.
                    if stop.takeReload() {
                        session = await Self.reload(session, into: engine, context, validity: validity)
                        web?.update(session)
                    }
                    if Date() >= wake, let lock = try await session.lock(patience: .seconds(30)) {
                        // Built under the lock: opening the state repairs a torn journal tail, which must not cut a
                        // line another run is appending.
                        let current =
                            try engine
                            ?? session.engine(http: http) { event in
                                printer.handle(event)
                                outputs.observe(event)
                                web?.observe(event, mask: context.console.redactor.mask)
                            }
                        engine = current
                        try await current.noteWorkspace(validity.current, running: session.workspace, at: try session.clock().now())
                        do {
                            try await current.runPass()
                        } catch {
                            await HeartbeatPing.send(session, ok: false, console: context.console)
                            throw error
                        }
                        await HeartbeatPing.send(session, ok: true, console: context.console)
                        web?.passed(state: await current.state)
                        if outputs.isEnabled {
                            _ = outputs.write(state: await current.state, now: try session.clock().now(), console: context.console)
                        }
                        lock.release()
                    }
                    wake = await engine?.nextWakeUp() ?? Date().addingTimeInterval(1)
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
        reloads.cancel()
        return status
    }

    /// Loads the workspace again; a valid one replaces the session's (and the engine's), an invalid one is refused.
    static func reload(
        _ session: WorkspaceSession, into engine: Engine?, _ context: CommandContext, validity: WorkspaceValidity
    ) async -> WorkspaceSession {
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        guard let workspace = load.workspace else {
            for diagnostic in load.diagnostics where diagnostic.severity == .error { context.console.err(diagnostic.description) }
            context.console.err("reload refused: the workspace has errors (above); still running the previous one")
            // The next pass journals workspace.invalid (once per set of errors), which tells the team.
            let errors = load.diagnostics.filter { $0.severity == .error }
            validity.current = WorkspaceInvalid(
                errors: errors.count, files: Array(Set(errors.map(\.location.file))).sorted(),
                fingerprint: WorkspaceSession.fingerprint(errors), lastGoodAt: LastGoodWorkspace(stateDirectory: session.stateDirectory).manifest()?.takenAt)
            return session
        }
        let reloaded = WorkspaceSession(
            context: session.context, workspace: workspace,
            stateDirectory: WorkspaceSession.resolve(context.stateDirOverride ?? workspace.settings.stateDir, in: workspace.root), fallback: nil)
        guard reloaded.stateDirectory == session.stateDirectory else {
            // The daemon's locks and journal stay where they were taken.
            context.console.err(
                "reload refused: stateDir changed from \(session.stateDirectory) to \(reloaded.stateDirectory); restart watch to move the state")
            return session
        }
        validity.current = nil
        context.outcome.runsOnValidWorkspace()
        do {
            try LastGoodWorkspace(stateDirectory: session.stateDirectory).save(
                from: workspace.root, environment: context.environment, at: (try? session.clock().now()) ?? Date())
        } catch {
            context.console.err("warning: cannot keep the last good workspace: \(error.message)")
        }
        await engine?.reload(workspace)
        context.console.out("reloaded: \(workspace.channels.count) channels, \(workspace.playbooks.count) playbooks")
        return reloaded
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

/// SIGHUP turned into a call; the handler only records the request, the watch loop applies it between passes.
final class ReloadSignal: @unchecked Sendable {
    // @unchecked: the source is set once in init and only cancelled afterwards (thread-safe in Dispatch).
    private let source: DispatchSourceSignal

    init(_ handler: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { handler() }
        source.resume()
    }

    func cancel() { source.cancel() }
}

/// SIGTERM/SIGINT turned into a flag plus a wake-up for the sleeping loop; a requested reload wakes it too.
final class StopSignal: @unchecked Sendable {
    // @unchecked: `stopped`, `reloadPending` and `waiter` are only touched under `lock`.
    private let lock = NSLock()
    private var stopped = false
    private var reloadPending = false
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

    /// Records a reload for the loop to apply between passes, and ends the current sleep so it happens soon.
    func requestReload() {
        let continuation = lock.withLock {
            reloadPending = true
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume()
    }

    /// Whether a reload was requested since the last call; clears the request.
    func takeReload() -> Bool {
        lock.withLock {
            defer { reloadPending = false }
            return reloadPending
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
                // Checked under the lock that `requestReload` takes, so a reload asked for during the pass is not slept through.
                if stopped || reloadPending { return true }
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
