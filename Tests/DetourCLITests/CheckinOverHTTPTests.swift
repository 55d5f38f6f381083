import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `/hb/<token>` on `watch --listen`: a job's check-in over HTTP recovers its late channel, is
/// journaled without its token, and a wrong token is refused.
@Suite(.serialized)
final class CheckinOverHTTPTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let http = HTTPClient()
    static let token = "hb-5c1e8a7f2b9d4e30"
    var daemon: RunningCommand?

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/sync.json5",
            """
            { name: "在庫連携", kind: "heartbeat", heartbeat: { every: "2s", grace: "0s", token: "env:SYNC_TOKEN" }, recovery: { settle: "0s" } }
            """)
        try workspace.write(
            "playbooks/stop-oversell.json5",
            """
            { on: { event: "down", channels: ["sync"] },
              steps: [{ id: "pause", do: "http", request: { url: "\(sandbox.baseURL)/pause", json: { text: "{{channel.name}}" } } }],
              recovery: [{ id: "resume", do: "http", request: { url: "\(sandbox.baseURL)/resume", json: { text: "{{channel.name}}" } } }] }
            """)
    }

    deinit {
        if let daemon, daemon.process.isRunning {
            daemon.process.terminate()
            daemon.process.waitUntilExit()
        }
        http.shutdown()
        sandbox.stop()
    }

    @Test func aCheckinOverHTTPRecoversTheLateJobAndAWrongTokenIsRefused() async throws {
        let started = try DetourBinary.start(["watch", "--listen", "127.0.0.1:0"], in: workspace.root, environment: ["SYNC_TOKEN": Self.token])
        daemon = started
        #expect(try await started.waitForOutput("console: http://127.0.0.1:"), "\(started.stderrSoFar)")
        let line = try #require(started.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("console: http://127.0.0.1:") })
        let base = String(line.dropFirst("console: ".count).dropLast("/console".count))

        // No check-in within 2 s: the job's channel goes down and its playbook runs.
        #expect(try await eventually(within: .seconds(20)) { self.sandbox.requests(path: "/pause").count == 1 }, "\(started.stdoutSoFar)\(started.stderrSoFar)")

        let wrong = try await http.send(HTTPRequest(url: base + "/hb/hb-not-the-token-000")).get()
        #expect(wrong.status == 404)
        let accepted = try await http.send(HTTPRequest(url: base + "/hb/" + Self.token)).get()
        #expect(accepted.status == 200, "\(accepted.bodyText)")
        #expect(accepted.bodyText.contains("\"channel\":\"sync\""))
        // The check-in recovers the channel at once: the recovery step runs.
        #expect(try await eventually(within: .seconds(10)) { self.sandbox.requests(path: "/resume").count >= 1 })

        let journal = try workspace.journalText()
        #expect(journal.contains("\"channel.checkin\""))
        #expect(journal.contains("\"via\":\"http\""))
        #expect(!journal.contains(Self.token), "the token is a credential")
        #expect(!started.stdoutSoFar.contains(Self.token) && !started.stderrSoFar.contains(Self.token))
    }
}
