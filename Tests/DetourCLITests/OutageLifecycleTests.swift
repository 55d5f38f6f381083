import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The whole path through the built `detour` binary: outage → failover → recovery → report.
@Suite(.serialized)
final class OutageLifecycleTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let secret = "line-secret-7c1d9e"

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店",
              kind: "mall",
              url: "\(base)/store/mall/",
              probes: [{ name: "item page", url: "\(base)/store/mall/item", expect: { status: "2xx", bodyContains: "買い物かご" } }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 },
              revenue: { perHour: 120000, currency: "JPY" },
              alternates: ["own"],
            }
            """)
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(base)/store/own/", probes: [{ name: "top", url: "\(base)/store/own/" }] }
            """)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "promo", do: "http",
                  request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: true, from: "{{channel.id}}" } },
                  undo: { request: { method: "POST", url: "\(base)/shop/promotions/failover", json: { on: false, from: "{{channel.id}}" } } } },
                { id: "line", do: "http",
                  request: { method: "POST", url: "\(base)/v2/bot/message/broadcast",
                    headers: { Authorization: "Bearer {{env.LINE_CHANNEL_TOKEN}}" },
                    json: { messages: [{ type: "text", text: "{{channel.name}}で障害。{{alternates.0.name}}へ → {{alternates.0.url}}" }] } } },
              ],
              recovery: [
                { id: "line-back", do: "http",
                  request: { method: "POST", url: "\(base)/v2/bot/message/broadcast",
                    headers: { Authorization: "Bearer {{env.LINE_CHANNEL_TOKEN}}" },
                    json: { messages: [{ type: "text", text: "{{channel.name}}は復旧しました。" }] } } },
              ],
            }
            """)
    }

    deinit { sandbox.stop() }

    /// Runs `detour` in the workspace at a pinned time.
    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        var environment = ["LINE_CHANNEL_TOKEN": secret]
        if let time { environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func bodies(_ path: String) -> [String] { sandbox.requests(path: path).map(\.body) }

    @Test func anOutageRunsFailoverOnceThenUndoAndRecoveryThenReportsTheWindow() throws {
        #expect(try detour("check").status == 0)
        #expect(try detour("tick", at: "10:00:00").status == 0)
        #expect(sandbox.requests().isEmpty)

        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:01:10")
        #expect(sandbox.requests().isEmpty, "two failures must not post anything")
        let confirm = try detour("tick", at: "10:01:20")
        #expect(confirm.status == 0)
        #expect(confirm.stdout.contains("DOWN"))

        #expect(bodies("/shop/promotions/failover") == [#"{"on":true,"from":"mall"}"#])
        let notices = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(notices.count == 1)
        #expect(notices.first?.header("authorization") == "Bearer \(secret)")
        #expect(notices.first?.body.contains("テストモール店で障害。自社サイトへ") == true)
        #expect(notices.first?.header("idempotency-key")?.isEmpty == false)

        // Still down: further rounds post nothing more.
        try detour("tick", at: "10:01:25")
        try detour("tick", at: "10:02:20")
        #expect(sandbox.requests().count == 2)
        let status = try detour("status")
        #expect(status.stdout.contains("down"))
        #expect(status.stdout.contains("mitigated"))

        sandbox.setMode(.healthy, for: "mall")
        try detour("tick", at: "10:31:00")
        #expect(sandbox.requests().count == 2, "one success is not yet a recovery")
        let back = try detour("tick", at: "10:31:10")
        #expect(back.stdout.contains("UP: recovery confirmed"))
        #expect(sandbox.requests().count == 2, "undo and the recovery notice wait until recovery.settle (5m) has passed")
        #expect(try detour("status").stdout.contains("settling until 10:36:00"))
        let recovered = try detour("tick", at: "10:36:10")
        #expect(recovered.stdout.contains("resolved"), "\(recovered.output)")
        #expect(bodies("/shop/promotions/failover") == [#"{"on":true,"from":"mall"}"#, #"{"on":false,"from":"mall"}"#])
        let after = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(after.count == 2)
        #expect(after.last?.body.contains("復旧しました") == true)

        let csv = try detour("report", "--csv", at: "11:00:00").stdout
        let rows = csv.split(separator: "\r\n").map(String.init)
        #expect(rows.first?.hasPrefix("channel,incident,trigger,from,to,minutes,money_at_risk,currency,") == true)
        #expect(rows.count == 2)
        #expect(rows.last?.hasPrefix("mall,mall-20261127-100120,probe,2026-11-27T10:01:00+09:00,2026-11-27T10:31:00+09:00,30.0,60000,JPY") == true, "\(rows)")
        let table = try detour("report", at: "11:00:00").stdout
        #expect(table.contains("テストモール店"))
        #expect(table.contains("¥60,000"))

        // The secret was sent, but appears in no output and no state file.
        var everything = [csv, table, status.output, confirm.output, recovered.output, try detour("log").output, try detour("status", "--json").output]
        everything.append(try workspace.journalText())
        everything.append(try String(contentsOfFile: workspace.root + "/.detour/state.json", encoding: .utf8))
        #expect(!everything.contains { $0.contains(secret) })
    }

    @Test func overlappingTicksNeverPostTwice() async throws {
        sandbox.setDelay(.milliseconds(1500), forPath: "/v2/bot/message/broadcast")
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:01:10")
        let running = try (0..<20).map { _ in
            try DetourBinary.start(["tick"], in: workspace.root, environment: ["LINE_CHANNEL_TOKEN": secret, "DETOUR_NOW": "2026-11-27T10:01:20+09:00"])
        }
        let results = running.map { $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.output))")
        #expect(results.contains { $0.stdout.contains("in progress") })
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        #expect(sandbox.requests(path: "/shop/promotions/failover").count == 1)
    }

    @Test func aRunKilledMidRequestIsResumedWithTheSameIdempotencyKey() async throws {
        // Long enough that the kill lands mid-request however long a loaded machine takes to notice the request arrived.
        sandbox.setDelay(.seconds(60), forPath: "/v2/bot/message/broadcast")
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:01:10")
        let running = try DetourBinary.start(
            ["tick"], in: workspace.root, environment: ["LINE_CHANNEL_TOKEN": secret, "DETOUR_NOW": "2026-11-27T10:01:20+09:00"])
        let deadline = ContinuousClock.now + .seconds(20)
        while sandbox.requests(path: "/v2/bot/message/broadcast").isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(running.process.processIdentifier, SIGKILL)
        _ = running.wait()
        sandbox.setDelay(.zero, forPath: "/v2/bot/message/broadcast")

        let status = try detour("status")
        #expect(status.stdout.contains("uncertain"), "\(status.stdout)")
        let resumed = try detour("tick", at: "10:01:30")
        #expect(resumed.status == 0, "\(resumed.output)")
        let notices = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(notices.count == 2)
        #expect(Set(notices.map { $0.header("idempotency-key") ?? "" }).count == 1, "a resumed step must carry the same key")
        #expect(sandbox.requests(path: "/shop/promotions/failover").count == 1, "a finished step is never repeated")
        #expect(try detour("status").stdout.contains("mitigated"))
    }

    @Test func manualFailoverIsNotUndoneByHealthyProbes() throws {
        let missingReason = try detour("failover", "mall")
        #expect(missingReason.status == 64)
        #expect(missingReason.stderr.contains("--reason"))

        let dryRun = try detour("failover", "mall", "--reason", "x", "--dry-run", at: "09:59:00")
        #expect(dryRun.status == 0)
        #expect(
            dryRun.stdout.contains("would run:\n  mall-down/promo (http): POST \(sandbox.baseURL)/shop/promotions/failover\n  mall-down/line (http)"),
            "\(dryRun.stdout)")
        #expect(sandbox.requests().isEmpty, "a dry run sends nothing")
        #expect(try detour("status").stdout.contains("No open incidents."))

        let failover = try detour("failover", "mall", "--reason", "決済エラー多発", "--by", "sato", at: "10:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        // Probes say up; automation must leave the manual incident alone.
        try detour("tick", at: "10:01:00")
        try detour("tick", at: "10:02:00")
        #expect(sandbox.requests().count == 2)
        let status = try detour("status")
        #expect(status.stdout.contains("manual by sato: 決済エラー多発"))

        let restore = try detour("restore", "mall", at: "10:20:00")
        #expect(restore.status == 0)
        #expect(bodies("/shop/promotions/failover").last == #"{"on":false,"from":"mall"}"#)
        #expect(try detour("restore", "mall").status == 1)
        let csv = try detour("report", "--csv").stdout
        #expect(csv.contains(",manual,2026-11-27T10:00:00+09:00,2026-11-27T10:20:00+09:00,20.0,40000,JPY"))
    }
}
