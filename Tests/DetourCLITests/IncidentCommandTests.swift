import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Operator commands on a sale day through the binary: a step that fails for good, `retry`,
/// `--quiet`, long provider waits, and a clock that jumps back.
@Suite(.serialized)
final class IncidentCommandTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let environment: [String: String] = ["LINE_TOKEN": "line-secret-operator-77"]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write("detour.json5", #"{ providers: { line: "\#(base)/ext/api.line.me" } }"#)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "テストモール店", kind: "mall", url: "\(base)/store/mall/", probes: [{ name: "item", url: "\(base)/store/mall/item" }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 } }
            """)
        try workspace.write(
            "playbooks/p.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "promo", do: "http", request: { method: "POST", url: "\(base)/shop/promo", json: { on: true } },
                  undo: { request: { method: "POST", url: "\(base)/shop/promo", json: { on: false } } } },
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害" },
              ] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String) throws -> CommandResult {
        var environment = self.environment
        environment["DETOUR_NOW"] = "2026-12-04T\(time)+09:00"
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    var broadcasts: [RecordedRequest] { sandbox.requests(path: "/v2/bot/message/broadcast") }

    @Test func aStepThatFailsForGoodExitsOneNamesItAndRetrySendsItAgain() throws {
        sandbox.enqueue(ScriptedResponse(status: 400, body: #"{"message":"The request body has 1 error(s)"}"#), forPath: "/v2/bot/message/broadcast")
        let failover = try detour("failover", "mall", "--reason", "決済エラー", at: "20:00:00")
        #expect(failover.status == 1, "\(failover.output)")
        #expect(failover.stderr.contains("p/line"), "\(failover.output)")
        #expect(failover.stderr.contains("detour retry mall-20261204-200000"))
        #expect(try detour("status", at: "20:00:05").stdout.contains("needs attention: p/line failed"))
        #expect(try detour("status", "--json", at: "20:00:05").stdout.contains(#""failedSteps":["p/line"]"#))

        let retry = try detour("retry", "mall-20261204-200000", "line", at: "20:01:00")
        #expect(retry.status == 0, "\(retry.output)")
        #expect(broadcasts.map(\.answeredStatus) == [400, 200])
        #expect(Set(broadcasts.compactMap { $0.header("x-line-retry-key") }).count == 1, "the same idempotency key")
        #expect(!(try detour("status", at: "20:01:05").stdout.contains("needs attention")))
        #expect(try detour("retry", "mall-20261204-200000", at: "20:01:10").stderr.contains("nothing to retry"))
        #expect(try detour("retry", "nope", at: "20:01:10").status == 1)
    }

    @Test func aQuietFailoverSwitchesThePromotionButTellsNoCustomer() throws {
        let quiet = try detour("failover", "mall", "--reason", "検証", "--quiet", at: "20:00:00")
        #expect(quiet.status == 0, "\(quiet.output)")
        #expect(sandbox.requests(path: "/shop/promo").count == 1)
        #expect(broadcasts.isEmpty)
        #expect(try detour("log", at: "20:00:05").stdout.contains("quiet failover: no public notice"))
    }

    @Test func aLongProviderWaitEndsThePassAndTheNextPassResumes() throws {
        sandbox.enqueue(ScriptedResponse(status: 429, body: #"{"message":"Too many requests"}"#, retryAfter: 25), forPath: "/v2/bot/message/broadcast")
        let failover = try detour("failover", "mall", "--reason", "test", at: "20:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        #expect(broadcasts.count == 1, "the pass does not sit on the lock for 25 s")
        let journal = try workspace.journalText()
        #expect(journal.contains(#""retryAt":"2026-12-04T11:00:25"#), "\(journal)")
        try detour("tick", at: "20:00:15")
        #expect(broadcasts.count == 1, "not before the provider's time (10 s away: longer than a pass waits)")
        try detour("tick", at: "20:00:30")
        #expect(broadcasts.map(\.answeredStatus) == [429, 200])
    }

    @Test func aPassStartsNoNewStepAfterMaxPassDuration() throws {
        let base = sandbox.baseURL
        try workspace.write("detour.json5", "{ maxPassDuration: \"1s\" }")
        try workspace.write(
            "playbooks/p.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [\((1...4).map { #"{ id: "s\#($0)", do: "http", request: { url: "\#(base)/s\#($0)", json: { n: \#($0) } } }"# }.joined(separator: ", "))] }
            """)
        for path in ["/s1", "/s2", "/s3", "/s4"] { sandbox.setDelay(.milliseconds(700), forPath: path) }
        // The real clock: the pass's limit is measured in real seconds.
        let failover = try DetourBinary.run(["failover", "mall", "--reason", "test"], in: workspace.root, environment: environment)
        #expect(failover.status == 0, "\(failover.output)")
        let sent = ["/s1", "/s2", "/s3", "/s4"].map { sandbox.requests(path: $0).count }
        // Each answer takes 0.7 s: the first step always starts, the third never fits in 1 s (the second
        // does unless the machine is very slow, so it is not asserted).
        #expect(sent[0] == 1 && sent[2] == 0 && sent[3] == 0, "the rest wait for the next pass: \(sent)")
        let tick = try DetourBinary.run(["tick"], in: workspace.root, environment: environment)
        #expect(tick.status == 0, "\(tick.output)")
        #expect(["/s1", "/s2", "/s3", "/s4"].map { sandbox.requests(path: $0).count } == [1, 1, 1, 1], "resumed, none sent twice")
    }

    @Test func aClockThatJumpsBackProbesAtOnce() throws {
        try detour("tick", at: "10:00:00")
        try detour("tick", at: "10:01:00")
        #expect(sandbox.hits("mall") == 2)
        // The clock is set back an hour: the due time an hour ahead must not leave an hour unprobed.
        try detour("tick", at: "09:00:00")
        #expect(sandbox.hits("mall") == 3)
        try detour("tick", at: "09:01:00")
        #expect(sandbox.hits("mall") == 4)
    }

    @Test func aRestoreDatedBeforeItsIncidentIsRefused() throws {
        #expect(try detour("failover", "mall", "--reason", "test", at: "20:00:00").status == 0)
        let restore = try detour("restore", "mall", at: "19:00:00")
        #expect(restore.status == 1)
        #expect(restore.stderr.contains("before incident mall-20261204-200000 opened"), "\(restore.output)")
    }
}
