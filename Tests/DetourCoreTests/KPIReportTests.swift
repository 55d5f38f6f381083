import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// KPIs from a constructed journal: exact numbers per channel and period.
struct KPIReportTests {
    func at(_ text: String) -> Date { LocalTime.parse(text, in: TimeZone(identifier: "Asia/Tokyo")!)! }

    func record(_ time: String, _ event: JournalEvent) -> JournalRecord { JournalRecord(ts: at(time), event: event) }

    func opened(_ id: String, first: String) -> JournalEvent {
        .incidentOpened(
            IncidentOpened(incident: id, channel: "mall", trigger: .probe, by: nil, reason: "503", firstFailureAt: at(first), lastSuccessAt: nil))
    }

    func recovering(_ id: String, _ time: String) -> JournalEvent {
        .incidentRecovering(IncidentRecovering(incident: id, trigger: .probe, recoveredAt: at(time), by: nil, reason: nil))
    }

    @Test func monthsCountOutagesAvailabilityAndTheMeanTimes() throws {
        let (workspace, _) = try loadWorkspace([
            "channels/mall.json5":
                #"{ name: "モール", kind: "mall", url: "http://127.0.0.1:9/", probes: [{ url: "http://127.0.0.1:9/" }], revenue: { perHour: 60000, currency: "JPY" } }"#
        ])
        var state = DetourState()
        let records = [
            // November: two outages. a: 30 min, acknowledged after 5 min; b: 90 min, acknowledged after 15 min.
            record("2026-11-10T03:01", opened("a", first: "2026-11-10T03:00")),
            record("2026-11-10T03:03", .incidentMitigated(IncidentReference(incident: "a"))),
            record("2026-11-10T03:06", .incidentAcknowledged(IncidentAcknowledged(incident: "a", by: "田中"))),
            record("2026-11-10T03:30", recovering("a", "2026-11-10T03:30")),
            record("2026-11-10T03:35", .incidentResolved(IncidentReference(incident: "a"))),
            record("2026-11-20T12:02", opened("b", first: "2026-11-20T12:00")),
            record("2026-11-20T12:17", .incidentAcknowledged(IncidentAcknowledged(incident: "b", by: "鈴木"))),
            record("2026-11-20T12:32", .incidentMitigated(IncidentReference(incident: "b"))),
            record("2026-11-20T13:30", recovering("b", "2026-11-20T13:30")),
            // December: one outage nobody acknowledged, 60 min, never mitigated.
            record("2026-12-01T00:01", opened("c", first: "2026-12-01T00:00")),
            record("2026-12-01T01:00", recovering("c", "2026-12-01T01:00")),
        ]
        for record in records { state.apply(record) }
        let report = LostSaleReport(state: state, workspace: workspace, now: at("2026-12-02T00:00"))
        let kpi = KPIReport(report: report, state: state, period: .month)
        #expect(kpi.rows.map(\.period) == ["2026-11", "2026-12"])
        let november = kpi.rows[0]
        #expect(november.outages == 2)
        // 120 minutes down in 30 days (43,200 minutes).
        #expect(abs(november.availability - 100 * (1 - 120.0 / 43_200)) < 1e-9)
        #expect(november.mttd == 90)  // 60 s and 120 s
        #expect(november.mtta == 600)  // 5 min (from 03:01) and 15 min (from 12:02)
        #expect(november.mttm == 960)  // 2 min and 30 min
        #expect(november.mttr == 3_600)  // 30 min and 90 min
        #expect(november.unmitigatedMinutes == 35)  // 3 min and 32 min
        #expect(november.moneyAtRisk == 120_000)  // 2 hours at ¥60,000
        let december = kpi.rows[1]
        #expect(december.outages == 1)
        #expect(december.mtta == nil)
        // 60 minutes down in the 1,440 minutes of December so far.
        #expect(abs(december.availability - 100 * (1 - 60.0 / 1_440)) < 1e-9)
        #expect(december.unmitigatedMinutes == 60)
        #expect(kpi.csv().contains("\r\nmall,2026-11,2,99.7222,90,600,960,3600,35.0,120000,0,JPY\r\n"))
        #expect(kpi.table().contains("10m"))
        let weekly = KPIReport(report: report, state: state, period: .week)
        #expect(weekly.rows.map(\.period) == ["2026-W46", "2026-W47", "2026-W49"])
        let html = KPIReportHTML(report: kpi, timeZone: workspace.settings.timeZone).render()
        #expect(html.contains("<svg"))
        #expect(html.contains("モール"))
    }
}
