import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// kill -9 at random moments across a whole outage: nothing lost, nothing done twice.
@Suite(.serialized)
final class FaultInjectionTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let paths = ["/promo", "/line", "/page", "/line-back"]

    init() throws {
        try sandbox.start()
        sandbox.enableProviderFakes()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        // LINE honours a retry key (a repeat answers 409); X has no idempotency at all.
        try workspace.write("detour.json5", "{ providers: { line: \"\(base)/ext/api.line.me\", x: \"\(base)/ext/api.x.com\" } }")
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(base)/store/mall/", probes: [{ url: "\(base)/store/mall/item" }],
              schedule: { every: "10s", confirmEvery: "10s", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "0s" }, revenue: { perHour: 60000 } }
            """)
        try workspace.write(
            "playbooks/down.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "promo", do: "http", request: { url: "\(base)/promo", json: { on: true } }, undo: { request: { url: "\(base)/promo", json: { on: false } } } },
                { id: "line", do: "http", request: { url: "\(base)/line", json: { text: "{{channel.name}}で障害" } } },
                { id: "page", do: "http", request: { url: "\(base)/page", json: { dedup_key: "{{incident.id}}" } } },
                { id: "broadcast", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害が発生しています" },
                { id: "tweet", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}で障害が発生しています", continueOnError: true },
              ],
              recovery: [{ id: "line-back", do: "http", request: { url: "\(base)/line-back", json: { text: "復旧" } } }] }
            """)
        // Slow providers widen the window between "sent" and "journaled as finished".
        for path in paths + ["/v2/bot/message/broadcast", "/2/tweets"] { sandbox.setDelay(.milliseconds(60), forPath: path) }
    }

    let tokens = ["LINE_TOKEN": "line-token-1", "X_TOKEN": "x-token-1"]

    deinit { sandbox.stop() }

    @Test func killingDetourAtAnyMomentNeitherLosesNorRepeatsASideEffect() async throws {
        let seed = SplitMix64.seedFromEnvironment()
        // Printed first, so a run that stops anywhere can be replayed.
        print("fault injection seed \(seed); replay with DETOUR_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        var seconds = 0.0
        var kills = 0

        func tick(killAfter delay: Duration?) async throws {
            seconds += 10
            let now = LocalTime.iso8601(start.addingTimeInterval(seconds), in: TimeZone(identifier: "Asia/Tokyo")!)
            let running = try DetourBinary.start(["tick"], in: workspace.root, environment: tokens.merging(["DETOUR_NOW": now]) { $1 })
            if let delay {
                try await Task.sleep(for: delay)
                if running.process.isRunning {
                    kill(running.process.processIdentifier, SIGKILL)
                    kills += 1
                }
            }
            let result = running.wait()
            if delay == nil {
                #expect(result.status == 0, "seed \(seed): \(result.output)")
            }
        }

        sandbox.setMode(.down, for: "mall")
        while kills < 60 { try await tick(killAfter: .milliseconds(Int64.random(in: 0...90, using: &random))) }
        for _ in 0..<3 { try await tick(killAfter: nil) }
        sandbox.setMode(.healthy, for: "mall")
        while kills < 120 { try await tick(killAfter: .milliseconds(Int64.random(in: 0...90, using: &random))) }
        for _ in 0..<3 { try await tick(killAfter: nil) }

        // Every step reached its provider, and every repeat carried the key of the first attempt.
        let promo = sandbox.requests(path: "/promo")
        let promoOn = promo.filter { $0.body.contains("true") }
        let promoOff = promo.filter { $0.body.contains("false") }
        for (name, requests) in [
            ("promo", promoOn), ("promo undo", promoOff), ("line", sandbox.requests(path: "/line")),
            ("page", sandbox.requests(path: "/page")), ("line-back", sandbox.requests(path: "/line-back")),
        ] {
            let keys = Set(requests.compactMap { $0.header("idempotency-key") })
            #expect(!requests.isEmpty, "seed \(seed): \(name) never ran")
            #expect(keys.count == 1, "seed \(seed): \(name) sent under \(keys.count) keys: \(keys)")
        }
        // LINE delivered exactly once (repeats carry the same retry key and are answered 409);
        // X, without idempotency, posted at most once (an uncertain attempt is skipped, not repeated).
        let line = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(line.filter { $0.answeredStatus == 200 }.count == 1, "seed \(seed): LINE answers \(line.map(\.answeredStatus))")
        #expect(Set(line.compactMap { $0.header("x-line-retry-key") }).count == 1)
        let posts = sandbox.requests(path: "/2/tweets").filter { $0.answeredStatus == 201 }
        #expect(posts.count <= 1, "seed \(seed): X posted \(posts.count) times")

        // The undo ran after the failover, never before it.
        #expect(promo.first?.body.contains("true") == true)
        #expect(promo.last?.body.contains("false") == true)

        let resends = paths.map { sandbox.requests(path: $0).count }.reduce(0, +) - 5
        print("fault injection seed \(seed): \(kills) kills, \(resends) requests resent under their first key")

        let status = try DetourBinary.run(["status"], in: workspace.root)
        #expect(status.stdout.contains("No open incidents."), "seed \(seed): \(status.stdout)")
        let report = try DetourBinary.run(["report", "--csv"], in: workspace.root).stdout
        #expect(report.split(separator: "\r\n").count == 2, "seed \(seed): exactly one outage window: \(report)")
        #expect(kills >= 100)
    }

    /// The journal as a run killed right after a record of `type` would leave it.
    func truncateJournal(before type: String) throws {
        let path = try #require(workspace.journalSegments.last)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let keep = lines.prefix { !$0.contains("\"type\":\"\(type)\"") }
        try (keep.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: workspace.root + "/.detour/state.json")
    }

    @Test func aRunKilledBetweenTheHealthChangeAndTheIncidentIsFinishedByTheNext() throws {
        for path in paths { sandbox.setDelay(.zero, forPath: path) }
        let at = { (time: String) in self.tokens.merging(["DETOUR_NOW": "2026-11-27T\(time)+09:00"]) { $1 } }
        sandbox.setMode(.down, for: "mall")
        try DetourBinary.run(["tick"], in: workspace.root, environment: at("10:00:00"))
        try DetourBinary.run(["tick"], in: workspace.root, environment: at("10:00:10"))
        try truncateJournal(before: "incident.opened")
        sandbox.clearRequests()
        try DetourBinary.run(["tick"], in: workspace.root, environment: at("10:00:12"))
        #expect(sandbox.requests(path: "/line").count == 1, "the down channel's incident must still open")

        sandbox.setMode(.healthy, for: "mall")
        try DetourBinary.run(["tick"], in: workspace.root, environment: at("10:10:00"))
        try truncateJournal(before: "incident.recovering")
        sandbox.clearRequests()
        try DetourBinary.run(["tick"], in: workspace.root, environment: at("10:10:02"))
        #expect(sandbox.requests(path: "/line-back").count == 1, "the recovered channel's incident must still resolve")
        #expect(try DetourBinary.run(["status"], in: workspace.root).stdout.contains("No open incidents."))
    }
}
