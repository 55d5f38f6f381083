import Foundation

/// The last sample of every probe, kept in the state folder between passes.
///
/// A pass probes only the channels that are due, yet the metrics file lists every probe: the
/// others come from here, as JSON, so the metrics file is built from state and never read back
/// from its own text (whose escaping does not survive a round trip by pattern matching).
public struct ProbeSamples: Sendable, Equatable {
    /// The file's name in the state folder.
    public static let fileName = "probe-samples.json"
    /// More than this is not a file Detour wrote.
    static let sizeLimit = 16 << 20

    private var byProbe: [ProbeKey: MetricsText.ProbeSample] = [:]

    private struct ProbeKey: Hashable, Sendable {
        var channel: String
        var probe: String
    }

    /// No samples yet.
    public init() {}

    /// The samples kept in a state folder; none when there are none yet or the file is unreadable
    /// (they are gauges: the next pass of each channel brings its own back).
    public static func load(stateDirectory: String) -> ProbeSamples {
        guard case .success(let bytes) = BoundedFile.read(stateDirectory + "/" + fileName, limit: sizeLimit),
            let list = try? JSONDecoder().decode([MetricsText.ProbeSample].self, from: Data(bytes))
        else { return ProbeSamples() }
        var samples = ProbeSamples()
        for sample in list { samples.record(sample) }
        return samples
    }

    /// Keeps a probe's latest sample.
    public mutating func record(_ sample: MetricsText.ProbeSample) {
        byProbe[ProbeKey(channel: sample.channel, probe: sample.probe)] = sample
    }

    /// The samples of the given channels, by channel then probe.
    public func samples(of channels: Set<String>) -> [MetricsText.ProbeSample] {
        byProbe.values.filter { channels.contains($0.channel) }.sorted { ($0.channel, $0.probe) < ($1.channel, $1.probe) }
    }

    /// Writes the samples of the given channels into the state folder (private to its owner).
    public func save(stateDirectory: String, channels: Set<String>) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try OutputFile.replace(stateDirectory + "/" + Self.fileName, with: try encoder.encode(samples(of: channels)), mode: 0o600)
        } catch let error as OutputFileError {
            throw JournalError(message: "cannot keep the probe samples in \(stateDirectory): \(error.reason)")
        }
    }
}
