import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The sale day when several things fail at once, through the binary and the sandbox, one cron
/// tick at a time on a pinned clock: two malls down 20 s apart, LINE failing for good on one of
/// them, an operator forcing a restore while the mall still fails, a relapse inside `settle`.
@Suite(.serialized)
final class SaleDayTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    var environment: [String: String]
    /// Every exit status of every tick: monitoring never stops.
    var tickStatuses: [Int32] = []

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        environment = ["LINE_TOKEN": "line-secret-5f1e-sale", "SLACK_HOOK": "\(base)/ext/hooks.slack.com/services/T000/B000/slack-secret-path"]
        try workspace.write("detour.json5", #"{ providers: { line: "\#(base)/ext/api.line.me" } }"#)
        for (id, name, kind) in [("rakuten", "楽天市場店", "mall"), ("yahoo", "Yahoo!店", "mall"), ("amazon", "Amazon店", "mall"), ("own", "自社サイト", "own-site")] {
            try workspace.write(
                "channels/\(id).json5",
                """
                { name: "\(name)", kind: "\(kind)", url: "\(base)/store/\(id)/",
                  probes: [{ name: "item", url: "\(base)/store/\(id)/item" }],
                  schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 },
                  revenue: { perHour: 60000 }, alternates: ["\(id == "own" ? "rakuten" : "own")"] }
                """)
        }
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            { on: { event: "down", channels: ["rakuten", "yahoo", "amazon"] },
              steps: [
                { id: "promo", do: "http", request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: true } },
                  undo: { request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: false } } } },
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害が発生しています" },
              ],
              recovery: [{ id: "back", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}は復旧しました" }] }
            """)
        try workspace.write(
            "playbooks/ops.json5",
            """
            { on: { event: "step-failed", channels: "*" },
              steps: [{ id: "slack", do: "slack.post", webhook: "env:SLACK_HOOK", text: "要対応: {{incident.reason}}" }] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String) throws -> CommandResult {
        var environment = self.environment
        environment["DETOUR_NOW"] = "2026-12-04T\(time)+09:00"
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func tick(_ times: String...) throws {
        for time in times {
            let result = try detour("tick", at: time)
            tickStatuses.append(result.status)
            #expect(result.status == 0 || result.status == 3, "tick at \(time): \(result.output)")
        }
    }

    /// The LINE texts customers received, in order.
    func lineTexts() -> [String] {
        sandbox.requests(path: "/v2/bot/message/broadcast").filter { $0.answeredStatus == 200 }.compactMap { request in
            let json = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
            return ((json?["messages"] as? [[String: Any]])?.first?["text"] as? String)
        }
    }

    func promoSwitches() -> [String] { sandbox.requests(path: "/shop/promotions/failover").map(\.body) }

    func opened(_ channel: String) throws -> [[String: Any]] {
        let text = try workspace.journalText()
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "incident.opened" && $0["channel"] as? String == channel && $0["trigger"] as? String == "probe" }
    }

    @Test func twoMallsDownAForcedRestoreAndARelapseStayRight() throws {
        // 1. Four channels up.
        try tick("20:00:00")
        let up = try detour("status", at: "20:00:05").stdout
        #expect(up.contains("No open incidents."))

        // 2. Rakuten goes down, Yahoo 20 s later; 3. LINE answers 500 for good on Yahoo's notice.
        sandbox.setMode(.down, for: "rakuten")
        try tick("20:01:00", "20:01:10")
        sandbox.setMode(.down, for: "yahoo")
        try tick("20:01:20")
        #expect(try opened("rakuten").count == 1, "rakuten opened within failAfter × confirmEvery")
        #expect(try opened("rakuten").first?["revenuePerHour"] as? Double == 60000, "the rate in force is journaled with the incident")
        sandbox.enqueue(ScriptedResponse(status: 500, body: #"{"message":"Internal error"}"#), forPath: "/v2/bot/message/broadcast", count: 3)
        try tick("20:02:00", "20:02:10", "20:02:20")
        #expect(try opened("yahoo").count == 1, "yahoo opened within every + (failAfter − 1) × confirmEvery of its first failure")
        #expect(promoSwitches() == [#"{"on":true}"#], "the shared discount is switched on once")
        #expect(lineTexts() == ["楽天市場店で障害が発生しています"], "Yahoo's notice failed for good")
        var status = try detour("status", at: "20:02:30").stdout
        #expect(status.contains("mall-down/promo: held by rakuten, yahoo"), "\(status)")
        #expect(status.contains("needs attention: mall-down/line failed"), "\(status)")
        #expect(sandbox.requests(path: "/services/T000/B000/slack-secret-path").count == 1, "step-failed told the operators")
        let json = try detour("status", "--json", at: "20:02:30").stdout
        #expect(json.contains(#""needsAttention":true"#))

        // 5. The operator restores Rakuten while it still fails: refused with the evidence, then forced.
        let refused = try detour("restore", "rakuten", at: "20:05:00")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("rakuten still fails"), "\(refused.output)")
        #expect(refused.stderr.contains("detour restore rakuten --force"))
        let forced = try detour("restore", "rakuten", "--force", at: "20:05:10")
        #expect(forced.status == 0, "\(forced.output)")
        #expect(promoSwitches() == [#"{"on":true}"#], "the discount stays on: Yahoo is still down")
        #expect(lineTexts().last == "楽天市場店は復旧しました", "the operator's restore is announced")
        status = try detour("status", at: "20:05:15").stdout
        #expect(status.contains("mall-down/promo: held by yahoo"), "\(status)")
        // 4. A typo lands in the playbook: every tick runs on the last good workspace (exit 3).
        let playbook = try String(contentsOfFile: workspace.root + "/playbooks/mall-down.json5", encoding: .utf8)
        let typo = playbook.replacingOccurrences(of: #"do: "line.broadcast", token"#, with: #"do: "line.brodcast", token"#)
        try workspace.write("playbooks/mall-down.json5", typo)
        // Still failing: confirmed again and a new incident follows the restored one.
        try tick("20:05:20", "20:05:30", "20:05:40")
        #expect(tickStatuses.suffix(3) == [3, 3, 3], "ran on the last good workspace")
        #expect(try detour("status", at: "20:05:42").stdout.contains("running on the workspace of"))
        try workspace.write("playbooks/mall-down.json5", playbook)
        let rakutenIncidents = try opened("rakuten")
        #expect(rakutenIncidents.count == 2)
        #expect(rakutenIncidents.last?["follows"] as? String == rakutenIncidents.first?["incident"] as? String)
        #expect(lineTexts().last == "楽天市場店で障害が発生しています", "customers last heard \"recovered\": told again")
        status = try detour("status", at: "20:05:45").stdout
        #expect(status.contains("mall-down/promo: held by yahoo, rakuten"), "\(status)")

        // 6. Yahoo recovers: its recovery settles; the discount stays on for Rakuten; no "recovered" for a notice never delivered.
        sandbox.setMode(.healthy, for: "yahoo")
        try tick("20:10:00", "20:10:10", "20:15:10")
        status = try detour("status", at: "20:15:15").stdout
        #expect(!status.contains("incident yahoo-"), "yahoo's incident resolved: \(status)")
        #expect(promoSwitches() == [#"{"on":true}"#])
        #expect(!lineTexts().contains("Yahoo!店は復旧しました"))

        // 7. Rakuten comes back, fails again inside settle (silently), then comes back for good.
        sandbox.setMode(.healthy, for: "rakuten")
        try tick("20:20:00", "20:20:10")
        sandbox.setMode(.down, for: "rakuten")
        try tick("20:21:10", "20:21:20", "20:21:30")
        #expect(try opened("rakuten").count == 2, "a relapse inside settle continues the same incident")
        sandbox.setMode(.healthy, for: "rakuten")
        try tick("20:22:30", "20:22:40")
        #expect(promoSwitches() == [#"{"on":true}"#], "still settling")
        try tick("20:27:40")
        #expect(promoSwitches() == [#"{"on":true}"#, #"{"on":false}"#], "off once, when the last mall is back")
        #expect(
            lineTexts() == ["楽天市場店で障害が発生しています", "楽天市場店は復旧しました", "楽天市場店で障害が発生しています", "楽天市場店は復旧しました"],
            "every channel's messages alternate, none twice")
        #expect(try detour("status", at: "20:28:00").stdout.contains("No open incidents."))
        #expect(tickStatuses.allSatisfy { $0 == 0 || $0 == 3 }, "no tick ever stopped monitoring")
        let journal = try workspace.journalText()
        #expect(journal.components(separatedBy: #""type":"workspace.invalid""#).count == 2, "journaled once")
        #expect(journal.contains(#""type":"workspace.valid""#))

        // The report covers every failing minute once.
        let report = try detour("report", "--json", at: "21:00:00").stdout
        let windows = ((try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])?["windows"] as? [[String: Any]]) ?? []
        let byChannel = Dictionary(grouping: windows) { $0["channel"] as? String ?? "" }
        #expect(byChannel["rakuten"]?.count == 2)
        #expect(byChannel["yahoo"]?.count == 1)
        let rakuten = (byChannel["rakuten"] ?? []).compactMap { window -> (String, String)? in
            guard let from = window["from"] as? String, let to = window["to"] as? String else { return nil }
            return (from, to)
        }.sorted { $0.0 < $1.0 }
        #expect(rakuten.first?.0 == "2026-12-04T20:01:00+09:00", "\(rakuten)")
        #expect(rakuten.first?.1 == "2026-12-04T20:05:10+09:00", "the first window ends at the forced restore")
        #expect(rakuten.last?.0 == "2026-12-04T20:05:20+09:00", "the second starts at the next failed probe: no gap, no overlap")
        #expect(rakuten.last?.1 == "2026-12-04T20:22:30+09:00", "the relapse is inside the same window")
        let second = (byChannel["rakuten"] ?? []).first { $0["follows"] is String }
        #expect(second?["follows"] as? String == rakutenIncidents.first?["incident"] as? String, "the report links the two")
        let show = try detour("show", rakutenIncidents.last?["incident"] as? String ?? "", at: "21:00:00").stdout
        #expect(show.contains("follows \(rakutenIncidents.first?["incident"] as? String ?? "?")"), "\(show)")
    }
}
