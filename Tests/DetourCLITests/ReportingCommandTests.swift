import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// report, show, statuspage and the metrics file, through the built binary over a sandbox outage.
@Suite(.serialized)
final class ReportingCommandTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            """
            {
              timezone: "Asia/Tokyo",
              statusPage: { out: "public/status" },
              calendar: { sales: [{ name: "ブラックフライデー", from: "2026-11-27T10:20", to: "2026-11-27T12:00", channels: ["mall"], multiplier: 2 }] },
            }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店", kind: "mall", url: "\(base)/store/mall/",
              probes: [{ name: "item page", url: "\(base)/store/mall/item", expect: { status: "2xx" } }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 }, recovery: { settle: "0s" },
              revenue: { perHour: 120000, currency: "JPY", recapture: { own: 0.5 } },
              alternates: ["own"],
            }
            """)
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(base)/store/own/", probes: [{ name: "top", url: "\(base)/store/own/" }] }
            """)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [{ id: "promo", do: "http", request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: true } },
                        undo: { request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: false } } } }],
            }
            """)
    }

    deinit { sandbox.stop() }

    var metricsPath: String { workspace.root + "/metrics.prom" }

    @discardableResult
    func detour(_ arguments: [String], at time: String? = nil) throws -> CommandResult {
        var environment: [String: String] = [:]
        if let time { environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func tick(at time: String) throws {
        let result = try detour(["tick", "--metrics-file", "metrics.prom"], at: time)
        #expect(result.status == 0, "\(result.output)")
    }

    func statusJSON(_ folder: String = "public/status") throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: workspace.root + "/" + folder + "/status.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func componentStatus(_ json: [String: Any], _ id: String) -> String? {
        (json["components"] as? [[String: Any]])?.first { $0["id"] as? String == id }?["status"] as? String
    }

    /// Runs an outage from 10:01 to 10:31 (failover at 10:01:20).
    func runOutage(checkDuring: (() throws -> Void)? = nil) throws {
        try tick(at: "10:00:00")
        sandbox.setMode(.down, for: "mall")
        try tick(at: "10:01:00")
        try tick(at: "10:01:10")
        try tick(at: "10:01:20")
        try tick(at: "10:02:20")
        try checkDuring?()
        sandbox.setMode(.healthy, for: "mall")
        try tick(at: "10:31:00")
        try tick(at: "10:31:10")
    }

    @Test func statusPageShowsMajorOutageDuringTheOutageAndOperationalAfter() throws {
        try tick(at: "10:00:00")
        var json = try statusJSON()
        #expect(componentStatus(json, "mall") == "operational")
        try runOutage {
            let during = try self.statusJSON()
            #expect(self.componentStatus(during, "mall") == "major_outage")
            #expect(self.componentStatus(during, "own") == "operational")
            #expect((during["status"] as? [String: Any])?["indicator"] as? String == "major")
            let incidents = try #require(during["incidents"] as? [[String: Any]])
            #expect(incidents.count == 1)
            #expect(incidents.first?["components"] as? [String] == ["mall"])
            #expect((incidents.first?["alternates"] as? [[String: Any]])?.first?["name"] as? String == "自社サイト")
            let html = try String(contentsOfFile: self.workspace.root + "/public/status/index.html", encoding: .utf8)
            #expect(html.contains("data-component=\"mall\" data-status=\"major_outage\""))
            #expect(!html.contains("/store/mall/item"), "probe URLs are not published")
            // The command writes the same page on demand.
            let command = try self.detour(["statuspage", "--out", "elsewhere"], at: "10:05:00")
            #expect(command.status == 0, "\(command.output)")
            #expect(self.componentStatus(try self.statusJSON("elsewhere"), "mall") == "major_outage")
        }
        json = try statusJSON()
        #expect(componentStatus(json, "mall") == "operational")
        #expect((json["incidents"] as? [Any])?.isEmpty == true)
        // The page follows its schema: every component in the usual vocabulary, the page's keys present.
        let vocabulary: Set<String> = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"]
        for key in ["page", "status", "components", "incidents", "scheduled_maintenances"] { #expect(json[key] != nil, "missing \(key)") }
        for component in try #require(json["components"] as? [[String: Any]]) {
            #expect(vocabulary.contains(component["status"] as? String ?? ""))
            #expect(component["id"] is String && component["name"] is String)
        }
        #expect(((json["status"] as? [String: Any])?["indicator"] as? String).map { ["none", "minor", "major", "maintenance"].contains($0) } == true)
    }

    @Test func metricsAreBuiltFromStateNotReadBackFromTheLastFile() throws {
        // A line in the old file that no probe ever produced must not survive the next pass.
        try workspace.write(
            "metrics.prom",
            "# TYPE detour_probe_latency_seconds gauge\ndetour_probe_latency_seconds{channel=\"own\",probe=\"forged\"} 9\n")
        #expect(try detour(["tick", "--metrics-file", "metrics.prom"], at: "10:00:00").status == 0)
        #expect(try detour(["tick", "--metrics-file", "metrics.prom"], at: "10:00:10").status == 0)
        let metrics = try PrometheusText.parse(try String(contentsOfFile: metricsPath, encoding: .utf8))
        #expect(metrics.value("detour_probe_latency_seconds", ["channel": "own", "probe": "forged"]) == nil)
        #expect(metrics.value("detour_probe_latency_seconds", ["channel": "own", "probe": "top"]) != nil, "kept in the state folder from the first pass")
    }

    @Test func metricsFileParsesAsPrometheusText() throws {
        try runOutage {
            let metrics = try PrometheusText.parse(try String(contentsOfFile: self.metricsPath, encoding: .utf8))
            #expect(metrics.value("detour_channel_state", ["channel": "mall", "state": "down"]) == 1)
            #expect(metrics.value("detour_channel_state", ["channel": "mall", "state": "up"]) == 0)
            #expect(metrics.value("detour_open_incidents", [:]) == 1)
        }
        let metrics = try PrometheusText.parse(try String(contentsOfFile: metricsPath, encoding: .utf8))
        #expect(metrics.value("detour_channel_up", ["channel": "mall"]) == 1)
        #expect(metrics.value("detour_open_incidents", [:]) == 0)
        #expect(metrics.value("detour_lost_minutes_total", ["channel": "mall"]) == 30)
        // 10:01–10:20 at 120,000/h, then ×2 in the sale until 10:31.
        let money = try #require(metrics.value("detour_money_at_risk_total", ["channel": "mall", "currency": "JPY"]))
        #expect(money == 82_000)
        #expect(metrics.value("detour_probe_latency_seconds", ["channel": "mall", "probe": "item page"]) != nil)
        #expect(metrics.value("detour_probe_latency_seconds", ["channel": "own", "probe": "top"]) != nil, "kept from an earlier run")
        #expect(metrics.types["detour_money_at_risk_total"] == "counter")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: workspace.root).filter { $0.contains("metrics") }
        #expect(leftovers == ["metrics.prom"], "an atomic write leaves no temporary files")
    }

    @Test func reportShowsTheOutageWithItsMoneyAndHowLongFailoverTook() throws {
        try runOutage()
        let html = try detour(["report", "--html", "report.html"], at: "11:00:00")
        #expect(html.status == 0, "\(html.output)")
        let page = try String(contentsOfFile: workspace.root + "/report.html", encoding: .utf8)
        #expect(page.contains("<svg class=\"timeline\" data-channel=\"mall\""))
        #expect(page.contains("<svg class=\"timeline\" data-channel=\"own\""))
        #expect(page.contains("data-incident=\"mall-20261127-100120\""))
        #expect(page.contains("¥82,000"))
        #expect(page.contains("ブラックフライデー"))
        #expect(page.contains("failover 0 ms"), "failover done in the same pass as detection, on a pinned clock")
        #expect(html.stdout.contains("¥82,000"))

        // Read the bytes: decoding the output as a String would drop the byte order mark.
        let process = Process()
        process.executableURL = DetourBinary.url
        process.arguments = ["report", "--csv", "--bom", "--workspace", workspace.root]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DETOUR_") }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let bytes = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: bytes.dropFirst(3), as: UTF8.self).hasPrefix("channel,incident,"))
        let json = try detour(["report", "--json", "--channel", "mall", "--since", "2026-11-27"], at: "11:00:00")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let window = try #require((object["windows"] as? [[String: Any]])?.first)
        #expect(window["moneyAtRisk"] as? Double == 82_000)
        // Half of what was at risk after failover (10:01:20): ¥81,333.
        #expect(window["recapture"] as? Double == 40_667)
        #expect(window["secondsToDetect"] as? Double == 20)
        let later = try detour(["report", "--json", "--since", "1h"], at: "12:00:00")
        #expect(later.stdout.contains("\"windows\":[]"), "\(later.stdout)")
    }

    @Test(arguments: [
        (["report", "--bom"], "--bom only applies to --csv"), (["report", "--csv", "--json"], "cannot be combined"),
        (["report", "--since", "last tuesday"], "is not a time"), (["report", "--channel", "nope"], "unknown channel \"nope\""),
        (["report", "--since", "2026-11-28", "--until", "2026-11-27"], "--until is before --since"),
    ])
    func reportUsageMistakesSayWhatToWrite(arguments: [String], message: String) throws {
        let result = try detour(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func manualFailoverAndRestoreUpdateTheStatusPageAtOnce() throws {
        let failover = try detour(["failover", "mall", "--reason", "決済エラー多発", "--by", "sato"], at: "10:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        #expect(componentStatus(try statusJSON(), "mall") == "major_outage")
        let show = try detour(["show", "mall-20261127-100000"], at: "10:10:00")
        #expect(show.stdout.contains("manual   failover by sato: 決済エラー多発"), "\(show.stdout)")
        let restore = try detour(["restore", "mall", "--reason", "復旧確認"], at: "10:20:00")
        #expect(restore.status == 0, "\(restore.output)")
        #expect(componentStatus(try statusJSON(), "mall") == "operational")
        let after = try detour(["show", "mall-20261127-100000"], at: "10:30:00")
        #expect(after.stdout.contains("manual   restore by"), "\(after.stdout)")
        #expect(after.stdout.contains("復旧確認"))
        #expect(after.stdout.contains("failover took"))
    }

    @Test(arguments: ["show", "statuspage"])
    func newCommandsHaveHelp(command: String) throws {
        let result = try detour([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: detour \(command)"))
    }

    @Test func statuspageWithoutAFolderSaysWhereToSetOne() throws {
        try workspace.write("detour.json5", "{ timezone: \"Asia/Tokyo\" }")
        let result = try detour(["statuspage"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("statusPage: { out:"))
    }

    @Test func watchKeepsTheMetricsFileAndStatusPageCurrent() async throws {
        let running = try DetourBinary.start(["watch", "--metrics-file", "metrics.prom"], in: workspace.root)
        // Waits for the daemon's first pass (a real process), not for a clock.
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: workspace.root + "/public/status/status.json") || !FileManager.default.fileExists(atPath: metricsPath),
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(running.process.processIdentifier, SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.output)")
        let metrics = try PrometheusText.parse(try String(contentsOfFile: metricsPath, encoding: .utf8))
        #expect(metrics.value("detour_channel_up", ["channel": "mall"]) == 1)
        #expect(metrics.value("detour_probe_success", ["channel": "own", "probe": "top"]) == 1)
        #expect(componentStatus(try statusJSON(), "mall") == "operational")
    }

    @Test func showPrintsTheIncidentsWholeTimeline() throws {
        try runOutage()
        let show = try detour(["show", "mall-20261127-100120"], at: "11:00:00")
        #expect(show.status == 0, "\(show.output)")
        for text in [
            "incident mall-20261127-100120 — テストモール店 (mall), resolved, probe", "10:01:00  probe    probe failed: item page",
            "health suspect (suspected", "health down (wentDown", "→ mall-down/promo [failover] attempt 1, key mall-20261127-100120/mall-down/promo",
            "← mall-down/promo attempt 1: succeeded 200", "mitigated: every failover step done", "health up (recovered",
            "→ mall-down/promo/undo [undo]", "resolved", "money at risk ¥82,000",
        ] {
            #expect(show.stdout.contains(text), "missing \(text)\n\(show.stdout)")
        }
        let missing = try detour(["show", "mall-1"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no incident \"mall-1\""))
        #expect(missing.stderr.contains("mall-20261127-100120"))
    }
}

/// A strict reader of the Prometheus text exposition format, enough to check what Detour writes.
struct PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]

    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static func parse(_ text: String) throws -> PrometheusText {
        var result = PrometheusText()
        guard text.hasSuffix("\n") else { throw FormatError(description: "the text must end with a newline") }
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let help = try Regex("^# HELP (\(name)) .*$")
        let type = try Regex("^# TYPE (\(name)) (counter|gauge|histogram|summary|untyped)$")
        let sample = try Regex(#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$"#)
        let label = try Regex(#"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#)
        for line in text.split(separator: "\n") {
            let line = String(line)
            if line.wholeMatch(of: help) != nil { continue }
            if let match = line.wholeMatch(of: type) {
                let family = String(match.output[1].substring!)
                guard result.types[family] == nil else { throw FormatError(description: "TYPE given twice for \(family)") }
                result.types[family] = String(match.output[2].substring!)
                continue
            }
            guard let match = line.wholeMatch(of: sample) else { throw FormatError(description: "not a sample line: \(line)") }
            let metric = String(match.output[1].substring!)
            guard result.types[metric] != nil else { throw FormatError(description: "\(metric) has no TYPE before its samples") }
            var labels: [String: String] = [:]
            if let block = match.output[2].substring {
                for pair in block.matches(of: label) { labels[String(pair.output[1].substring!)] = String(pair.output[2].substring!) }
            }
            guard let value = Double(String(match.output[3].substring!)) else { throw FormatError(description: "bad value in \(line)") }
            result.samples.append(Sample(name: metric, labels: labels, value: value))
        }
        return result
    }
}
