import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `detour simulate` through the binary: exact numbers on a small timeline, agreement with real
/// `tick` runs against the sandbox, and the guarantee that nothing leaves the machine.
@Suite(.serialized)
final class SimulateCommandTests {
    /// Stands in for the real storefronts and providers: a simulation must never reach it.
    let outside = SandboxServer()
    let workspace: TemporaryWorkspace
    let secret = "line-secret-9d2f-real"

    init() throws {
        outside.enableProviderFakes()
        try outside.start()
        workspace = try TemporaryWorkspace()
        let base = outside.baseURL
        try workspace.write("detour.json5", #"{ timezone: "Asia/Tokyo", providers: { line: "\#(base)/ext/api.line.me" } }"#)
        for (id, name, kind, perHour) in [("mall-a", "Aモール店", "mall", 60000), ("mall-b", "Bモール店", "mall", 30000), ("own", "自社サイト", "own-site", 20000)] {
            try workspace.write(
                "channels/\(id).json5",
                """
                { name: "\(name)", kind: "\(kind)", url: "https://\(id).example/",
                  probes: [{ name: "item", url: "\(base)/store/\(id)/item", timeout: "2s", expect: { status: "2xx", bodyContains: "買い物かご" } }],
                  schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 },
                  revenue: { perHour: \(perHour) }, alternates: ["\(id == "own" ? "mall-a" : "own")"] }
                """)
        }
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            { on: { event: "down", channels: ["mall-a", "mall-b"] },
              steps: [
                { id: "promo", do: "http", request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: true } },
                  undo: { request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: false } } } },
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害が発生しています" },
              ],
              recovery: [{ id: "back", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}は復旧しました" }] }
            """)
    }

    deinit { outside.stop() }

    func detour(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["LINE_TOKEN": secret].merging(environment) { $1 })
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object, "not JSON: \(result.output)")
    }

    /// Two overlapping mall outages, one during a sale, and a blip, under `watch`.
    static let smallTimeline = """
        {
          sales: [{ name: "タイムセール", from: "2025-03-04T10:00", to: "2025-03-04T11:00", channels: ["mall-a"], multiplier: 2 }],
          events: [
            { channel: "mall-a", from: "2025-03-04T10:00", to: "2025-03-04T12:00", shape: "503" },
            { channel: "mall-b", from: "2025-03-04T11:00", to: "2025-03-04T11:30", shape: "503" },
            { channel: "mall-b", from: "2025-03-04T14:00:20", to: "2025-03-04T14:00:40", shape: "blip" },
          ],
        }
        """

    @Test func aSmallTimelineGivesTheNumbersWorkedOutByHand() throws {
        try workspace.write("timeline.json5", Self.smallTimeline)
        let result = try detour(["simulate", "timeline.json5", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let document = try json(result)
        let outages = try #require(document["outages"] as? [[String: Any]])
        try #require(outages.count == 2)
        let (a, b) = (outages[0], outages[1])
        // The run starts at 09:00 and probes every channel each minute on the minute. Mall A fails
        // at 10:00:00, again at :10 and :20 (confirmEvery), and is confirmed down at 10:00:20; the
        // sandbox answers at once, so failover is complete then too: 20 s unmitigated.
        #expect(a["confirmed"] as? String == "2025-03-04T10:00:20+09:00")
        #expect(a["mitigated"] as? String == "2025-03-04T10:00:20+09:00")
        #expect(a["unmitigatedMinutes"] as? Double == 0.3)
        // Down channels are probed each minute from 10:00:20: 12:00:20 is the first success.
        #expect(a["recovered"] as? String == "2025-03-04T12:00:20+09:00")
        // Without Detour: 1 h of sale at ¥60,000 × 2 plus 1 h at ¥60,000 = ¥180,000.
        #expect(a["moneyWithout"] as? Double == 180_000)
        // Recapture: the own shop wins back 20 % of what was at risk after 10:00:20:
        // (¥120,000 × 3580/3600 + ¥60,000) × 0.2 = ¥35,866.67 → ¥35,867; with Detour ¥144,133.
        #expect(a["recapture"] as? Double == 35_867)
        #expect(a["moneyWith"] as? Double == 144_133)
        // Mall B, same minute phase: confirmed and mitigated at 11:00:20 (the shared promotion is
        // already on for mall A; B's own LINE notice goes out).
        #expect(b["confirmed"] as? String == "2025-03-04T11:00:20+09:00")
        #expect(b["mitigated"] as? String == "2025-03-04T11:00:20+09:00")
        // ¥30,000 × 0.5 h = ¥15,000; after 11:00:20: ¥30,000 × 1780/3600 × 0.2 = ¥2,966.67 → ¥2,967.
        #expect(b["moneyWithout"] as? Double == 15_000)
        #expect(b["recapture"] as? Double == 2_967)
        #expect(b["moneyWith"] as? Double == 12_033)
        // Notices: each mall's outage notice when confirmed; each recovery notice `settle` (5 min)
        // after the first success, the channel having been confirmed up 10 s later.
        let texts = { (outage: [String: Any]) in (outage["notices"] as? [[String: Any]] ?? []).map { "\($0["time"]!) \($0["text"]!)" } }
        #expect(
            texts(a) == [
                "2025-03-04T10:00:20+09:00 Aモール店で障害が発生しています", "2025-03-04T12:05:20+09:00 Aモール店は復旧しました",
            ])
        #expect(
            texts(b) == [
                "2025-03-04T11:00:20+09:00 Bモール店で障害が発生しています", "2025-03-04T11:35:20+09:00 Bモール店は復旧しました",
            ])
        // Mall B is probed at :30 since its recovery (11:30:20, 11:30:30): the blip fails at 14:00:30
        // and has passed at 14:00:40, one failure of three, no notice.
        #expect((document["falseAlarms"] as? [Any])?.isEmpty == true)
        let totals = try #require(document["totals"] as? [String: Any])
        #expect(totals["moneyWithout"] as? Double == 195_000)
        #expect(totals["moneyWith"] as? Double == 156_166)
        #expect(totals["notices"] as? Double == 4)
    }

    @Test func failingAfterTwoTurnsTheBlipIntoAFalseAlarm() throws {
        try workspace.write("timeline.json5", Self.smallTimeline)
        let result = try detour(["simulate", "timeline.json5", "--json", "--settings", "failAfter=2"])
        #expect(result.status == 0, "\(result.output)")
        let alarms = try #require(try json(result)["falseAlarms"] as? [[String: Any]])
        // Confirmed after two failures, mall B recovers at 11:30:10 and 11:30:20 and is probed at :20
        // from then on: 14:00:20 and 14:00:30 fail, and customers are told of an outage that was not one.
        #expect(alarms.count == 1)
        #expect((alarms.first?["notices"] as? [[String: Any]])?.first?["text"] as? String == "Bモール店で障害が発生しています")
        let sweep = try detour(["simulate", "timeline.json5", "--sweep", "failAfter=2,3", "confirmEvery=10s,30s", "--csv"])
        #expect(sweep.status == 0, "\(sweep.output)")
        let lines = sweep.stdout.split(separator: "\r\n")
        #expect(lines.count == 5)
        // Two failures 10 s apart confirm in 10 s and tell customers of the blip; 30 s apart the
        // blip is missed by the next probe; three failures take 20 s and never tell of the blip.
        #expect(lines[1].hasPrefix("failAfter=2 confirmEvery=10s,10.0,10.0,0,1,"))
        #expect(lines[2].hasPrefix("failAfter=2 confirmEvery=30s,30.0,30.0,0,0,"))
        #expect(lines[3].hasPrefix("failAfter=3 confirmEvery=10s,20.0,20.0,0,0,"))
        #expect(lines[4].hasPrefix("failAfter=3 confirmEvery=30s,60.0,60.0,0,0,"))
    }

    @Test func aSimulationNeverLeavesTheMachineWhateverTheWorkspaceSays() throws {
        try workspace.write("timeline.json5", Self.smallTimeline)
        let result = try detour(["simulate", "timeline.json5"], environment: ["DETOUR_STATE_DIR": workspace.root + "/state"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("Aモール店で障害が発生しています"), "the notices were sent, to the simulation's own sandbox")
        // The storefronts and the providers the workspace names were never asked anything.
        #expect(outside.requests().isEmpty)
        #expect(outside.hits("mall-a") == 0 && outside.hits("mall-b") == 0 && outside.hits("own") == 0)
        #expect(!result.output.contains(secret))
        #expect(!FileManager.default.fileExists(atPath: workspace.root + "/state"))
        #expect(!FileManager.default.fileExists(atPath: workspace.root + "/.detour"))
    }

    @Test func theSimulatorAgreesWithRealTickRunsAgainstTheSandbox() throws {
        let timeline = """
            {
              from: "2025-03-04T09:58", to: "2025-03-04T10:50",
              events: [
                { channel: "mall-a", from: "2025-03-04T10:00", to: "2025-03-04T10:30", shape: "503" },
                { channel: "mall-b", from: "2025-03-04T10:10", to: "2025-03-04T10:20", shape: "503" },
                { channel: "own", from: "2025-03-04T10:35", to: "2025-03-04T10:36", shape: "blip" },
              ],
            }
            """
        try workspace.write("timeline.json5", timeline)
        let simulated = try detour(["simulate", "timeline.json5", "--runs-as", "tick:1m", "--json"])
        #expect(simulated.status == 0, "\(simulated.output)")
        let outages = try #require(try json(simulated)["outages"] as? [[String: Any]])

        // The same timeline, one real `detour tick` process a minute against the sandbox.
        let zone = TimeZone(identifier: "Asia/Tokyo")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let start = calendar.date(from: DateComponents(year: 2025, month: 3, day: 4, hour: 9, minute: 58))!
        let failing: [(channel: String, from: Int, to: Int)] = [("mall-a", 2, 32), ("mall-b", 12, 22), ("own", 37, 38)]
        for minute in 0..<52 {
            for channel in ["mall-a", "mall-b", "own"] {
                let down = failing.contains { $0.channel == channel && $0.from <= minute && minute < $0.to }
                outside.setMode(down ? .down : .healthy, for: channel)
            }
            let now = start.addingTimeInterval(Double(minute) * 60)
            let tick = try detour(["tick"], environment: ["DETOUR_NOW": now.ISO8601Format()])
            #expect(tick.status == 0, "\(tick.output)")
        }
        let report = try json(try detour(["report", "--json"], environment: ["DETOUR_NOW": start.addingTimeInterval(52 * 60).ISO8601Format()]))
        let windows = try #require(report["windows"] as? [[String: Any]])
        #expect(windows.count == outages.count)
        for (window, outage) in zip(windows, outages) {
            #expect(window["channel"] as? String == outage["channel"] as? String)
            #expect(window["detected"] as? String == outage["confirmed"] as? String)
            #expect(window["mitigated"] as? String == outage["mitigated"] as? String)
            #expect(window["to"] as? String == outage["recovered"] as? String)
            #expect(window["resolved"] as? String == outage["resolved"] as? String)
        }
        // The same notices, in the same order.
        let sent = outside.requests().filter { $0.host == "api.line.me" }.compactMap { request in
            ((try? JSONSerialization.jsonObject(with: Data(request.body.utf8))) as? [String: Any]).flatMap {
                (($0["messages"] as? [[String: Any]])?.first?["text"]) as? String
            }
        }
        let told = outages.flatMap { ($0["notices"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String } }
        #expect(Set(sent) == Set(told))
        #expect(sent.count == told.count)
        #expect(sent.count == 4)
    }

    @Test func aCSVTimelineRunsLikeTheSameJSON5One() throws {
        try workspace.write("timeline.json5", Self.smallTimeline)
        try workspace.write(
            "timeline.csv",
            """
            channel,from,to,shape,note
            mall-a,2025-03-04T10:00,2025-03-04T12:00,503,"RMS障害, 全面"
            mall-b,2025-03-04T11:00,2025-03-04T11:30,503,
            mall-b,2025-03-04T14:00:20,2025-03-04T14:00:40,blip,

            """)
        let fromJSON5 = try json(try detour(["simulate", "timeline.json5", "--json"]))
        let fromCSV = try json(try detour(["simulate", "timeline.csv", "--json"]))
        // The CSV has no sale: mall A's first hour is not doubled.
        #expect((fromCSV["totals"] as? [String: Any])?["moneyWithout"] as? Double == 135_000)
        #expect((fromJSON5["totals"] as? [String: Any])?["moneyWithout"] as? Double == 195_000)
        #expect((fromCSV["outages"] as? [[String: Any]])?.first?["note"] as? String == "RMS障害, 全面")
        #expect(
            (fromCSV["outages"] as? [[String: Any]])?.map { $0["confirmed"] as? String }
                == (fromJSON5["outages"] as? [[String: Any]])?.map { $0["confirmed"] as? String })
    }

    @Test func aProviderThatFailsLeavesTheOutageUnmitigated() throws {
        try workspace.write(
            "timeline.json5",
            """
            { events: [
                { channel: "mall-a", from: "2025-03-04T10:00", to: "2025-03-04T11:00", shape: "refused" },
                { provider: "line", from: "2025-03-04T09:30", to: "2025-03-04T12:00", answer: 400 },
            ] }
            """)
        let outage = try #require((try json(try detour(["simulate", "timeline.json5", "--json"]))["outages"] as? [[String: Any]])?.first)
        // LINE refuses the notice for good (400): failover never completes, the whole hour is unmitigated.
        #expect(outage["confirmed"] as? String == "2025-03-04T10:00:20+09:00")
        #expect(outage["mitigated"] is NSNull)
        #expect(outage["unmitigatedMinutes"] as? Double == 60)
        #expect(outage["moneyWith"] as? Double == 60_000)
        #expect((outage["notices"] as? [Any])?.isEmpty == true)
    }

    @Test func theHTMLPageEscapesEveryText() throws {
        try workspace.write(
            "timeline.json5",
            #"{ events: [{ channel: "mall-a", from: "2025-03-04T10:00", to: "2025-03-04T11:00", shape: "503", note: "<script>alert('x')</script> & co" }] }"#
        )
        let result = try detour(["simulate", "timeline.json5", "--html", "page.html"])
        #expect(result.status == 0, "\(result.output)")
        let page = try String(contentsOfFile: workspace.root + "/page.html", encoding: .utf8)
        #expect(page.contains("503 (&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co)"))
        #expect(!page.contains("<script>"))
        #expect(page.contains("Aモール店で障害が発生しています"))
    }

    @Test func aTimelineMistakeNamesItsPlaceAndTheFix() throws {
        try workspace.write(
            "timeline.json5",
            """
            {
              events: [
                { channel: "mall-c", from: "2025-03-04T10:00", to: "2025-03-04T12:00", shape: "504" },
              ],
            }
            """)
        let result = try detour(["simulate", "timeline.json5"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("timeline.json5:3:16: error: \"channel\": no channel \"mall-c\" in this workspace; did you mean \"mall-a\"?"))
        #expect(result.stderr.contains("timeline.json5:3:83: error: \"shape\": unknown shape \"504\"; write one of \"503\""))
        try workspace.write("timeline.csv", "channel,from,to,shape\nmall-a,2025-03-04T10:00,2025-03-04T09:00,503\n")
        let csv = try detour(["simulate", "timeline.csv"])
        #expect(csv.status == 64)
        #expect(csv.stderr.contains("timeline.csv:2:"), "\(csv.stderr)")
    }

    @Test func heartbeatChannelsAreLeftOutOfASimulatedYear() throws {
        try workspace.write(
            "channels/sync.json5", #"{ name: "在庫連携", kind: "heartbeat", heartbeat: { every: "15m", grace: "5m", token: "env:SYNC_TOKEN" } }"#)
        try workspace.write("timeline.json5", Self.smallTimeline)
        let result = try detour(["simulate", "timeline.json5", "--json"], environment: ["SYNC_TOKEN": "sync-0123456789abcdef"])
        #expect(result.status == 0, "\(result.output)")
        let outages = try #require(try json(result)["outages"] as? [[String: Any]])
        #expect(Set(outages.compactMap { $0["channel"] as? String }) == ["mall-a", "mall-b"], "no job checks in during a simulation, and none is missed")
        let saved = try detour(["simulate", "--generate", "seed:7", "--year", "2025", "--save", "year.json5"])
        #expect(saved.status == 0, "\(saved.output)")
        #expect(!(try String(contentsOfFile: workspace.root + "/year.json5", encoding: .utf8)).contains("\"sync\""))
    }

    @Test func aGeneratedYearIsTheSameForTheSameSeedAndShapedLikeTheRecord() throws {
        for file in ["a.json5", "b.json5"] {
            let saved = try detour(["simulate", "--generate", "seed:7", "--year", "2025", "--save", file])
            #expect(saved.status == 0, "\(saved.output)")
        }
        let a = try String(contentsOfFile: workspace.root + "/a.json5", encoding: .utf8)
        let b = try String(contentsOfFile: workspace.root + "/b.json5", encoding: .utf8)
        // Only the comment naming the file differs.
        #expect(a.split(separator: "\n").dropFirst(2) == b.split(separator: "\n").dropFirst(2))
        let result = try detour(["simulate", "a.json5", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let outages = try #require(try json(result)["outages"] as? [[String: Any]])
        for mall in ["mall-a", "mall-b"] {
            let mine = outages.filter { $0["channel"] as? String == mall }
            #expect(mine.count >= 15)
            let hours = mine.compactMap { outage -> Double? in
                guard let from = (outage["from"] as? String).flatMap({ try? Date($0, strategy: .iso8601) }),
                    let to = (outage["to"] as? String).flatMap({ try? Date($0, strategy: .iso8601) })
                else { return nil }
                return to.timeIntervalSince(from) / 3_600
            }
            #expect(hours.count == mine.count && hours.allSatisfy { (2...6).contains($0) })
        }
        #expect(outages.contains { ($0["saleMultiplier"] as? Double ?? 1) > 1 })
        #expect(a.contains("shape: \"blip\"") && a.contains("shape: \"captcha\"") && a.contains("provider: \"line\""))
    }
}
