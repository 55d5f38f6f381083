import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `schedule.duringSales`: tighter probing while a sale from the calendar applies to the channel.
@Suite(.serialized)
final class SaleScheduleTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "detour.json5",
            """
            { calendar: { sales: [{ name: "楽天スーパーSALE", from: "2026-12-04T10:00", to: "2026-12-04T11:00", channels: ["mall"], multiplier: 3 }] } }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/", probes: [{ url: "\(sandbox.baseURL)/store/mall/" }],
              schedule: { every: "1m", confirmEvery: "20s", duringSales: { every: "10s", confirmEvery: "5s" } } }
            """)
    }

    deinit { sandbox.stop() }

    func tick(_ time: String) throws {
        let result = try DetourBinary.run(["tick"], in: workspace.root, environment: ["DETOUR_NOW": "2026-12-04T\(time)+09:00"])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func probesEveryTenSecondsDuringTheSaleAndEveryMinuteOutsideIt() throws {
        try tick("09:58:50")
        try tick("09:59:20")
        #expect(sandbox.hits("mall") == 1, "outside the sale, once a minute")
        // The sale starts at 10:00: the next probe follows the sale's pace at once.
        try tick("10:00:01")
        try tick("10:00:11")
        try tick("10:00:21")
        #expect(sandbox.hits("mall") == 4)
        try tick("10:00:25")
        #expect(sandbox.hits("mall") == 4, "not before ten seconds have passed")
        try tick("11:00:30")
        try tick("11:00:45")
        #expect(sandbox.hits("mall") == 5, "after the sale, once a minute again")
    }

    @Test func aTypoInDuringSalesIsReportedWhereItIs() throws {
        try workspace.write(
            "channels/mall.json5",
            "{ name: \"m\", kind: \"mall\", url: \"\(sandbox.baseURL)/\", probes: [{ url: \"\(sandbox.baseURL)/\" }],\n  schedule: { duringSales: { evry: \"10s\" } } }"
        )
        let result = try DetourBinary.run(["check"], in: workspace.root)
        #expect(result.status == 2)
        #expect(
            result.stderr.contains(#"channels/mall.json5:2:30: error: unknown key "evry" in schedule.duringSales; did you mean "every"?"#), "\(result.stderr)")
    }
}
