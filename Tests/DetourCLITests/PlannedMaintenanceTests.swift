import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// A planned window from the workspace: no incident, listed apart in the report, announced on the status page.
@Suite(.serialized)
final class PlannedMaintenanceTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "detour.json5",
            "{ calendar: { maintenance: [{ from: \"2026-12-02T01:00\", to: \"2026-12-02T06:00\", note: \"RMS定期メンテナンス\", channels: [\"mall\"] }] } }")
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "楽天市場店", kind: "mall", url: "\(sandbox.baseURL)/store/mall/", probes: [{ url: "\(sandbox.baseURL)/store/mall/" }],
              revenue: { perHour: 120000 } }
            """)
        try workspace.write(
            "playbooks/down.json5",
            "{ on: { event: \"down\", channels: \"*\" }, steps: [{ id: \"notice\", do: \"http\", request: { url: \"\(sandbox.baseURL)/notice\" } }] }")
    }

    deinit { sandbox.stop() }

    func detour(_ arguments: String..., at time: String) throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T\(time)+09:00"])
    }

    @Test func aPlannedWindowIsNotAnOutageAndIsListedApart() throws {
        sandbox.setMode(.down, for: "mall")
        for time in ["01:05:00", "01:06:00", "01:07:00", "01:08:00"] { _ = try detour("tick", at: time) }
        #expect(sandbox.requests(path: "/notice").isEmpty, "planned work posts nothing")
        let pages = workspace.root + "/status"
        #expect(try detour("statuspage", "--out", pages, at: "01:10:00").status == 0)
        let status = try String(contentsOfFile: pages + "/status.json", encoding: .utf8)
        #expect(status.contains(#""status":"under_maintenance""#), "\(status)")

        let report = try detour("report", at: "07:00:00").stdout
        #expect(report.contains("Planned maintenance (not counted as lost sales):"), "\(report)")
        #expect(report.contains("RMS定期メンテナンス"))
        #expect(try detour("report", "--csv", at: "07:00:00").stdout.split(separator: "\r\n").count == 1, "no lost-sale window")
    }
}
