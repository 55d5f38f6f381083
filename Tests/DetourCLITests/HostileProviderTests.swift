import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The binary against hostile answers and texts: extreme provider waits, injected header lines and pages that
/// misbehave. Each ends in a clear failure or a bounded wait, never a crash.
@Suite(.serialized)
final class HostileProviderTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    var base: String { sandbox.baseURL }

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "テストモール店", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item page", url: "\(sandbox.baseURL)/store/mall/item" }] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., environment: [String: String] = [:]) throws -> CommandResult {
        var environment = environment
        environment["DETOUR_NOW"] = "2026-11-27T10:00:00+09:00"
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func journal() throws -> [[String: Any]] {
        let text = try workspace.journalText()
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    // MARK: - Provider waits

    /// A provider that asks for an absurd wait, and how the step is configured to reach it.
    struct Wait: Sendable, CustomTestStringConvertible {
        /// `x` (X's API through `providers.x`) or `discord` (a webhook URL).
        var provider: String
        /// The hostile route: `retry-after/…`, `rate-limit-reset/…` or `discord-retry-after/…`.
        var route: String
        /// Whether the wait is read (one hour at most) rather than ignored for the step's own backoff.
        var honoured: Bool
        var testDescription: String { route }
    }

    static let waits: [Wait] = [
        Wait(provider: "x", route: "retry-after/999999999999999999999", honoured: true),
        Wait(provider: "x", route: "retry-after/inf", honoured: true),
        Wait(provider: "x", route: "retry-after/1e300", honoured: true),
        Wait(provider: "x", route: "retry-after/nan", honoured: false),
        Wait(provider: "x", route: "retry-after/-5", honoured: false),
        Wait(provider: "x", route: "retry-after/Fri,%2031%20Dec%209999%2023:59:59%20GMT", honoured: true),
        Wait(provider: "x", route: "rate-limit-reset/99999999999999999999", honoured: true),
        Wait(provider: "x", route: "rate-limit-reset/1e300", honoured: true),
        Wait(provider: "x", route: "rate-limit-reset/inf", honoured: true),
        Wait(provider: "discord", route: "discord-retry-after/1e300", honoured: true),
        Wait(provider: "discord", route: "discord-retry-after/999999999999999999999", honoured: true),
        Wait(provider: "discord", route: "discord-retry-after/-1e300", honoured: false),
    ]

    @Test(arguments: waits)
    func anAbsurdWaitFromAProviderIsCutToAnHour(_ wait: Wait) throws {
        let hostile = "\(base)/hostile/\(wait.route)"
        let step =
            wait.provider == "x"
            ? #"{ id: "notice", do: "x.post", token: "env:X_TOKEN", text: "障害" }"#
            : #"{ id: "notice", do: "discord.post", webhook: "env:DISCORD_HOOK", text: "障害" }"#
        try workspace.write("detour.json5", "{ providers: { x: \"\(hostile)\" } }")
        try workspace.write("playbooks/p.json5", "{ on: { event: \"down\", channels: [\"mall\"] }, steps: [\(step)] }")
        let result = try detour("failover", "mall", "--reason", "test", environment: ["X_TOKEN": "x-secret-93ab", "DISCORD_HOOK": hostile])
        // An honoured wait ends the pass (exit 0); the step's own backoff retries within it until the
        // third attempt fails for good, and a manual command names the failed step (exit 1).
        #expect(result.status == (wait.honoured ? 0 : 1), "\(result.output)")

        let finished = try #require(try journal().first { $0["type"] as? String == "step.finished" }, "\(result.output)")
        #expect(finished["outcome"] as? String == "retryable", "\(finished)")
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let answered = try #require(format.date(from: finished["ts"] as? String ?? ""))
        let retryAt = try #require(format.date(from: finished["retryAt"] as? String ?? ""), "\(finished)")
        let seconds = retryAt.timeIntervalSince(answered)
        if wait.honoured {
            #expect(seconds == 3_600, "the wait is cut to an hour")
        } else {
            #expect(seconds > 0 && seconds < 3_600, "the step's own backoff: \(seconds) s")
        }
        // An hour's wait is left to a later pass; the step's backoff is short enough to retry in this one (3 attempts).
        #expect(sandbox.requests().count == (wait.honoured ? 1 : 3))
    }

    // MARK: - Header injection

    @Test func aLineBreakInAHeaderFailsTheStepAndNothingIsSent() throws {
        try workspace.write(
            "playbooks/p.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [{ id: "notice", do: "http",
                request: { url: "\(base)/hostile/echo", headers: { "X-Reason": "down: {{incident.reason}}" }, json: { text: "{{incident.reason}}" } } }] }
            """)
        let check = try detour("check")
        #expect(check.output.contains("playbooks/p.json5:3:"), "\(check.output)")
        #expect(check.output.contains("header \"X-Reason\" puts {{incident.reason}} in a header"), "\(check.output)")

        for reason in ["foo\rX-Injected: yes", "foo\nX-Injected: yes"] {
            let failover = try detour("failover", "mall", "--reason", reason)
            #expect(failover.output.contains("step p/notice (http): header X-Reason contains a line break"), "\(failover.output)")
            #expect(failover.output.contains("so the request was not sent"))
            try detour("restore", "mall")
        }
        #expect(sandbox.requests(path: "/hostile/echo").isEmpty, "nothing reached the wire")
        let started = try journal().filter { $0["type"] as? String == "step.started" && $0["step"] as? String == "p/notice" }
        #expect(started.count == 2, "failed once each time, never retried")
    }

    @Test func aLineBreakWrittenIntoAHeaderIsAnErrorAndDrillShowsOneFromAValue() throws {
        try workspace.write("detour.json5", #"{ settings: { tag: "sale\nX-Injected: yes" } }"#)
        try workspace.write(
            "playbooks/p.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [{ id: "notice", do: "http", request: { url: "\(base)/hostile/echo", headers: { "X-Tag": "{{settings.tag}}" } } }] }
            """)
        let drill = try detour("drill", "mall")
        #expect(drill.output.contains("fails: header X-Tag contains a line break (LF)"), "\(drill.output)")

        try workspace.write(
            "channels/bad.json5",
            #"""
            { name: "bad", kind: "own-site", url: "https://shop.example/",
              probes: [{ url: "https://shop.example/", headers: { "X-Api-Key": "k\r\nX-Injected: yes" } }] }
            """#)
        let check = try detour("check")
        #expect(check.status == 2, "\(check.output)")
        #expect(check.output.contains("channels/bad.json5:2:"), "\(check.output)")
        #expect(check.output.contains("error: header X-Api-Key contains a line break (CR); a header must stay on one line"), "\(check.output)")
    }

    // MARK: - Probes

    @Test func probesOfHostilePagesEndInAnAnswerOrAClearFailure() throws {
        try workspace.write(
            "channels/hostile.json5",
            """
            { name: "hostile", kind: "own-site", url: "\(base)/hostile/echo",
              probes: [
                { name: "drip", url: "\(base)/hostile/drip", timeout: "1s" },
                { name: "huge", url: "\(base)/hostile/huge-body", expect: { bodyContains: "買い物かご" } },
                { name: "title", url: "\(base)/hostile/control-title", expect: { bodyContains: "ないもの" } },
                { name: "giant header", url: "\(base)/hostile/giant-header/200" },
                { name: "many headers", url: "\(base)/hostile/many-headers/20000" },
                { name: "file", url: "\(base)/hostile/redirect/file" },
                { name: "ftp", url: "\(base)/hostile/redirect/ftp" },
                { name: "loop", url: "\(base)/hostile/redirect/loop" },
                { name: "other origin", url: "\(base)/hostile/redirect/other-origin", headers: { "X-Api-Key": "shop-key-1234" } },
              ] }
            """)
        let started = ContinuousClock.now
        let result = try detour("probe", "hostile")
        // Unbounded, the drip-fed page alone would take 50 s.
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(result.status == 0 || result.status == 1, "\(result.output)")
        let output = result.output
        for name in ["drip", "huge", "title", "giant header", "many headers", "file", "ftp", "loop", "other origin"] {
            #expect(output.contains(name), "\(name) is reported: \(output)")
        }
        #expect(output.contains("timeout"), "\(output)")
        #expect(output.contains("redirect to file:///etc/passwd refused: only http and https addresses are followed"), "\(output)")
        #expect(output.contains("more than 5 redirects"), "\(output)")
        let echoed = try #require(sandbox.requests(path: "/hostile/echo").first)
        #expect(echoed.header("x-api-key") == nil, "another origin gets none of the probe's headers")
    }
}
