import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The outbound heartbeat: a GET after every completed pass, `/fail` after a failed one.
@Suite(.serialized)
final class HeartbeatTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let secretPath = "5f1e9a7c-heartbeat-check"

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write("detour.json5", #"{ heartbeat: { url: "env:HEARTBEAT_URL" } }"#)
        try workspace.write(
            "channels/shop.json5",
            #"{ name: "店", kind: "own-site", url: "\#(sandbox.baseURL)/store/shop/", probes: [{ url: "\#(sandbox.baseURL)/store/shop/" }] }"#)
    }

    deinit { sandbox.stop() }

    func tick() throws -> CommandResult {
        try DetourBinary.run(["tick"], in: workspace.root, environment: ["HEARTBEAT_URL": "\(sandbox.baseURL)/ext/hc-ping.com/\(secretPath)"])
    }

    @Test func aCompletedPassPingsAndAFailedOnePingsFail() throws {
        let first = try tick()
        #expect(first.status == 0, "\(first.output)")
        let pings = sandbox.requests().filter { $0.host == "hc-ping.com" }
        #expect(pings.map(\.path) == ["/\(secretPath)"])
        #expect(pings.first?.method == "GET")

        // A journal that cannot be opened fails the pass: the heartbeat says so.
        try? FileManager.default.removeItem(atPath: workspace.root + "/.detour/journal.jsonl")
        try FileManager.default.createDirectory(atPath: workspace.root + "/.detour/journal.jsonl", withIntermediateDirectories: true)
        let failed = try tick()
        #expect(failed.status != 0)
        #expect(sandbox.requests().filter { $0.host == "hc-ping.com" }.map(\.path) == ["/\(secretPath)", "/\(secretPath)/fail"])
        #expect(!failed.output.contains(secretPath), "the ping URL is a secret: \(failed.output)")
    }

    @Test func aHeartbeatThatDoesNotArriveIsOnlyAWarning() throws {
        sandbox.enqueue(ScriptedResponse(status: 503), forPath: "/\(secretPath)")
        let result = try tick()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stderr.contains("warning: heartbeat answered 503"), "\(result.output)")
    }
}
