import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// kill -9 at random moments while two malls fail and recover in turn: the shared promotion is
/// switched on once and off once, only after the last mall is back, and every notice keeps one key.
@Suite(.serialized)
final class SharedEffectFaultTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        for mall in ["mall-a", "mall-b"] {
            try workspace.write(
                "channels/\(mall).json5",
                """
                { name: "\(mall)", kind: "mall", url: "\(base)/store/\(mall)/", probes: [{ url: "\(base)/store/\(mall)/item" }],
                  schedule: { every: "10s", confirmEvery: "10s", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "20s" } }
                """)
        }
        try workspace.write(
            "playbooks/down.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [
                { id: "promo", do: "http", request: { url: "\(base)/promo", json: { on: true } }, undo: { request: { url: "\(base)/promo", json: { on: false } } } },
                { id: "line", do: "http", request: { url: "\(base)/line", json: { text: "{{channel.name}}" } } },
              ],
              recovery: [{ id: "back", do: "http", request: { url: "\(base)/back", json: { text: "{{channel.name}}" } } }] }
            """)
        // Slow answers widen the window between "sent" and "journaled as finished".
        for path in ["/promo", "/line", "/back"] { sandbox.setDelay(.milliseconds(60), forPath: path) }
    }

    deinit { sandbox.stop() }

    @Test func killsNeverSwitchTheSharedPromotionOffWhileAMallIsDown() async throws {
        let seed = SplitMix64.seedFromEnvironment()
        print("SharedEffectFaultTests seed \(seed) (replay with DETOUR_TEST_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        var seconds = 0.0
        var kills = 0

        /// `count` ticks; when killing, goes on until `count` of them were really killed mid-run (at most 200).
        func ticks(_ count: Int, killing: Bool) async throws {
            let target = kills + count
            var runs = 0
            while killing ? kills < target && runs < 200 : runs < count {
                runs += 1
                seconds += 10
                let now = LocalTime.iso8601(start.addingTimeInterval(seconds), in: TimeZone(identifier: "Asia/Tokyo")!)
                let running = try DetourBinary.start(["tick"], in: workspace.root, environment: ["DETOUR_NOW": now])
                if killing {
                    try await Task.sleep(for: .milliseconds(Int64.random(in: 0...120, using: &random)))
                    if running.process.isRunning {
                        kill(running.process.processIdentifier, SIGKILL)
                        kills += 1
                    }
                }
                let result = running.wait()
                if !killing { #expect(result.status == 0, "seed \(seed): \(result.output)") }
            }
        }

        try await ticks(1, killing: false)
        sandbox.setMode(.down, for: "mall-a")
        try await ticks(10, killing: true)
        try await ticks(2, killing: false)
        sandbox.setMode(.down, for: "mall-b")
        try await ticks(10, killing: true)
        try await ticks(2, killing: false)
        sandbox.setMode(.healthy, for: "mall-a")
        try await ticks(10, killing: true)
        try await ticks(4, killing: false)
        let bothDownUntil = Date()
        #expect(sandbox.requests(path: "/promo").allSatisfy { $0.body.contains("true") }, "seed \(seed): off while mall-b is still down")
        sandbox.setMode(.healthy, for: "mall-b")
        try await ticks(10, killing: true)
        try await ticks(4, killing: false)

        let promo = sandbox.requests(path: "/promo")
        let on = promo.filter { $0.body.contains("true") }
        let off = promo.filter { $0.body.contains("false") }
        #expect(Set(on.compactMap { $0.header("idempotency-key") }).count == 1, "seed \(seed): switched on by one incident, under one key")
        #expect(Set(off.compactMap { $0.header("idempotency-key") }).count == 1, "seed \(seed): switched off by the last holder, under one key")
        #expect(promo.last?.body.contains("false") == true, "seed \(seed): the promotion ends off")
        #expect(off.allSatisfy { $0.receivedAt >= bothDownUntil }, "seed \(seed): off only after the last mall was back")
        for path in ["/line", "/back"] {
            let byMall = Dictionary(grouping: sandbox.requests(path: path)) { $0.body }
            #expect(byMall.count == 2, "seed \(seed): \(path) for each mall: \(byMall.keys)")
            for (mall, requests) in byMall {
                #expect(Set(requests.compactMap { $0.header("idempotency-key") }).count == 1, "seed \(seed): \(path) \(mall) under one key")
            }
        }
        let status = try DetourBinary.run(["status"], in: workspace.root)
        #expect(status.stdout.contains("No open incidents."), "seed \(seed): \(status.stdout)")
        #expect(kills >= 40, "seed \(seed): only \(kills) kills landed")
        print("shared-effect fault injection seed \(seed): \(kills) kills")
    }
}
