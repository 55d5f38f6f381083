import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// The status page's 90 days: bars per day from a journal with outages on known days, the public
/// timelines, both languages, and escaping of what a stranger may have written.
@Suite(.serialized)
final class StatusPageHistoryTests {
    let folder: TemporaryWorkspace
    static let hostile = #"<script>alert("x")</script>モール&"#

    init() throws {
        folder = try TemporaryWorkspace()
        try folder.write(
            "channels/mall.json5",
            """
            { name: \(Self.json(Self.hostile)), kind: "mall", url: "https://mall.example/shop/", alternates: ["own"],
              probes: [{ name: "cart", url: "https://mall.example/cart" }] }
            """)
        try folder.write(
            "channels/own.json5",
            #"{ name: "自社サイト", kind: "own-site", url: "https://own.example/", probes: [{ url: "https://own.example/" }] }"#)
        try folder.write(
            "channels/sync.json5", #"{ name: "在庫連携", kind: "heartbeat", heartbeat: { every: "15m", token: "env:SYNC_TOKEN" } }"#)
        let store = try StateStore(directory: folder.root + "/.detour")
        // 90 minutes down on 20 November, and 23:50 – 00:20 across midnight on the 25th; one outage 100 days before.
        for record in Self.outage("mall-old", start: Self.time("2026-08-22T10:00:00"), end: Self.time("2026-08-22T11:00:00"))
            + Self.outage("mall-1", start: Self.time("2026-11-20T10:00:00"), end: Self.time("2026-11-20T11:30:00"))
            + Self.outage("mall-2", start: Self.time("2026-11-25T23:50:00"), end: Self.time("2026-11-26T00:20:00"))
            + Self.outage("sync-1", channel: "sync", start: Self.time("2026-11-27T03:00:00"), end: Self.time("2026-11-27T04:00:00"))
        {
            _ = try store.append(record)
        }
    }

    static func json(_ text: String) -> String { String(decoding: try! JSONEncoder().encode(text), as: UTF8.self) }

    static func time(_ text: String) -> Date { LocalTime.parse(text + "+09:00", in: .gmt)! }

    static let now = time("2026-11-30T12:00:00")

    /// An outage as probes and playbooks journal it: a LINE notice at once, LINE and X when it is back.
    static func outage(_ id: String, channel: String = "mall", start: Date, end: Date) -> [JournalRecord] {
        func notice(_ step: String, _ provider: String, _ kind: NoticeMark.Kind, at time: Date) -> JournalRecord {
            var finished = StepFinished(
                incident: id, step: step, phase: kind == .down ? .failover : .recovery, attempt: 1, outcome: .succeeded, status: 200, error: nil,
                durationMs: 5)
            finished.notice = NoticeMark(provider: provider, kind: kind)
            return JournalRecord(ts: time, event: .stepFinished(finished))
        }
        let told = start.addingTimeInterval(300)
        return [
            JournalRecord(
                ts: start,
                event: .incidentOpened(
                    IncidentOpened(
                        incident: id, channel: channel, trigger: .probe, by: nil, reason: "cart: 503 from 10.0.0.7 (probe evidence)", firstFailureAt: start,
                        lastSuccessAt: nil))),
            notice("p/line", "line", .down, at: told),
            JournalRecord(ts: told, event: .incidentMitigated(IncidentReference(incident: id))),
            JournalRecord(ts: end, event: .incidentRecovering(IncidentRecovering(incident: id, trigger: .probe, recoveredAt: end, by: nil, reason: nil))),
            notice("p/line-back", "line", .recovered, at: end.addingTimeInterval(600)),
            notice("p/x-back", "x", .recovered, at: end.addingTimeInterval(620)),
            JournalRecord(ts: end.addingTimeInterval(620), event: .incidentResolved(IncidentReference(incident: id))),
        ]
    }

    static func items(_ value: JSONValue?) -> [JSONValue]? {
        if case .array(let items)? = value { return items }
        return nil
    }

    func page() throws -> StatusPage {
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        return StatusPage(workspace: workspace, state: try StateStore(directory: folder.root + "/.detour").loadState(), now: Self.now)
    }

    @Test func eachDayHasABarColouredByItsWorstStatus() throws {
        let page = try page()
        let days = try #require(page.history.bars["mall"])
        #expect(days.count == 90)
        #expect(days.first?.date == "2026-09-02" && days.last?.date == "2026-11-30")
        let byDate = Dictionary(uniqueKeysWithValues: days.map { ($0.date, $0) })
        #expect(byDate["2026-11-20"] == StatusHistory.Day(date: "2026-11-20", status: .majorOutage, minutesDown: 90))
        #expect(byDate["2026-11-25"] == StatusHistory.Day(date: "2026-11-25", status: .partialOutage, minutesDown: 10))
        #expect(byDate["2026-11-26"] == StatusHistory.Day(date: "2026-11-26", status: .partialOutage, minutesDown: 20))
        #expect(byDate["2026-11-21"]?.status == .operational)
        #expect(days.filter { $0.status != .operational }.count == 3, "the outage 100 days ago is outside the bars")
        #expect(page.history.bars["own"]?.allSatisfy { $0.status == .operational } == true)
        #expect(page.history.bars["sync"] == nil && !page.components.contains { $0.id == "sync" }, "jobs are not stores")
        #expect(page.history.incidents.map(\.id) == ["mall-2", "mall-1"], "newest first, within 90 days, stores only")
    }

    @Test func aSlownessGoingOnNowColoursTodaysBar() throws {
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace)
        var state = try StateStore(directory: folder.root + "/.detour").loadState()
        var health = ChannelHealth()
        health.state = .degraded
        state.channels["own"] = health
        let page = StatusPage(workspace: workspace, state: state, now: Self.now)
        #expect(page.history.bars["own"]?.last?.status == .degradedPerformance)
        #expect(page.history.bars["own"]?.dropLast().allSatisfy { $0.status == .operational } == true)
        #expect(page.html().contains("2026-11-30：一時的に表示が遅くなっておりました / 2026-11-30: slower than usual at times"))
    }

    @Test func pastIncidentsTellWhatCustomersWereToldAndWhen() throws {
        let json = try page().json(language: .en)
        let first = try #require(json["past_incidents"]?[1])
        let updates = try #require(Self.items(first["updates"])).map { ($0["at"]?.stringValue ?? "", $0["text"]?.stringValue ?? "") }
        #expect(
            updates.map(\.0) == [
                "2026-11-20T10:00:00+09:00", "2026-11-20T10:05:00+09:00", "2026-11-20T10:05:00+09:00", "2026-11-20T11:30:00+09:00",
                "2026-11-20T11:40:00+09:00",
            ])
        #expect(updates[1].1 == "We told customers on LINE.")
        #expect(updates[2].1 == "We directed customers to our other stores.")
        #expect(updates[4].1 == "We told customers on LINE and X that it is back.")
        #expect(json["page"]?["utc_offset"]?.stringValue == "+09:00")
        let both = try page().json()
        let title = try #require(both["past_incidents"]?[1]?["title"])
        #expect(title["ja"]?.stringValue == "\(Self.hostile)がご利用いただけません")
        #expect(title["en"]?.stringValue == "\(Self.hostile) is unavailable")
        #expect(!both.jsonText.contains("probe evidence") && !both.jsonText.contains("10.0.0.7"), "no probe evidence is published")
    }

