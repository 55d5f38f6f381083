import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// A weekly `selftest`: every credential is checked against its provider (or for being set), and
/// a refused or missing one reaches the operator through the `step-failed` playbooks.
@Suite(.serialized)
final class SelfTestTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let environment = [
        "LINE_TOKEN": "line-secret-5f1e9a", "SLACK_BOT_TOKEN": "xoxb-slack-secret-77", "TWILIO_SID": "AC0123456789abcdef",
        "TWILIO_TOKEN": "twilio-secret-c0ffee",
    ]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            #"{ providers: { line: "\#(base)/ext/api.line.me", slack: "\#(base)/ext/slack.com", twilio: "\#(base)/ext/api.twilio.com", x: "\#(base)/ext/api.x.com" } }"#
        )
        try workspace.write("channels/shop.json5", #"{ name: "店", kind: "own-site", url: "\#(base)/store/shop/", probes: [{ url: "\#(base)/store/shop/" }] }"#)
        try workspace.write(
            "oncall.json5",
            """
            {
              people: { tanaka: { name: "田中", line: "U1111tanaka", slack: "U0AB12CD", phone: "+819011112222" } },
              rotations: { primary: { members: ["tanaka"], handoff: "mon 10:00", every: "1w" } },
              escalation: { default: [{ notify: "primary", via: ["line", "slack", "phone"] }] },
              send: { line: { token: "env:LINE_TOKEN" }, slack: { token: "env:SLACK_BOT_TOKEN" },
                      twilio: { accountSid: "env:TWILIO_SID", authToken: "env:TWILIO_TOKEN", from: "+815012345678" } },
            }
            """)
        try workspace.write(
            "playbooks/shop-down.json5",
            """
            { on: { event: "down" }, steps: [
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}に繋がりにくくなっています" },
                { id: "x", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}に繋がりにくくなっています" },
                { id: "page", do: "page" } ] }
            """)
        try workspace.write(
            "playbooks/weekly-selftest.json5", #"{ on: { event: "schedule", cron: "0 9 * * mon" }, steps: [{ id: "check", do: "selftest" }] }"#)
        try workspace.write(
            "playbooks/tell-operator.json5",
            #"{ on: { event: "step-failed" }, steps: [{ id: "tell", do: "http", request: { url: "\#(base)/ops-alert", json: { text: "{{incident.reason}}" } } }] }"#
        )
    }

    deinit { sandbox.stop() }

    @discardableResult
    func tick(_ time: String) throws -> CommandResult {
        var environment = self.environment
        environment["DETOUR_NOW"] = "2026-11-30T\(time)+09:00"
        return try DetourBinary.run(["tick"], in: workspace.root, environment: environment)
    }

    @Test func aMissingCredentialReachesTheOperatorOnce() throws {
        try tick("08:59:00")
        #expect(sandbox.requests(path: "/v2/bot/info").isEmpty)
        let run = try tick("09:00:10")
        #expect(run.status == 0, "\(run.output)")
        #expect(sandbox.requests(path: "/v2/bot/info").first?.answeredStatus == 200)
        #expect(sandbox.requests(path: "/api/auth.test").first?.answeredStatus == 200)
        #expect(sandbox.requests(path: "/2010-04-01/Accounts/AC0123456789abcdef.json").first?.answeredStatus == 200)
        let alerts = sandbox.requests(path: "/ops-alert")
        #expect(alerts.count == 1)
        let text = alerts.first?.body ?? ""
        #expect(text.contains("1 of 4 credentials refused or missing"), "\(text)")
        #expect(text.contains("env:X_TOKEN for x.post (shop-down/x)"), "\(text)")
        for secret in environment.values { #expect(!text.contains(secret)) }
        // Nothing was posted or paged: the checks only read.
        #expect(sandbox.requests().allSatisfy { $0.method == "GET" || $0.path == "/api/auth.test" || $0.path == "/ops-alert" })
        try tick("09:05:00")
        try tick("10:00:00")
        #expect(sandbox.requests(path: "/ops-alert").count == 1, "told once")
        #expect(sandbox.requests(path: "/v2/bot/info").count == 1, "checked once per scheduled time")
    }

    @Test func allCredentialsAcceptedIsQuiet() throws {
        var environment = self.environment
        environment["X_TOKEN"] = "x-secret-93ab-token"
        environment["DETOUR_NOW"] = "2026-11-30T09:00:10+09:00"
        let run = try DetourBinary.run(["tick"], in: workspace.root, environment: environment)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.stdout.contains("4 credentials checked; all accepted"), "\(run.output)")
        #expect(sandbox.requests(path: "/ops-alert").isEmpty)
    }
}
