import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// The engine's probe pass on a manual clock: maintenance windows and when `watch` wakes next.
@Suite(.serialized)
final class EngineProbingTests {
    let sandbox = SandboxServer()
    let folder: TemporaryWorkspace
    let http = HTTPClient(maxConcurrent: 16, userAgent: "detour/test")

    init() throws {
        try sandbox.start()
        folder = try TemporaryWorkspace()
        try folder.write(
            "channels/mall.json5",
            """
            { name: "テストモール店", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }],
              maintenance: [{ from: "2026-11-27T10:00+09:00", to: "2026-11-27T11:00+09:00", note: "定期メンテ" }] }
            """)
    }

    deinit {
        http.shutdown()
        sandbox.stop()
    }

    func time(_ text: String) -> Date { LocalTime.parse("2026-11-27T\(text)+09:00", in: .gmt)! }

    @Test func inAWindowTheChannelIsNotProbedAndWatchSleepsUntilItsEnd() async throws {
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        let clock = ManualClock(time("10:10:00"))
        let secrets = SecretResolver(environment: [:], workspaceRoot: folder.root)
        let engine = try Engine(
            dependencies: EngineDependencies(workspace: workspace, http: http, clock: clock, secrets: secrets), stateDirectory: folder.root + "/.detour")
        sandbox.setMode(.down, for: "mall")
        try await engine.runPass()
        #expect(await engine.state.channels["mall"]?.state == .maintenance)
        #expect(sandbox.hits("mall") == 0, "a channel in a planned window is not probed")
        #expect(await engine.nextWakeUp() == time("11:00:00"))
        clock.set(time("11:00:00"))
        sandbox.setMode(.healthy, for: "mall")
        try await engine.runPass()
        #expect(await engine.state.channels["mall"]?.state == .up)
        #expect(sandbox.hits("mall") == 1, "probed at once when the window ends")
    }

    @Test func watchWakesAtAWindowsStartEvenBetweenProbes() async throws {
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        // Probed at 09:59:30 with `every: 1m`: the next probe is 10:00:30, the window starts at 10:00.
        let clock = ManualClock(time("09:59:30"))
        let secrets = SecretResolver(environment: [:], workspaceRoot: folder.root)
        let engine = try Engine(
            dependencies: EngineDependencies(workspace: workspace, http: http, clock: clock, secrets: secrets), stateDirectory: folder.root + "/.detour")
        try await engine.runPass()
        #expect(await engine.nextWakeUp() == time("10:00:00"))
        clock.set(time("10:00:00"))
        try await engine.runPass()
        #expect(await engine.state.channels["mall"]?.state == .maintenance, "the window begins on time")
    }

    @Test func windowTimesMayOmitSecondsOrTheOffset() {
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        #expect(LocalTime.parse("2026-12-02T01:00+09:00", in: .gmt) == LocalTime.parse("2026-12-01T16:00:00Z", in: .gmt))
        #expect(LocalTime.parse("2026-12-02T01:00", in: tokyo) == LocalTime.parse("2026-12-01T16:00:00Z", in: .gmt))
        #expect(LocalTime.parse("2026-12-02T01:00:30+09:00", in: .gmt) != nil)
        #expect(LocalTime.parse("tomorrow", in: tokyo) == nil)
    }
}
