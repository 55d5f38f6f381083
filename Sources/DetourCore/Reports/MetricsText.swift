import Foundation

/// Detour's state in the Prometheus text exposition format, for node_exporter's textfile collector.
public struct MetricsText: Sendable {
    /// The last latency seen for one probe.
    public struct ProbeSample: Sendable, Equatable, Codable {
        /// The channel id.
        public var channel: String
        /// The probe's name.
        public var probe: String
        /// Seconds the request took.
        public var seconds: Double
        /// Whether it passed.
        public var passed: Bool

        /// Creates a sample.
        public init(channel: String, probe: String, seconds: Double, passed: Bool) {
            self.channel = channel
            self.probe = probe
            self.seconds = seconds
            self.passed = passed
        }
    }

    /// The workspace.
    public var workspace: Workspace
    /// The state after the pass.
    public var state: DetourState
    /// The latest sample of each probe.
    public var probes: [ProbeSample]
    /// When the pass ran.
    public var now: Date

    /// Creates the exposition.
    public init(workspace: Workspace, state: DetourState, probes: [ProbeSample], now: Date) {
        self.workspace = workspace
        self.state = state
        self.probes = probes
        self.now = now
    }

    /// The whole file, ending in a newline.
    public func render() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let text = labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            out += "\(name)\(text) \(Self.number(value))\n"
        }
        family("detour_channel_state", "gauge", "1 for the channel's current state (a health state, or held), 0 for the others.")
        for channel in workspace.channels {
            let held = state.hold(on: channel.id, at: now) != nil
            let current = (state.channels[channel.id] ?? ChannelHealth()).state
            for health in HealthState.allCases {
                sample("detour_channel_state", [("channel", channel.id), ("state", health.rawValue)], !held && health == current ? 1 : 0)
            }
            sample("detour_channel_state", [("channel", channel.id), ("state", "held")], held ? 1 : 0)
        }
        family("detour_channel_up", "gauge", "1 when the channel is up (and not held), 0 otherwise.")
        for channel in workspace.channels {
            let up = state.hold(on: channel.id, at: now) == nil && (state.channels[channel.id] ?? ChannelHealth()).state == .up
            sample("detour_channel_up", [("channel", channel.id)], up ? 1 : 0)
        }
        family("detour_probe_latency_seconds", "gauge", "How long the probe's last request took.")
        for probe in probes { sample("detour_probe_latency_seconds", [("channel", probe.channel), ("probe", probe.probe)], probe.seconds) }
        family("detour_probe_success", "gauge", "1 when the probe's last check passed.")
        for probe in probes { sample("detour_probe_success", [("channel", probe.channel), ("probe", probe.probe)], probe.passed ? 1 : 0) }
        family("detour_open_incidents", "gauge", "Incidents not yet resolved.")
        sample("detour_open_incidents", [], Double(state.unresolvedIncidents.count))
        family("detour_incidents_needing_attention", "gauge", "Open incidents with a step that failed for good (detour retry).")
        sample("detour_incidents_needing_attention", [], Double(state.unresolvedIncidents.filter(\.needsAttention).count))
        let report = LostSaleReport(state: state, workspace: workspace, now: now)
        family("detour_lost_minutes_total", "counter", "Outage minutes recorded, ongoing outages up to now.")
        for summary in report.summaries { sample("detour_lost_minutes_total", [("channel", summary.channel)], summary.totals.minutes) }
        family("detour_unmitigated_minutes_total", "counter", "Outage minutes before failover was complete.")
        for summary in report.summaries { sample("detour_unmitigated_minutes_total", [("channel", summary.channel)], summary.totals.unmitigatedMinutes) }
        family("detour_money_at_risk_total", "counter", "Revenue at risk during outages, in the channel's currency.")
        for summary in report.summaries {
            sample("detour_money_at_risk_total", [("channel", summary.channel), ("currency", summary.currency)], Double(summary.totals.moneyAtRisk.wholeUnits))
        }
        family("detour_last_pass_timestamp_seconds", "gauge", "When the last pass ran (Unix time).")
        sample("detour_last_pass_timestamp_seconds", [], now.timeIntervalSince1970.rounded())
        return out
    }

    /// Writes the file atomically (a temporary file in the same folder, then a rename), or in place for a device or a pipe.
    public func write(to path: String) throws {
        do {
            try OutputFile.write(Data(render().utf8), to: path)
        } catch {
            throw JournalError(message: "cannot write the metrics file \(path): \(error.reason)")
        }
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }
}
