import DetourCore
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM for commands that run steps: the step in flight finishes and is
/// journaled, then the command stops, says what is left and which command finishes it.
///
/// The engine tells its observer about every journal record synchronously, right after the
/// fsync, so seeing a `step.finished` here means the step is safely recorded; the process may
/// end there. The lock goes with the process, and the next run resumes from the journal.
final class Interruption: @unchecked Sendable {
    // @unchecked: `sources` (dispatch sources are not Sendable) is only appended to by install(), before any signal is caught.
    /// Which steps have a request out, and whether a signal asked to stop.
    private struct Progress {
        var inFlight: Set<String> = []
        var requested = false
    }

    private let progress = Mutex(Progress())
    private var sources: [DispatchSourceSignal] = []
    private let stop: @Sendable () -> Void

    /// `stop` prints what is left; the process then exits 130.
    init(stop: @escaping @Sendable () -> Void) {
        self.stop = stop
    }

    /// Catches SIGINT and SIGTERM from now on.
    func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.signalled() }
            source.resume()
            sources.append(source)
        }
    }

    /// Follows the engine's journal: which steps have a request out.
    func observe(_ event: EngineEvent) {
        guard case .journaled(let record) = event else { return }
        let done: Bool = progress.withLock { progress in
            switch record.event {
            case .stepStarted(let step): progress.inFlight.insert(step.incident + "/" + step.step)
            case .stepFinished(let step): progress.inFlight.remove(step.incident + "/" + step.step)
            default: break
            }
            return progress.requested && progress.inFlight.isEmpty
        }
        if done { finish() }
    }

    private func signalled() {
        let now: Bool = progress.withLock { progress in
            progress.requested = true
            return progress.inFlight.isEmpty
        }
        if now { finish() }
    }

    private func finish() {
        stop()
        exit(ExitCode.interrupted.rawValue)
    }
}

extension WorkspaceSession {
    /// `interrupted: 2 steps of rakuten-20261202-010000 not run yet (promo/on, line/down); run 'detour tick' to finish`.
    func leftAfterInterruption(again command: String?) -> String {
        guard let state = try? readState() else { return "interrupted; run 'detour status' to see what is left, and 'detour tick' to finish it" }
        var lines: [String] = []
        for incident in state.unresolvedIncidents {
            let pending = workspace.pendingSteps(of: incident)
            guard !pending.isEmpty else { continue }
            let count = pending.count
            lines.append("\(count) step\(count == 1 ? "" : "s") of \(incident.id) not run yet (\(pending.joined(separator: ", ")))")
        }
        guard !lines.isEmpty else { return "interrupted: every step that had started was finished and journaled; nothing is left half done" }
        let again = command.map { " (or '\($0)' again)" } ?? ""
        return "interrupted: " + lines.joined(separator: "; ") + "; run 'detour tick'\(again) to finish"
    }
}
