import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// What `/hb/<token>` does (`Workspace.heartbeatChannel(forToken:)`, then `Engine.checkIn(channel:via:at:)`) and when
/// `watch` wakes for a deadline, on a manual clock.
@Suite(.serialized)
final class EngineCheckinTests {
    let folder: TemporaryWorkspace
    let http = HTTPClient(maxConcurrent: 4, userAgent: "detour/test")
    let environment = ["SYNC_TOKEN": "sync-0123456789abcdef", "FEED_TOKEN": "feed-0123456789abcdef"]

    init() throws {
        folder = try TemporaryWorkspace()
        try folder.write(
            "channels/inventory-sync.json5",
            #"{ name: "在庫連携", kind: "heartbeat", heartbeat: { every: "15m", grace: "5m", token: "env:SYNC_TOKEN" } }"#)
        try folder.write(
            "channels/price-feed.json5",
            #"{ name: "価格フィード", kind: "heartbeat", heartbeat: { every: "1h", token: "env:FEED_TOKEN" } }"#)
    }

    deinit { http.shutdown() }

    func time(_ text: String) -> Date { LocalTime.parse("2026-12-02T\(text)+09:00", in: .gmt)! }

    func engine(_ clock: ManualClock) throws -> Engine {
        let load = WorkspaceLoader(root: folder.root, environment: environment).load()
        let workspace = try #require(load.workspace, "\(load.diagnostics)")
        let secrets = SecretResolver(environment: environment, workspaceRoot: folder.root)
        return try Engine(
            dependencies: EngineDependencies(workspace: workspace, http: http, clock: clock, secrets: secrets), stateDirectory: folder.root + "/.detour")
    }

    /// A check-in by token, as `/hb/<token>` makes it; nil when no heartbeat channel has the token.
    func checkIn(_ engine: Engine, token: String, at date: Date) async throws -> CheckinOutcome? {
        let secrets = SecretResolver(environment: environment, workspaceRoot: folder.root)
        let workspace = try #require(WorkspaceLoader(root: folder.root, environment: environment).load().workspace)
        guard let channel = workspace.heartbeatChannel(forToken: token, secrets: secrets) else { return nil }
        return try await engine.checkIn(channel: channel.id, via: "http", at: date)
    }

    @Test func aTokenChecksInItsChannelAndAWrongOneIsRefused() async throws {
        let clock = ManualClock(time("10:00:00"))
        let engine = try engine(clock)
        try await engine.runPass()
        #expect(await engine.nextWakeUp() == time("10:20:00"), "watch wakes at the first deadline")

        #expect(try await checkIn(engine, token: "sync-0123456789abcdef", at: time("10:05:00")) == CheckinOutcome(channel: "inventory-sync", recovered: false))
        #expect(await engine.state.checkins["inventory-sync"] == time("10:05:00"))
        for wrong in ["", "sync-0123456789abcdeF", "sync-0123456789abcdef0", "sync", "env:SYNC_TOKEN"] {
            #expect(try await checkIn(engine, token: wrong, at: time("10:06:00")) == nil)
        }
        #expect(await engine.state.checkins["inventory-sync"] == time("10:05:00"), "a wrong token journals nothing")
        clock.set(time("10:06:00"))
        try await engine.runPass()
        #expect(await engine.nextWakeUp() == time("10:25:00"), "the next deadline counts from the check-in")

        clock.set(time("10:25:01"))
        try await engine.runPass()
        #expect(await engine.state.channels["inventory-sync"]?.state == .down)
        #expect(await engine.state.openIncident(for: "inventory-sync")?.firstFailureAt == time("10:25:00"))
        #expect(await engine.state.channels["price-feed"]?.state == .up, "the hourly job is not late yet")
        // While late, the daemon looks again within a minute for a check-in another process journaled.
        #expect(await engine.nextWakeUp() == time("10:26:01"))

        let outcome = try await checkIn(engine, token: "sync-0123456789abcdef", at: time("10:27:00"))
        #expect(outcome == CheckinOutcome(channel: "inventory-sync", recovered: true))
        #expect(await engine.state.channels["inventory-sync"]?.state == .up)
        let journal = try folder.journalText()
        #expect(journal.contains(#""type":"channel.checkin""#) && journal.contains(#""via":"http""#))
        #expect(!journal.contains("0123456789abcdef"), "the token never reaches the journal")
    }

    @Test func tokensAreComparedByEveryByte() {
        #expect(ConstantTime.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!ConstantTime.equal([], Array("a".utf8)))
        #expect(ConstantTime.equal([], []))
    }
}
