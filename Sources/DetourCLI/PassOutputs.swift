import DetourCore
import Foundation

/// What tick and watch write after each pass: the metrics file and the status page, when asked for.
final class PassOutputs: @unchecked Sendable {
    // @unchecked: `samples` is only touched under `lock` (probe events arrive from the engine's actor).
    private let lock = NSLock()
    private var samples: [String: MetricsText.ProbeSample] = [:]
    private let workspace: Workspace
    /// `--metrics-file`, absolute.
    let metricsPath: String?
    /// `statusPage.out`, absolute.
    let statusPageDirectory: String?

    /// Sets up the outputs; keeps the probe samples of an earlier metrics file for channels this run does not probe.
    init(workspace: Workspace, metricsFile: PathArgument?, workingDirectory: String) {
        self.workspace = workspace
        metricsPath = metricsFile?.absolute(in: workingDirectory)
        statusPageDirectory = workspace.settings.statusPageOut.map { $0.hasPrefix("/") ? $0 : workspace.root + "/" + $0 }
        if let metricsPath, let text = try? String(contentsOfFile: metricsPath, encoding: .utf8) {
            samples = Self.previousSamples(text)
        }
    }

    /// Whether there is anything to write.
    var isEnabled: Bool { metricsPath != nil || statusPageDirectory != nil }

    /// Keeps the latest latency of every probe.
    func observe(_ event: EngineEvent) {
        guard case .probed(let verdict, _) = event else { return }
        lock.withLock {
            for result in verdict.results {
                samples[verdict.channel + "\u{0}" + result.probe] = MetricsText.ProbeSample(
                    channel: verdict.channel, probe: result.probe, seconds: Double(result.latency.milliseconds) / 1_000, passed: result.passed)
            }
        }
    }

    /// Writes the metrics file and the status page for the state after a pass; false (after saying why) when one failed.
    ///
    /// A file that cannot be written never stops monitoring: the pass has already been journaled.
    func write(state: DetourState, now: Date, console: Console) -> Bool {
        var ok = true
        if let metricsPath {
            let known = Set(workspace.channels.map(\.id))
            let probes = lock.withLock { samples.values.filter { known.contains($0.channel) }.sorted { ($0.channel, $0.probe) < ($1.channel, $1.probe) } }
            do {
                try MetricsText(workspace: workspace, state: state, probes: probes, now: now).write(to: metricsPath)
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

    private static func previousSamples(_ text: String) -> [String: MetricsText.ProbeSample] {
        var latency: [String: (String, String, Double)] = [:]
        var success: [String: Bool] = [:]
        let pattern = #/^(detour_probe_latency_seconds|detour_probe_success)\{channel="((?:[^"\\]|\\.)*)",probe="((?:[^"\\]|\\.)*)"\} (\S+)$/#
        for line in text.split(separator: "\n") {
            guard let match = String(line).wholeMatch(of: pattern), let value = Double(match.4) else { continue }
            let channel = unescape(String(match.2)), probe = unescape(String(match.3))
            let key = channel + "\u{0}" + probe
            if match.1 == "detour_probe_success" { success[key] = value == 1 } else { latency[key] = (channel, probe, value) }
        }
        var samples: [String: MetricsText.ProbeSample] = [:]
        for (key, (channel, probe, seconds)) in latency {
            samples[key] = MetricsText.ProbeSample(channel: channel, probe: probe, seconds: seconds, passed: success[key] ?? true)
        }
        return samples
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
    }
}

/// The `--metrics-file` option of tick and watch.
let metricsFileOption = Option.path("metrics-file", help: "after each pass, write Prometheus text metrics here (atomically)")

/// The `-v/--verbose` flag of tick and watch.
let verboseFlag = Flag("verbose", short: "v", help: "also print probes that passed")
