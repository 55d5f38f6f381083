import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// Moving through quiet passes in memory leaves the channels exactly as running each pass would:
/// the same probe times, the same due times, under `watch` and under `tick`, across a sale that
/// tightens one channel's schedule.
struct EngineSimulationTests {
    static let files = [
        "detour.json5": """
        { timezone: "Asia/Tokyo", calendar: { sales: [{ name: "タイムセール", from: "2025-03-04T11:17:30", to: "2025-03-04T12:40", channels: ["fast"], multiplier: 2 }] } }
        """,
        "channels/slow.json5":
            #"{ name: "S", kind: "mall", url: "http://127.0.0.1:1/", probes: [{ name: "p", url: "http://127.0.0.1:1/s" }], schedule: { every: "5m" } }"#,
        "channels/odd.json5":
            #"{ name: "O", kind: "mall", url: "http://127.0.0.1:1/", probes: [{ name: "p", url: "http://127.0.0.1:1/o" }], schedule: { every: "47s" } }"#,
        "channels/fast.json5": """
        { name: "F", kind: "mall", url: "http://127.0.0.1:1/", probes: [{ name: "p", url: "http://127.0.0.1:1/f" }],
          schedule: { every: "1m", duringSales: { every: "20s", confirmEvery: "5s" } } }
        """,
    ]

    static func healthy(_ workspace: Workspace) -> [String: ChannelVerdict] {
        var answers: [String: ChannelVerdict] = [:]
        for channel in workspace.channels {
            answers[channel.id] = ChannelVerdict(
                channel: channel.id,
                results: [ProbeResult(probe: "p", url: channel.probes[0].url, critical: true, status: 200, latency: .milliseconds(2), failure: nil)])
        }
        return answers
    }

    /// Runs from 10:00 to 14:00, pass by pass or moving through quiet stretches; each channel's health and the passes run.
    static func run(_ workspace: Workspace, tick: Duration?, fastForward: Bool) async throws -> (health: [String: ChannelHealth], passes: Int) {
        let start = LocalTime.parse("2025-03-04T10:00:03", in: workspace.settings.timeZone)!
        let end = start.addingTimeInterval(4 * 3_600)
        let clock = ManualClock(start)
        let http = HTTPClient()
        defer { http.shutdown() }
        let folder = NSTemporaryDirectory() + "detour-fast-forward-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let engine = try Engine(
            dependencies: EngineDependencies(
                workspace: workspace, http: http, clock: clock, secrets: SecretResolver(environment: [:], workspaceRoot: workspace.root)),
            stateDirectory: folder)
        let answers = healthy(workspace)
        let all = Set(workspace.channels.map(\.id))
        var lastPass: Date?
        var passes = 0
        while true {
            if fastForward, let moved = await engine.fastForward(healthy: all, before: end, tick: tick, lastPass: lastPass) { lastPass = moved }
            let wake = await engine.nextWakeUp()
            var pass = max(wake, clock.now())
            if let tick {
                let earliest = max(wake.addingTimeInterval(-5), lastPass.map { $0.addingTimeInterval(tick.timeInterval) } ?? .distantPast)
                pass = max(Simulator.boundary(atOrAfter: earliest, every: tick), clock.now())
            }
            guard pass < end else { break }
            clock.set(pass)
            #expect(try await engine.simulatedPass(answers: answers) != nil)
            lastPass = pass
            passes += 1
        }
        return (await engine.state.channels, passes)
    }

    @Test(arguments: [nil, Duration.seconds(60)])
    func movingThroughQuietPassesEndsWhereRunningThemDoes(tick: Duration?) async throws {
        let (workspace, folder) = try loadWorkspace(Self.files)
        _ = folder
        let stepped = try await Self.run(workspace, tick: tick, fastForward: false)
        let moved = try await Self.run(workspace, tick: tick, fastForward: true)
        #expect(stepped.health.count == 3)
        #expect(moved.passes * 20 < stepped.passes, "\(moved.passes) passes run of \(stepped.passes)")
        for id in ["slow", "odd", "fast"] {
            #expect(stepped.health[id] == moved.health[id], "\(id): \(String(describing: stepped.health[id])) vs \(String(describing: moved.health[id]))")
            #expect(stepped.health[id]?.lastProbeAt != nil)
        }
    }
}
