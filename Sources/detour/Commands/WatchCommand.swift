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
        """
    static let options = [OptionSpec(name: "verbose", short: "v", value: nil, help: "also print probes that passed"), metricsFileOption]

    let verbose: Bool
    let metricsFile: String?

    init(_ parsed: ParsedArguments) throws {
        verbose = parsed.flag("verbose")
        metricsFile = parsed.value("metrics-file")
    }

    func run(_ context: CommandContext) async -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, verbose: verbose)
        let stop = StopSignal()
        let loop = Task {
            do {
                let outputs = PassOutputs(workspace: session.workspace, metricsFile: metricsFile, workingDirectory: FileManager.default.currentDirectoryPath)
                let engine = try session.engine(http: http) { event in
                    printer.handle(event)
                    outputs.observe(event)
                }
                context.console.out("watching \(session.workspace.channels.count) channels; state in \(session.stateDirectory)")
                while !stop.requested {
                    if let lock = try await session.lock(patience: .seconds(30)) {
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
        return await loop.value
    }
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
            DispatchQueue.global().asyncAfter(deadline: .now() + interval) { [weak self] in
                let pending = self?.lock.withLock {
                    defer { self?.waiter = nil }
                    return self?.waiter
                }
                pending?.resume()
            }
        }
    }
}
