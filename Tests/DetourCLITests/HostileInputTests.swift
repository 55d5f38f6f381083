import DetourTestSupport
import Foundation
import Testing

/// Hostile numbers, times and limits through the binary: refused with the reason, exit 64 or 2, never a crash.
struct HostileInputTests {
    /// A workspace that needs no network: one channel on a closed port, no playbooks.
    func workspace(revenue: String = "perHour: 80000", calendar: String = "") throws -> TemporaryWorkspace {
        let workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "モール", kind: "mall", url: "http://127.0.0.1:9/",
              probes: [{ name: "item", url: "http://127.0.0.1:9/item" }],
              revenue: { \(revenue) },
            }
            """)
        if !calendar.isEmpty { try workspace.write("detour.json5", "{\n  calendar: { sales: [\(calendar)] },\n}\n") }
        return workspace
    }

    static let usageCases: [[String]] = [
        ["hold", "mall", "--until", "999999999d"],
        ["hold", "mall", "--until", "367d"],
        ["hold", "mall", "--until", "2026-12-04T20:00+٠٩:٠٠"],
        ["report", "--since", "999999999d"],
        ["report", "--until", "9999999999999999999999d"],
        ["report", "--since", "2026-13-01"],
        ["report", "--since", "２０２６-02-30"],
        ["demo", "--outage", "400d"],
    ]

    @Test(arguments: usageCases)
    func outOfRangeTimesAndDurationsAreUsageErrors(arguments: [String]) throws {
        let workspace = try workspace()
        let result = try DetourBinary.run(arguments, in: workspace.root)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.stderr.hasPrefix("error: --"), "\(result.stderr)")
        #expect(result.stderr.contains("longer than 366 days") || result.stderr.contains("is not a time") || result.stderr.contains("neither"))
    }

    @Test func fullWidthTimesWorkOnTheCommandLine() throws {
        let workspace = try workspace()
        let environment = ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"]
        let hold = try DetourBinary.run(["hold", "mall", "--until", "２０２６-12-02T06:00+０９:００"], in: workspace.root, environment: environment)
        #expect(hold.status == 0, "\(hold.output)")
        #expect(hold.stdout.contains("held until 2026-12-02T06:00:00+09:00"), "\(hold.stdout)")
        let report = try DetourBinary.run(["report", "--since", "２０２６-１１-０１", "--until", "３０ｄ"], in: workspace.root, environment: environment)
        #expect(report.status == 0, "\(report.output)")
    }

    @Test(arguments: [
        ("perHour: 1e20", "", "channels/mall.json5:4:23"),
        ("perHour: 80000, byWeekday: { sun: 1e300 }", "", "channels/mall.json5:4:48"),
        ("perHour: 80000", #"{ name: "x", from: "2026-12-01", to: "2026-12-31", multiplier: 9.3e18 }"#, "detour.json5:2:86"),
    ])
    func amountsPastWhatReportsCanHoldAreCheckErrors(revenue: String, sale: String, location: String) throws {
        let workspace = try workspace(revenue: revenue, calendar: sale)
        let check = try DetourBinary.run(["check"], in: workspace.root)
        #expect(check.status == 2, "\(check.output)")
        #expect(check.stderr.contains("\(location): error:"), "\(check.stderr)")
        for command in [["report"], ["report", "--html", "r.html"], ["show", "mall"], ["status"]] {
            let result = try DetourBinary.run(command, in: workspace.root)
            #expect(result.status == 2, "\(command): \(result.output)")
            #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        }
    }
}