    @Test func thePageHasBothLanguagesAndEscapesWhatStrangersWrote() throws {
        let html = try page().html()
        #expect(html.contains(#"<span class="ja" lang="ja">ストア稼働状況</span><span class="en" lang="en">Store status</span>"#))
        #expect(html.contains(#"id="lang-ja" class="lang" checked"#))
        #expect(try page().html(language: .en).contains(#"id="lang-en" class="lang" checked"#))
        #expect(html.contains("LINE・Xで復旧をお知らせしました。"))
        #expect(html.contains(#"data-date="2026-11-20" title="2026-11-20：90分間ご利用いただけませんでした / 2026-11-20: unavailable for 90 min""#))
        #expect(html.contains(#"<i class="major_outage" data-date="2026-11-20""#))
        #expect(!html.contains("<script>"), "a channel name never becomes markup")
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;モール&amp;"))
        #expect(!html.contains("probe evidence") && !html.contains("mall.example/cart"))
        #expect(html.contains("Times are in Asia/Tokyo (UTC+09:00)."))
    }

    @Test func statuspageOutWritesThePageWithHistory() throws {
        let result = try DetourBinary.run(["statuspage", "--out", "public"], in: folder.root, environment: ["DETOUR_NOW": "2026-11-30T12:00:00+09:00"])
        #expect(result.status == 0, "\(result.output)")
        let html = try String(contentsOfFile: folder.root + "/public/index.html", encoding: .utf8)
        #expect(html.contains(#"data-incident="mall-1""#) && html.contains(#"data-incident="mall-2""#))
        let json = try String(contentsOfFile: folder.root + "/public/status.json", encoding: .utf8)
        #expect(
            json.contains(#"{"date":"2026-11-20","minutes_down":90,"status":"major_outage"}"#) || json.contains(#""minutes_down":90"#), "\(json.prefix(400))")
        // Only the days something happened are listed, between the period's first and last date.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let history = try #require(object["history"] as? [String: Any])
        #expect(history["from"] as? String == "2026-09-02")
        #expect(history["to"] as? String == "2026-11-30")
        let components = try #require(history["components"] as? [[String: Any]])
        let mall = try #require(components.first { $0["component"] as? String == "mall" }?["days"] as? [[String: Any]])
        #expect(!mall.isEmpty && mall.count < 10)
        #expect(mall.allSatisfy { $0["status"] as? String != "operational" })
    }
}
