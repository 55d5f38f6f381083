import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// Revenue profiles, sale calendar, window bounds and the report's CSV, JSON and HTML shapes.
@Suite struct LostSaleReportTests {
    /// A workspace with one mall (hour, weekday and recapture profile) and its alternate.
    static func workspace(timeZone: String = "Asia/Tokyo", extraSettings: String = "") throws -> (Workspace, TemporaryWorkspace) {
        let folder = try TemporaryWorkspace()
        try folder.write(
            "detour.json5",
            """
            {
              timezone: "\(timeZone)",
              calendar: { sales: [
                { name: "楽天スーパーSALE", from: "2026-11-25T10:30", to: "2026-11-25T12:00", channels: ["mall"], multiplier: 3 },
                { name: "週末セール", from: "2026-11-25T11:00+09:00", to: "2026-11-25T11:30+09:00", multiplier: 2 },
              ] },
              \(extraSettings)
            }
            """)
        let hours = (0..<24).map { $0 == 23 ? "2" : $0 == 0 ? "0.5" : "1" }.joined(separator: ", ")
        try folder.write(
            "channels/mall.json5",
            """
            { name: "テストモール店", kind: "mall", url: "https://mall.example/", probes: [{ name: "item", url: "https://mall.example/item" }],
              revenue: { perHour: 60000, byHour: [\(hours)], byWeekday: { thu: 1.5 }, recapture: { own: 0.25 } },
              alternates: ["own", "other"] }
            """)
        try folder.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "https://own.example/", probes: [{ name: "top", url: "https://own.example/" }],
              revenue: { perHour: 10000 } }
            """)
        try folder.write(
            "channels/other.json5",
            """
            { name: "別モール", kind: "mall", url: "https://other.example/", probes: [{ name: "top", url: "https://other.example/" }] }
            """)
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        return (workspace, folder)
    }

    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    @Test(
        arguments: [
            // Plain hour, no sale: 1 h × 60,000.
            ("Asia/Tokyo", "mall", "2026-11-25T09:00:00+09:00", "2026-11-25T10:00:00+09:00", 60_000.0),
            // Into the sale at 10:30 (×3): 0.5 h × 60,000 + 0.5 h × 180,000.
            ("Asia/Tokyo", "mall", "2026-11-25T10:00:00+09:00", "2026-11-25T11:00:00+09:00", 120_000.0),
            // Two sales overlap 11:00–11:30: the larger multiplier (×3) counts, not both.
            ("Asia/Tokyo", "mall", "2026-11-25T11:00:00+09:00", "2026-11-25T11:30:00+09:00", 90_000.0),
            // Out of the sale at 12:00: 0.5 h × 180,000 + 0.5 h × 60,000.
            ("Asia/Tokyo", "mall", "2026-11-25T11:30:00+09:00", "2026-11-25T12:30:00+09:00", 120_000.0),
            // A sale for other channels only: "own" gets the ×2 one only.
            ("Asia/Tokyo", "own", "2026-11-25T10:00:00+09:00", "2026-11-25T12:00:00+09:00", 25_000.0),
            // Across midnight Wed→Thu: 0.5 h × 60,000 × 2 (23:00) + 0.5 h × 60,000 × 0.5 (0:00) × 1.5 (Thursday).
            ("Asia/Tokyo", "mall", "2026-11-25T23:30:00+09:00", "2026-11-26T00:30:00+09:00", 82_500.0),
            // The same instants read in UTC are 14:30–15:30 on Wednesday: flat.
            ("UTC", "mall", "2026-11-25T23:30:00+09:00", "2026-11-26T00:30:00+09:00", 60_000.0),
            // In New York they are 09:30–10:30 on Wednesday.
            ("America/New_York", "mall", "2026-11-25T23:30:00+09:00", "2026-11-26T00:30:00+09:00", 60_000.0),
        ] as [(String, String, String, String, Double)])
    func revenueFollowsHoursWeekdaysSalesAndTheTimeZone(zone: String, channel: String, from: String, to: String, expected: Double) throws {
        let (workspace, _) = try Self.workspace(timeZone: zone)
        let model = RevenueModel(calendar: workspace.settings.calendar, timeZone: workspace.settings.timeZone)
        let revenue = try #require(workspace.channel(channel)?.revenue)
        let amount = model.amount(revenue, channel: channel, from: Self.date(from), to: Self.date(to))
        #expect(abs(amount - expected) < 0.01, "\(amount)")
    }

    @Test(
        arguments: [
            (
                "channels/x.json5",
                "{ name: \"x\", kind: \"mall\", url: \"https://x.example/\", probes: [{ name: \"p\", url: \"https://x.example/\" }], revenue: { perHour: 1, byHour: [1, 2] } }",
                "channels/x.json5:1:", "needs 24 factors"
            ),
            (
                "channels/x.json5",
                "{ name: \"x\", kind: \"mall\", url: \"https://x.example/\", probes: [{ name: \"p\", url: \"https://x.example/\" }], revenue: { perHour: 1, byWeekday: { funday: 2 } } }",
                "channels/x.json5:1:", "unknown weekday \"funday\""
            ),
            (
                "channels/x.json5",
                "{ name: \"x\", kind: \"mall\", url: \"https://x.example/\", probes: [{ name: \"p\", url: \"https://x.example/\" }], revenue: { perHour: 1, recapture: { nowhere: 0.5 } }, alternates: [] }",
                "channels/x.json5:1:", "not one of this channel's alternates"
            ),
            (
                "detour.json5", "{ calendar: { sales: [{ name: \"s\", from: \"2026-12-02\", to: \"2026-12-01\", multiplier: 2 }] } }", "detour.json5:1:",
                "ends before it starts"
            ),
            (
                "detour.json5", "{ calendar: { sales: [{ name: \"s\", from: \"next week\", to: \"2026-12-01\", multiplier: 2 }] } }", "detour.json5:1:",
                "is not a time"
            ),
            (
                "detour.json5", "{ calendar: { sales: [{ name: \"s\", from: \"2026-12-01\", to: \"2026-12-02\" }] } }", "detour.json5:1:",
                "missing \"multiplier\""
            ),
            ("detour.json5", "{ statusPage: { out: \"\" } }", "detour.json5:1:", "statusPage is empty"),
        ] as [(String, String, String, String)])
    func badRevenueAndCalendarEntriesAreReportedWithTheirPlace(file: String, text: String, location: String, message: String) throws {
        let folder = try TemporaryWorkspace()
        try folder.write(
            "channels/ok.json5", "{ name: \"ok\", kind: \"mall\", url: \"https://ok.example/\", probes: [{ name: \"p\", url: \"https://ok.example/\" }] }")
        try folder.write(file, text)
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        #expect(load.workspace == nil)
        #expect(load.diagnostics.contains { $0.description.hasPrefix(location) && $0.description.contains(message) }, "\(load.diagnostics)")
    }

    /// The rates journaled when an incident opened are the ones its money uses; `recompute` uses today's.
    @Test func aReportKeepsTheRatesInForceWhenTheOutageOpened() throws {
        let (workspace, _) = try Self.workspace()
        let start = Self.date("2026-11-25T09:00:00+09:00")
        var state = DetourState()
        state.apply(
            JournalRecord(
                ts: start,
                event: .incidentOpened(
                    IncidentOpened(
                        incident: "mall-1", channel: "mall", trigger: .probe, by: nil, reason: "503", firstFailureAt: start, lastSuccessAt: nil,
                        revenuePerHour: 50_000, saleMultiplier: 2))))
        let end = start.addingTimeInterval(3_600)
        state.apply(
            JournalRecord(ts: end, event: .incidentRecovering(IncidentRecovering(incident: "mall-1", trigger: .probe, recoveredAt: end, by: nil, reason: nil))))
        let kept = LostSaleReport(state: state, workspace: workspace, now: end)
        #expect(kept.windows[0].moneyAtRisk == Money(minorUnits: 100_000, currency: "JPY"), "1 h × 50,000 × 2, as journaled")
        #expect(kept.windows[0].saleMultiplier == 2)
        #expect(!kept.table().contains("recomputed"))
        let today = LostSaleReport(state: state, workspace: workspace, now: end, recompute: true)
        #expect(today.windows[0].moneyAtRisk.minorUnits == 60_000, "today's profile: 1 h × 60,000, no sale")
        #expect(today.table().hasPrefix(LostSaleReport.recomputedLabel))
        #expect(workspace.revenueInForce(channel: "mall", at: Self.date("2026-11-25T10:45:00+09:00"))! == (60_000, 3))
        #expect(workspace.revenueInForce(channel: "other", at: start) == nil, "no revenue configured")
    }

    /// An incident folded from journal records, as the engine writes them.
    static func state(mitigated: Bool = true, recovered: Bool = true) -> DetourState {
        var state = DetourState()
        let id = "mall-20261125-100120"
        var records = [
            JournalRecord(
                ts: date("2026-11-25T10:01:20+09:00"),
                event: .incidentOpened(
                    IncidentOpened(
                        incident: id, channel: "mall", trigger: .probe, by: nil, reason: "item: 503", firstFailureAt: date("2026-11-25T10:01:00+09:00"),
                        lastSuccessAt: date("2026-11-25T10:00:00+09:00"))))
        ]
        if mitigated { records.append(JournalRecord(ts: date("2026-11-25T10:01:50+09:00"), event: .incidentMitigated(IncidentReference(incident: id)))) }
        if recovered {
            records.append(
                JournalRecord(
                    ts: date("2026-11-25T10:31:10+09:00"),
                    event: .incidentRecovering(
                        IncidentRecovering(incident: id, trigger: .probe, recoveredAt: date("2026-11-25T10:31:00+09:00"), by: nil, reason: nil))))
            records.append(JournalRecord(ts: date("2026-11-25T10:31:12+09:00"), event: .incidentResolved(IncidentReference(incident: id))))
        }
        for record in records { state.apply(record) }
        return state
    }

    @Test func windowBoundsAndMoneySplitAtMitigation() throws {
        let (workspace, _) = try Self.workspace()
        let report = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00"))
        let window = try #require(report.windows.first)
        #expect(window.earliest == Self.date("2026-11-25T10:00:00+09:00"))
        #expect(window.from == Self.date("2026-11-25T10:01:00+09:00"))
        #expect(window.detected == Self.date("2026-11-25T10:01:20+09:00"))
        #expect(window.mitigated == Self.date("2026-11-25T10:01:50+09:00"))
        #expect(window.to == Self.date("2026-11-25T10:31:00+09:00"))
        #expect(window.resolved == Self.date("2026-11-25T10:31:12+09:00"))
        #expect(window.minutes == 30)
        #expect(abs(window.unmitigatedMinutes - 50.0 / 60) < 1e-9)
        #expect(window.secondsToDetect == 20)
        #expect(window.secondsToMitigate == 30)
        #expect(window.secondsToRecover == 1_800)
        // 10:01–10:30 at 60,000/h, 10:30–10:31 in the ×3 sale.
        #expect(window.moneyAtRisk == Money(minorUnits: 60_000 * 29 / 60 + 180_000 / 60, currency: "JPY"))
        #expect(window.moneyBeforeMitigation.minorUnits == 833, "60,000 × 50 / 3,600 = 833.3, in whole yen")
        // Each amount is rounded once from its own figure: the parts may differ from the whole by a yen.
        #expect(abs((window.moneyBeforeMitigation + window.moneyAfterMitigation).minorUnits - window.moneyAtRisk.minorUnits) <= 1)
        // own: 0.25 (configured) + other: 0.2 (the default).
        #expect(abs(Double(window.recapture.minorUnits) - Double(window.moneyAfterMitigation.minorUnits) * 0.45) <= 1)
        #expect(window.saleMultiplier == 3)
    }

    @Test func anUnmitigatedOngoingOutageCountsUpToNowAndAllBeforeMitigation() throws {
        let (workspace, _) = try Self.workspace()
        let report = LostSaleReport(state: Self.state(mitigated: false, recovered: false), workspace: workspace, now: Self.date("2026-11-25T10:11:00+09:00"))
        let window = try #require(report.windows.first)
        #expect(window.to == nil)
        #expect(window.minutes == 10)
        #expect(window.unmitigatedMinutes == 10)
        #expect(window.moneyAfterMitigation == .zero("JPY"))
        #expect(window.recapture == .zero("JPY"))
        #expect(report.table().contains("ongoing"))
    }

    @Test(
        arguments: [
            (nil, nil, [], 1), ("2026-11-25T10:31:01+09:00", nil, [], 0), (nil, "2026-11-25T10:00:59+09:00", [], 0),
            ("2026-11-25T10:30:00+09:00", "2026-11-25T10:30:00+09:00", [], 1), (nil, nil, ["own"], 0), (nil, nil, ["mall"], 1),
        ] as [(String?, String?, [String], Int)])
    func filtersBySinceUntilAndChannel(since: String?, until: String?, channels: [String], count: Int) throws {
        let (workspace, _) = try Self.workspace()
        let filter = ReportFilter(since: since.map(Self.date), until: until.map(Self.date), channels: channels)
        let report = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00"), filter: filter)
        #expect(report.windows.count == count)
    }

    @Test func csvHasOneHeaderAndEqualColumnsAndAnOptionalBOM() throws {
        let (workspace, _) = try Self.workspace()
        let report = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00"))
        let plain = report.csv()
        #expect(!plain.hasPrefix("\u{FEFF}"))
        let rows = plain.split(separator: "\r\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 2)
        #expect(rows[0].count == 23)
        #expect(rows[1].count == rows[0].count)
        let header = rows[0].map(String.init)
        let row = Dictionary(uniqueKeysWithValues: zip(header, rows[1].map(String.init)))
        #expect(row["channel_name"] == "テストモール店")
        #expect(row["mitigated"] == "2026-11-25T10:01:50+09:00")
        #expect(row["seconds_to_mitigate"] == "30")
        #expect(row["money_at_risk"] == "32000")
        #expect(row["sale_multiplier"] == "3")
        let bom = report.csv(byteOrderMark: true)
        #expect(Array(bom.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(bom.dropFirst()) == plain)
    }

    @Test(arguments: [
        ("-楽天-", "'-楽天-"), ("=HYPERLINK(\"http://evil.example\",\"クリック\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"クリック\"\")\""),
        ("+81 店", "'+81 店"), ("@mall", "'@mall"), ("\tタブ店", "'\tタブ店"), ("\r店", "\"'\r店\""), ("楽天-店", "楽天-店"),
    ])
    func csvCellsThatLookLikeFormulasStayText(name: String, cell: String) throws {
        let (_, folder) = try Self.workspace()
        let path = folder.root + "/channels/mall.json5"
        let quoted = String(decoding: try JSONEncoder().encode(name), as: UTF8.self)
        try folder.write("channels/mall.json5", try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"テストモール店\"", with: quoted))
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        let csv = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00")).csv()
        let row = try #require(csv.components(separatedBy: "\r\n").dropFirst().first)
        #expect(row.contains(",JPY,\(cell),2026-11-25T"), "\(row)")
        // Amounts and times are written as they are.
        #expect(row.contains(",32000,JPY,"))
    }

    @Test func jsonHasWindowsChannelsAndTotals() throws {
        let (workspace, _) = try Self.workspace()
        let report = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().jsonText.utf8)) as? [String: Any])
        let windows = try #require(object["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        for key in [
            "earliest", "from", "detected", "mitigated", "to", "resolved", "moneyAtRisk", "moneyBeforeMitigation", "moneyAfterMitigation", "recapture",
            "unmitigatedMinutes", "secondsToMitigate",
        ] {
            #expect(windows[0][key] != nil, "missing \(key)")
        }
        #expect(windows[0]["secondsToMitigate"] as? Double == 30)
        let channels = try #require(object["channels"] as? [[String: Any]])
        #expect(channels.map { $0["channel"] as? String } == ["mall", "other", "own"])
        let totals = try #require((object["totals"] as? [String: Any])?["JPY"] as? [String: Any])
        #expect(totals["moneyAtRisk"] as? Double == 32_000)
        #expect(totals["outages"] as? Double == 1)
    }

    @Test func htmlIsSelfContainedWithATimelinePerChannel() throws {
        let (workspace, _) = try Self.workspace()
        let maintenance = [
            PlannedMaintenance(channel: "own", from: Self.date("2026-11-25T11:00:00+09:00"), to: Self.date("2026-11-25T11:20:00+09:00"), note: "定期メンテナンス")
        ]
        let report = LostSaleReport(state: Self.state(), workspace: workspace, now: Self.date("2026-11-25T12:00:00+09:00"), maintenance: maintenance)
        let html = ReportHTML(report: report).render()
        for channel in workspace.channels {
            #expect(html.contains("<svg class=\"timeline\" data-channel=\"\(channel.id)\""), "no timeline for \(channel.id)")
        }
        #expect(html.contains("data-incident=\"mall-20261125-100120\""))
        #expect(html.contains("<g class=\"sale\">"))
        #expect(html.contains("class=\"mark\""))
        #expect(html.contains("¥32,000"))
        #expect(html.contains("failover 30 s"))
        #expect(html.contains("Planned maintenance"))
        #expect(html.contains("定期メンテナンス"))
        #expect(report.totals.first?.totals.moneyAtRisk == report.windows[0].moneyAtRisk, "maintenance is not lost sales")
        // Nothing to fetch: no scripts, no external files.
        for marker in ["<script", "src=", "<link", "@import", "url("] { #expect(!html.contains(marker), "\(marker)") }
    }
}
