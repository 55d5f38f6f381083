import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Probing through the built `detour` binary: what `detour probe` says, confirmation, degraded,
/// maintenance windows and the monitor's self-check.
@Suite(.serialized)
final class ProbingTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    var base: String { sandbox.baseURL }
    let notice = "/v2/bot/message/broadcast"

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try writeChannels(maintenance: "", canary: nil)
        try workspace.write("playbooks/mall-down.json5", playbook(event: "down", id: "down", text: "{{channel.name}}で障害"))
    }

    deinit { sandbox.stop() }

    func writeChannels(maintenance: String, canary: String?, maxLatency: String? = nil, at base: String? = nil) throws {
        let base = base ?? self.base
        let latency = maxLatency.map { ", maxLatency: \"\($0)\"" } ?? ""
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店", kind: "mall", url: "\(base)/store/mall/",
              probes: [
                { name: "item page", url: "\(base)/store/mall/item", expect: { status: "2xx", bodyContains: "買い物かご"\(latency) } },
                { name: "cart", url: "\(base)/mall/cart", expect: { status: 200, bodyNotContains: ["メンテナンス中", "captcha"] } },
                { name: "reviews", url: "\(base)/mall/reviews", critical: false },
              ],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 }, recovery: { settle: "0s" },
              revenue: { perHour: 120000 },
              \(maintenance)
            }
            """)
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(base)/store/own/", probes: [{ name: "top", url: "\(base)/store/own/" }] }
            """)
        if let canary {
            try workspace.write("detour.json5", "{ canary: [\"\(canary)\"] }")
        }
    }

    func playbook(event: String, id: String, text: String) -> String {
        """
        {
          on: { event: "\(event)", channels: ["mall"] },
          steps: [{ id: "\(id)", do: "http", request: { method: "POST", url: "\(base)\(notice)", json: { text: "\(text)" } } }],
        }
        """
    }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        var environment: [String: String] = [:]
        if let time { environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func journal() throws -> String {
        try workspace.journalText()
    }

    func posts() -> [String] { sandbox.requests(path: notice).map(\.body) }

    @Test func probeSaysTheCartAnswersAMaintenancePage() throws {
        sandbox.enqueue(
            ScriptedResponse(
                status: 200, headers: [SandboxHeader("Content-Type", "text/html")],
                body: "<html><head><title>システムメンテナンスのお知らせ</title></head><body>ただいまメンテナンス中です。</body></html>"), forPath: "/mall/cart")
        let result = try detour("probe", "mall")
        #expect(result.status == 1)
        #expect(result.stdout.contains("テストモール店 (mall): DOWN"), "\(result.output)")
        #expect(
            result.stdout.contains(#"FAIL cart: condition: maintenance page: body contains "メンテナンス中" (expected no "メンテナンス中", got "…"#),
            "\(result.output)")
        #expect(result.stdout.contains("ok   item page: ok 200"), "\(result.output)")
    }

    @Test func probeSaysARedirectToTheMaintenancePageAndWhyANonCriticalProbeOnlyWarns() throws {
        sandbox.setMode(.maintenance, for: "mall")
        sandbox.enqueue(ScriptedResponse(status: 500, body: "oops"), forPath: "/mall/reviews")
        let result = try detour("probe")
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL item page: condition: maintenance page: redirected to \(base)/_maintenance/mall"), "\(result.output)")
        #expect(result.stdout.contains("warn reviews: http: status 500 (expected 2xx, got 500)"), "\(result.output)")
        #expect(result.stdout.contains("自社サイト (own): up"))
    }

    @Test func probeBenchPrintsTotalsOnly() throws {
        let result = try detour("probe", "--bench")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.hasPrefix("probes 4 failed 0 seconds "), "\(result.output)")
    }

    @Test(arguments: [
        ("one 503", ScriptedResponse(status: 503, body: "Service Unavailable")),
        ("one captcha page", ScriptedResponse(status: 200, body: "<title>Robot Check</title> please solve the captcha")),
    ])
    func oneOrTwoFailuresNeverPost(_ label: String, _ blip: ScriptedResponse) throws {
        try detour("tick", at: "10:00:00")
        // The cart blips once, then twice in a row; each spell clears before failAfter.
        sandbox.enqueue(blip, forPath: "/mall/cart")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:01:10")
        sandbox.enqueue(blip, forPath: "/mall/cart", count: 2)
        try detour("tick", at: "10:02:10")
        try detour("tick", at: "10:02:20")
        try detour("tick", at: "10:02:30")
        #expect(posts().isEmpty, "\(label) must not post")
        let log = try journal()
        #expect(log.components(separatedBy: #""change":"cleared""#).count == 3, "\(log)")
        #expect(!log.contains("incident.opened"))
        #expect(log.contains(#""expected":"#), "the journal keeps expected and actual for the failure: \(log)")
    }

    @Test func oneTimeoutNeverPosts() throws {
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(base)/store/own/", probes: [{ name: "top", url: "\(base)/own/top", timeout: "200ms" }] }
            """)
        try workspace.write("playbooks/mall-down.json5", playbook(event: "down", id: "down", text: "障害").replacingOccurrences(of: "[\"mall\"]", with: "\"*\""))
        try detour("tick", at: "10:00:00")
        sandbox.setDelay(.seconds(2), forPath: "/own/top")
        let slow = try detour("tick", at: "10:01:00")
        #expect(slow.stdout.contains("timeout"), "\(slow.output)")
        sandbox.setDelay(.zero, forPath: "/own/top")
        try detour("tick", at: "10:01:10")
        #expect(posts().isEmpty)
        #expect(try journal().contains(#""kind":"timeout""#))
    }

    @Test func failAfterFailuresOpenAnIncidentWithTheEvidence() throws {
        try detour("tick", at: "10:00:00")
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:01:10")
        #expect(posts().isEmpty)
        let down = try detour("tick", at: "10:01:20")
        #expect(down.stdout.contains("DOWN"), "\(down.output)")
        #expect(posts().count == 1)
        let wentDown = try #require(try journal().split(separator: "\n").first { $0.contains(#""change":"wentDown""#) })
        #expect(wentDown.contains(#""probes":[{"failure":{"actual":"503","detail":"status 503","expected":"2xx","kind":"http"}"#), "\(wentDown)")
    }

    @Test func aSlowChannelIsDegradedRunsItsPlaybookOnceAndOpensNoIncident() throws {
        try writeChannels(maintenance: "", canary: nil, maxLatency: "100ms")
        try workspace.write("playbooks/mall-slow.json5", playbook(event: "degraded", id: "slow", text: "{{channel.name}}が重くなっています"))
        sandbox.setSlowDelay(.milliseconds(300))
        sandbox.setMode(.slow, for: "mall")
        let first = try detour("tick", at: "10:00:00")
        #expect(first.stdout.contains("degraded"), "\(first.output)")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:02:00")
        #expect(posts() == [#"{"text":"テストモール店が重くなっています"}"#])
        let status = try detour("status")
        #expect(status.stdout.contains("degraded"), "\(status.output)")
        #expect(!(try journal()).contains(#""trigger":"probe""#), "no outage incident")
        sandbox.setMode(.healthy, for: "mall")
        try detour("tick", at: "10:03:00")
        #expect(try journal().contains(#""change":"undegraded""#))
    }

    @Test func insideAMaintenanceWindowNoIncidentOpensAndTheMaintenancePlaybookRunsOnce() throws {
        try writeChannels(
            maintenance: #"maintenance: [{ from: "2026-11-27T10:00+09:00", to: "2026-11-27T11:00+09:00", note: "RMS定期メンテナンス" }],"#, canary: nil)
        try workspace.write("playbooks/mall-maintenance.json5", playbook(event: "maintenance", id: "planned", text: "{{channel.name}}はメンテナンス中です"))
        #expect(try detour("check").status == 0)
        try detour("tick", at: "09:59:00")
        sandbox.setMode(.maintenance, for: "mall")
        let start = try detour("tick", at: "10:00:00")
        #expect(start.stdout.contains("planned maintenance started"), "\(start.output)")
        for time in ["10:01:00", "10:01:10", "10:01:20", "10:30:00"] { try detour("tick", at: time) }
        #expect(posts() == [#"{"text":"テストモール店はメンテナンス中です"}"#], "only the maintenance notice, once")
        #expect(try detour("probe", "mall", at: "10:30:00").stdout.contains("テストモール店 (mall): maintenance (planned)"))
        sandbox.setMode(.healthy, for: "mall")
        let end = try detour("tick", at: "11:00:00")
        #expect(end.stdout.contains("planned maintenance ended"), "\(end.output)")
        let log = try journal()
        #expect(!log.contains(#""trigger":"probe""#), "no outage incident")
        #expect(log.contains("RMS定期メンテナンス"))
        let csv = try detour("report", "--csv", at: "12:00:00").stdout
        #expect(csv.split(separator: "\r\n").count == 1, "a planned window is not a lost-sale window: \(csv)")
    }

    @Test func aCalendarWindowFromDetourJSON5AppliesToItsChannels() throws {
        try workspace.write(
            "detour.json5",
            #"{ calendar: { maintenance: [{ from: "2026-11-27T10:00+09:00", to: "2026-11-27T11:00+09:00", note: "全体メンテ", channels: ["own"] }] } }"#)
        sandbox.setMode(.down, for: "own")
        let tick = try detour("tick", at: "10:05:00")
        #expect(tick.stdout.contains("自社サイト: planned maintenance started"), "\(tick.output)")
        #expect(!tick.stdout.contains("テストモール店: planned"))
    }

    @Test func whenEveryChannelAndTheCanaryFailTheMonitorIsOfflineAndNothingPosts() throws {
        let closed = SandboxServer()
        let port = try closed.start()
        closed.stop()
        try writeChannels(maintenance: "", canary: "http://127.0.0.1:\(port)/generate_204")
        try workspace.write("playbooks/mall-down.json5", playbook(event: "down", id: "down", text: "障害").replacingOccurrences(of: "[\"mall\"]", with: "\"*\""))
        try workspace.write(
            "playbooks/internal.json5", playbook(event: "offline", id: "oncall", text: "監視サーバーのネットワーク障害").replacingOccurrences(of: "[\"mall\"]", with: "\"*\""))
        try detour("tick", at: "10:00:00")
        // The monitor's network goes: nothing answers at all (connections refused), not even the canary.
        try writeChannels(maintenance: "", canary: "http://127.0.0.1:\(port)/generate_204", at: "http://127.0.0.1:\(port)")
        let offline = try detour("tick", at: "10:01:00")
        #expect(offline.stdout.contains("MONITOR OFFLINE"), "\(offline.output)")
        for time in ["10:01:10", "10:01:20", "10:01:30", "10:01:40"] { try detour("tick", at: time) }
        #expect(posts() == [#"{"text":"監視サーバーのネットワーク障害"}"#], "only the internal notice, once; no public playbook runs")
        let log = try journal()
        #expect(log.components(separatedBy: #""type":"monitor.offline""#).count == 2, "journaled once: \(log)")
        #expect(!log.contains(#""trigger":"probe""#), "no outage incident")
        try writeChannels(maintenance: "", canary: "http://127.0.0.1:\(port)/generate_204")
        try detour("tick", at: "10:01:50")
        #expect(try journal().contains(#""type":"monitor.online""#))
    }

    @Test func twoChannelsAnswering503AreTwoOutagesNotAnOfflineMonitor() throws {
        try workspace.write(
            "playbooks/mall-down.json5", playbook(event: "down", id: "down", text: "{{channel.name}}で障害").replacingOccurrences(of: "[\"mall\"]", with: "\"*\""))
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(base)/store/own/", probes: [{ name: "top", url: "\(base)/store/own/" }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 } }
            """)
        try detour("tick", at: "10:00:00")
        sandbox.setMode(.down, for: "mall")
        sandbox.setMode(.down, for: "own")
        var output = ""
        for time in ["10:01:00", "10:01:10", "10:01:20"] { output += try detour("tick", at: time).output }
        // Any HTTP answer, 503 included, proves the monitor's own network works.
        #expect(!output.contains("MONITOR OFFLINE"), "\(output)")
        let log = try journal()
        #expect(!log.contains(#""type":"monitor.offline""#))
        #expect(log.components(separatedBy: #""trigger":"probe""#).count == 3, "both outages open, on time: \(log)")
        #expect(posts().count == 2, "each channel's notice")
    }

    @Test func whenTheCanaryAnswersAnOutageOfEveryChannelIsReal() throws {
        try writeChannels(maintenance: "", canary: "\(base)/generate_204")
        try detour("tick", at: "10:00:00")
        sandbox.setMode(.down, for: "mall")
        sandbox.setMode(.down, for: "own")
        for time in ["10:01:00", "10:01:10", "10:01:20"] { try detour("tick", at: time) }
        #expect(posts().count == 1)
        #expect(!(try journal()).contains("monitor.offline"))
    }

    @Test(arguments: [
        (#"expect: { bodyMatches: "([" }"#, "is not a regular expression"),
        (#"expect: { json: { "stock": true } }"#, #"write it from the root like "/stock""#),
        (#"expect: { certValidFor: "two weeks" }"#, "is not a duration"),
        (#"maxRedirects: -1"#, "must be a whole number of at least 0"),
    ])
    func badProbeFieldsNameTheirPlace(_ field: String, _ message: String) throws {
        try workspace.write("channels/own.json5", "{ name: \"自社\", kind: \"own-site\", url: \"\(base)/\",\n  probes: [{ url: \"\(base)/\", \(field) }] }")
        let check = try detour("check")
        #expect(check.status == 2)
        #expect(check.output.contains("channels/own.json5:2:"), "\(check.output)")
        #expect(check.output.contains(message), "\(check.output)")
    }

    @Test func badMaintenanceTimesAndCanariesNameTheirPlace() throws {
        try workspace.write(
            "detour.json5", "{\n  canary: [\"ping\"],\n  calendar: { maintenance: [{ from: \"tomorrow\", to: \"2026-11-27T11:00+09:00\" }] },\n}")
        let check = try detour("check")
        #expect(check.status == 2)
        #expect(check.output.contains(#"detour.json5:2:12: error: canary "ping" is not a web address"#), "\(check.output)")
        #expect(check.output.contains(#"detour.json5:3:"#) && check.output.contains(#""from": "tomorrow" is not a time"#), "\(check.output)")
    }
}
