import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// A broken workspace file never stops monitoring: commands run on the last good copy and exit 3.
@Suite(.serialized)
final class LastGoodWorkspaceTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    static let goodNotify = """
        { on: { event: "down", channels: "*" },
          steps: [{ id: "notice", do: "http", request: { url: "%@/notice", json: { text: "{{channel.name}}" } } }] }
        """

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }],
              schedule: { every: "1m", confirmEvery: "1m", failAfter: 2, recoverAfter: 1 } }
            """)
        try workspace.write("playbooks/notify.json5", String(format: Self.goodNotify, sandbox.baseURL))
        try workspace.write(
            "playbooks/team.json5",
            """
            { on: { event: "workspace-invalid" },
              steps: [{ id: "alert", do: "http", request: { url: "\(sandbox.baseURL)/team-alert", json: { text: "{{incident.reason}}" } } }] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        let environment = time.map { ["DETOUR_NOW": "2026-12-02T\($0)+09:00"] } ?? [:]
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func breakPlaybook() throws {
        try workspace.write(
            "playbooks/notify.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "notice", do: "x.pots", text: "typo" }] }
            """)
    }

    @Test func aTypoInAPlaybookNeverStopsMonitoring() throws {
        let first = try detour("tick", at: "01:00:00")
        #expect(first.status == 0, "\(first.output)")
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/.detour/last-good/manifest.json"))

        try breakPlaybook()
        #expect(try detour("check").status == 2, "check stays strict")

        let broken = try detour("tick", at: "01:01:00")
        #expect(broken.status == 3, "\(broken.output)")
        #expect(broken.stderr.contains("playbooks/notify.json5:2:"), "\(broken.stderr)")
        #expect(broken.stderr.contains("running on the workspace of 2026-12-02T01:00:00+09:00: 1 error in playbooks/notify.json5"), "\(broken.stderr)")
        // The team is told once, from the last good copy's workspace-invalid playbook; customers are not.
        #expect(sandbox.requests(path: "/team-alert").count == 1)
        #expect(sandbox.requests(path: "/team-alert").first?.body.contains("playbooks/notify.json5") == true)

        // An outage during the broken spell is still seen and acted on with the last good playbooks.
        sandbox.setMode(.down, for: "mall")
        #expect(try detour("tick", at: "01:02:00").status == 3)
        #expect(try detour("tick", at: "01:03:00").status == 3)
        #expect(sandbox.requests(path: "/notice").count == 1)
        #expect(sandbox.requests(path: "/team-alert").count == 1, "the same errors are announced once")

        let status = try detour("status", at: "01:03:30")
        #expect(status.status == 3)
        #expect(status.stdout.contains("running on the workspace of 2026-12-02T01:00:00+09:00: 1 error in playbooks/notify.json5"), "\(status.stdout)")
        #expect(status.stdout.contains("mall-20261202-010300"))
        let json = try detour("status", "--json")
        #expect(json.status == 3)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let running = try #require(object["workspace"] as? [String: Any])
        #expect(running["lastGood"] as? Bool == true)
        #expect(running["errors"] as? Int == 1)
        #expect(running["files"] as? [String] == ["playbooks/notify.json5"])
        #expect((running["summary"] as? String)?.hasPrefix("running on the workspace of 2026-12-02T01:00:00+09:00: 1 error in") == true)
        for command in [["log"], ["report"], ["show", "mall-20261202-010300"], ["statuspage", "--out", "public"]] {
            let result = try DetourBinary.run(command, in: workspace.root)
            #expect(result.status == 3, "\(command): \(result.output)")
            #expect(result.stderr.contains("playbooks/notify.json5:2:"), "\(command)")
        }
        let log = try detour("log").stdout
        #expect(log.contains("workspace.invalid  1 error in playbooks/notify.json5"), "\(log)")

        // Fixed: exit 0 again, and workspace.valid is journaled once.
        try workspace.write("playbooks/notify.json5", String(format: Self.goodNotify, sandbox.baseURL))
        #expect(try detour("tick", at: "01:04:00").status == 0)
        #expect(try detour("tick", at: "01:05:00").status == 0)
        let fixed = try detour("log").stdout
        #expect(fixed.components(separatedBy: "workspace.valid").count == 2, "\(fixed)")
        #expect(!(try detour("status").stdout.contains("running on the workspace of")))
    }

    @Test func manualCommandsRunOnTheLastGoodWorkspaceToo() throws {
        #expect(try detour("tick", at: "01:00:00").status == 0)
        try breakPlaybook()
        let hold = try detour("hold", "mall", "--indefinitely", at: "01:01:00")
        #expect(hold.status == 3, "\(hold.output)")
        #expect(hold.stdout.contains("mall held until released"))
        #expect(try detour("release", "mall", at: "01:02:00").status == 3)
        let failover = try detour("failover", "mall", "--reason", "決済エラー", at: "01:03:00")
        #expect(failover.status == 3, "\(failover.output)")
        #expect(sandbox.requests(path: "/notice").count == 1, "the last good playbook ran")
        #expect(try detour("restore", "mall", at: "01:04:00").status == 3)
        #expect(sandbox.requests(path: "/team-alert").count == 1)
    }

    @Test func withoutALastGoodCopyABrokenWorkspaceStillExits2() throws {
        try breakPlaybook()
        for command in [["tick"], ["status"], ["report"], ["hold", "mall", "--indefinitely"]] {
            let result = try DetourBinary.run(command, in: workspace.root)
            #expect(result.status == 2, "\(command): \(result.output)")
            #expect(result.stderr.contains("no last good copy"), "\(command): \(result.stderr)")
        }
    }

    @Test func theCopyIsRetakenOnlyWhenAFileChanges() throws {
        let manifest = workspace.root + "/.detour/last-good/manifest.json"
        try detour("tick", at: "01:00:00")
        let taken = try String(contentsOfFile: manifest, encoding: .utf8)
        try detour("tick", at: "01:01:00")
        #expect(try String(contentsOfFile: manifest, encoding: .utf8) == taken, "nothing changed: the copy stays")
        try workspace.write("playbooks/extra.json5", "{ on: { event: \"up\" }, steps: [] }")
        try detour("tick", at: "01:02:00")
        let retaken = try String(contentsOfFile: manifest, encoding: .utf8)
        #expect(retaken.contains("2026-12-01T16:02:00"), "\(retaken)")
        #expect(retaken.contains("playbooks/extra.json5"))
        let mode = try FileManager.default.attributesOfItem(atPath: workspace.root + "/.detour/last-good/channels/mall.json5")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func watchStartedOnABrokenWorkspaceRunsOnTheLastGoodOne() async throws {
        #expect(try detour("tick", at: "01:00:00").status == 0)
        try breakPlaybook()
        let watch = try DetourBinary.start(["watch"], in: workspace.root)
        #expect(try await watch.waitForOutput("watching 1 channels"), "\(watch.stderrSoFar)")
        #expect(watch.stderrSoFar.contains("running on the workspace of 2026-12-02T01:00:00+09:00"))
        let deadline = ContinuousClock.now + .seconds(20)
        while sandbox.requests(path: "/team-alert").isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sandbox.requests(path: "/team-alert").count == 1, "the first pass journals workspace.invalid and tells the team")
        kill(watch.process.processIdentifier, SIGTERM)
        let result = watch.wait()
        #expect(result.status == 3, "\(result.output)")
    }
}
