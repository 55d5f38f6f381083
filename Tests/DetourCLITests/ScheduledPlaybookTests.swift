import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `schedule` playbooks through the binary: once per time and channel, never twice.
@Suite(.serialized)
final class ScheduledPlaybookTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        for id in ["mall", "own"] {
            try workspace.write(
                "channels/\(id).json5",
                "{ name: \"\(id)\", kind: \"mall\", url: \"\(sandbox.baseURL)/store/\(id)/\", probes: [{ url: \"\(sandbox.baseURL)/store/\(id)/\" }] }")
        }
        try workspace.write(
            "playbooks/readiness.json5",
            """
            { on: { event: "schedule", cron: "0 8 * * *", channels: ["mall"] },
              steps: [{ id: "ready", do: "http", request: { url: "\(sandbox.baseURL)/ready", json: { channel: "{{channel.name}}", run: "{{incident.id}}" } } }] }
            """)
    }

    deinit { sandbox.stop() }

    func tick(at time: String) throws -> CommandResult {
        try DetourBinary.run(["tick"], in: workspace.root, environment: ["DETOUR_NOW": "2026-11-25T\(time)+09:00"])
    }

    @Test func firesOnceAtItsTimeAndNotAgain() throws {
        _ = try tick(at: "07:59:30")
        #expect(sandbox.requests(path: "/ready").isEmpty)
        _ = try tick(at: "08:00:10")
        _ = try tick(at: "08:01:10")
        _ = try tick(at: "08:03:00")
        let runs = sandbox.requests(path: "/ready")
        #expect(runs.count == 1)
        #expect(runs.first?.body == #"{"channel":"mall","run":"readiness-mall-20261125-080000"}"#)
        // A scheduled run is not an outage.
        let report = try DetourBinary.run(["report", "--csv"], in: workspace.root).stdout
        #expect(report.split(separator: "\r\n").count == 1)
    }

    @Test func aLateTickStillFiresWithinTheGraceButNotLater() throws {
        _ = try tick(at: "08:04:00")
        #expect(sandbox.requests(path: "/ready").count == 1)
        _ = try DetourBinary.run(["tick"], in: workspace.root, environment: ["DETOUR_NOW": "2026-11-26T08:09:00+09:00"])
        #expect(sandbox.requests(path: "/ready").count == 1, "a time missed by more than 5 minutes is skipped")
    }

    @Test func aBadCronIsReportedWhereItIsWritten() throws {
        try workspace.write("playbooks/readiness.json5", "{\n  on: { event: \"schedule\", cron: \"0 8 * *\" },\n  steps: [],\n}\n")
        let result = try DetourBinary.run(["check"], in: workspace.root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("playbooks/readiness.json5:2:34: error: \"cron\": \"0 8 * *\" has 4 fields"), "\(result.stderr)")
    }
}
