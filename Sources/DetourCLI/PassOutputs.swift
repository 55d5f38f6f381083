import DetourCore
import Foundation
import Synchronization

/// What tick and watch write after each pass: the metrics file and the status page, when asked for.
final class PassOutputs: Sendable {
    private let samples: Mutex<ProbeSamples>
    private let workspace: Workspace
    /// Where the probe samples are kept between passes.
    private let stateDirectory: String?
    /// `--metrics-file`, absolute.
    let metricsPath: String?
    /// `statusPage.out`, absolute.
    let statusPageDirectory: String?

    /// Sets up the outputs; probes this pass does not run keep the samples an earlier pass left in the state folder.
    init(workspace: Workspace, metricsFile: PathArgument?, workingDirectory: String, stateDirectory: String? = nil) {
        self.workspace = workspace
        self.stateDirectory = stateDirectory
        metricsPath = metricsFile?.absolute(in: workingDirectory)
        statusPageDirectory = workspace.settings.statusPageOut.map { $0.hasPrefix("/") ? $0 : workspace.root + "/" + $0 }
        let kept = metricsPath != nil ? stateDirectory.map { ProbeSamples.load(stateDirectory: $0) } : nil
        samples = Mutex(kept ?? ProbeSamples())
    }

    /// Whether there is anything to write.
    var isEnabled: Bool { metricsPath != nil || statusPageDirectory != nil }

    /// Keeps the latest latency of every probe (probe events arrive from the engine's actor).
    func observe(_ event: EngineEvent) {
        guard case .probed(let verdict, _) = event else { return }
        samples.withLock { samples in
            for result in verdict.results {
                samples.record(
                    MetricsText.ProbeSample(
                        channel: verdict.channel, probe: result.probe, seconds: Double(result.latency.milliseconds) / 1_000, passed: result.passed))
            }
        }
    }

    /// The samples of the workspace's channels, by channel then probe.
    var probeSamples: [MetricsText.ProbeSample] {
        let known = Set(workspace.channels.map(\.id))
        return samples.withLock { $0.samples(of: known) }
    }

    /// Writes the metrics file and the status page for the state after a pass; false (after saying why) when one failed.
    ///
    /// A file that cannot be written never stops monitoring: the pass has already been journaled.
    func write(state: DetourState, now: Date, console: Console) -> Bool {
        var ok = true
        if let metricsPath {
            let known = Set(workspace.channels.map(\.id))
            let current = samples.withLock { $0 }
            do {
                if let stateDirectory { try current.save(stateDirectory: stateDirectory, channels: known) }
                try MetricsText(workspace: workspace, state: state, probes: current.samples(of: known), now: now).write(to: metricsPath)
            } catch {
                console.err("error: \(error.message)")
                ok = false
            }
        }
        if let statusPageDirectory {
            do {
                try StatusPage(workspace: workspace, state: state, now: now).write(to: statusPageDirectory)
            } catch {
                console.err("error: \(error.message)")
                ok = false
            }
        }
        return ok
    }
}

/// The `--metrics-file` option of tick and watch.
let metricsFileOption = Option.path("metrics-file", help: "after each pass, write Prometheus text metrics here (atomically)")

/// The `-v/--verbose` flag of tick and watch.
let verboseFlag = Flag("verbose", short: "v", help: "also print probes that passed")
