import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `detour drill` and the promise that no secret reaches any output or file.
@Suite(.serialized)
final class DrillTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    static let secrets = ["LINE_TOKEN": "line-drill-secret-0a1b", "X_TOKEN": "x-drill-secret-2c3d", "PD_KEY": "pd-drill-secret-4e5f"]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            #"{ providers: { line: "\#(base)/ext/api.line.me", x: "\#(base)/ext/api.x.com", pagerduty: "\#(base)/ext/events.pagerduty.com" } }"#)
        try workspace.write(
            "channels/mall.json5",
            #"{ name: "テストモール店", kind: "mall", url: "https://mall.example.jp/", probes: [{ url: "\#(base)/store/mall/" }], alternates: ["own"] }"#)
        try workspace.write(
            "channels/own.json5", #"{ name: "自社サイト", kind: "own-site", url: "https://shop.example.jp/", probes: [{ url: "\#(base)/store/own/" }] }"#)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害。{{alternates.0.name}}へ → {{alternates.0.url}}" },
                { id: "x", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}に繋がりにくくなっています" },
                { id: "page", do: "pagerduty.event", routingKey: "env:PD_KEY", summary: "{{channel.name}} is down", undo: { action: "resolve" } },
              ],
              recovery: [{ id: "back", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}は復旧しました" }],
            }
            """)
        try workspace.write("playbooks/other.json5", #"{ on: { event: "down", channels: ["own"] }, steps: [{ id: "n", do: "log", message: "own down" }] }"#)
    }

    deinit { sandbox.stop() }

    func detour(_ arguments: [String], in directory: String? = nil) throws -> CommandResult {
        try DetourBinary.run(arguments, in: directory ?? workspace.root, environment: Self.secrets.merging(["DETOUR_NOW": "2026-11-27T10:00:00+09:00"]) { $1 })
    }

    @Test func aDrillShowsEveryExactRequestAndSendsNothing() throws {
        let result = try detour(["drill", "mall"])
        #expect(result.status == 0, "\(result.output)")
        #expect(sandbox.requests().isEmpty, "a drill without --sandbox sends nothing")
        let out = result.stdout
        let base = sandbox.baseURL
        let expected = [
            "[failover] mall-down/line  (line.broadcast)",
            "  POST \(base)/ext/api.line.me/v2/bot/message/broadcast",
            "  Authorization: Bearer ••••",
            "  X-Line-Retry-Key: " + "",
            #"  {"messages":[{"type":"text","text":"テストモール店で障害。自社サイトへ → https://shop.example.jp/"}],"notificationDisabled":false}"#,
            "[failover] mall-down/x  (x.post)",
            #"  {"text":"テストモール店に繋がりにくくなっています"}"#,
            #"{"routing_key":"••••","event_action":"trigger","dedup_key":"drill-mall","#,
            "[undo] mall-down/page/undo  (pagerduty.event)",
            #"{"routing_key":"••••","event_action":"resolve","dedup_key":"drill-mall"}"#,
            "[recovery] mall-down/back/recovery  (line.broadcast)",
        ]
        for line in expected { #expect(out.contains(line), "missing \(line) in\n\(out)") }
        // Failover, then undo, then recovery.
        let order = ["[failover] mall-down/page", "[undo] mall-down/page/undo", "[recovery] mall-down/back/recovery"].map { out.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! })
        #expect(!out.contains("own down"), "only playbooks of the channel")

        let one = try detour(["drill", "own", "--playbook", "other"])
        #expect(one.stdout.contains("journal only: own down"), "\(one.output)")
        #expect(try detour(["drill", "mall", "--playbook", "nope"]).status == 64)
        #expect(try detour(["drill", "mal"]).stderr.contains("unknown channel \"mal\""))
    }

    @Test func aSandboxDrillSendsEachRequestOnceAndShowsTheAnswers() throws {
        // The real providers' hosts, answered by the drill's own sandbox.
        try workspace.remove("detour.json5")
        let result = try detour(["drill", "mall", "--sandbox"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("← mall-down/line: 200 {}"), "\(result.stdout)")
        #expect(result.stdout.contains("← mall-down/x: 201 {\"data\""))
        #expect(result.stdout.contains(#"← mall-down/page: 202 {"dedup_key":"#))
        #expect(result.stdout.contains("resolved"))
        #expect(result.stdout.contains("  POST https://api.line.me/v2/bot/message/broadcast"))
        #expect(result.stdout.contains("the sandbox received 5 requests"), "line, x, trigger, resolve, line-back")
        #expect(sandbox.requests().isEmpty, "the drill uses its own embedded sandbox")
    }

    @Test func noSecretAppearsInAnythingADrillOrTheDemoProduces() throws {
        var produced: [String] = []
        produced += try [detour(["drill", "mall"]), detour(["drill", "mall", "--sandbox"]), detour(["check"])].map(\.output)

        // The demo on the repository's example workspace, with real-looking credentials set.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let state = NSTemporaryDirectory() + "detour-secret-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let demoSecrets = [
            "LINE_CHANNEL_TOKEN": "demo-line-secret-9f8e", "X_USER_TOKEN": "demo-x-secret-7d6c", "PAGERDUTY_ROUTING_KEY": "demo-pd-secret-5b4a",
            "SHOPIFY_ADMIN_TOKEN": "demo-shopify-secret-3928",
        ]
        let run = { (arguments: [String]) throws -> CommandResult in
            try DetourBinary.run(arguments, in: root, environment: demoSecrets.merging(["DETOUR_STATE_DIR": state]) { $1 })
        }
        let demo = try run(["demo"])
        #expect(demo.status == 0, "\(demo.output)")
        produced.append(demo.output)
        for arguments in [
            ["report"], ["report", "--csv"], ["log"], ["status"], ["status", "--json"], ["drill", "rakuten"], ["drill", "rakuten", "--sandbox"],
        ] {
            produced.append(try run(arguments).output)
        }
        // Every report format, the incident's timeline and the public status page.
        produced.append(try run(["report", "--json"]).output)
        let html = state + "/report.html"
        let pages = state + "/status"
        #expect(try run(["report", "--html", html]).status == 0)
        #expect(try run(["statuspage", "--out", pages]).status == 0)
        let csv = try run(["report", "--csv"]).stdout.split(separator: "\r\n")
        let incident = try #require(csv.dropFirst().first?.split(separator: ",").dropFirst().first.map(String.init))
        let show = try run(["show", incident])
        #expect(show.status == 0, "\(show.output)")
        produced.append(show.output)
        for file in ["index.html", "status.json"] {
            produced.append(try String(contentsOfFile: pages + "/" + file, encoding: .utf8))
        }
        for file in (try FileManager.default.contentsOfDirectory(atPath: state)) {
            produced.append((try? String(contentsOfFile: state + "/" + file, encoding: .utf8)) ?? "")
        }
        #expect(produced.contains { $0.contains("<svg") }, "the HTML report was read")
        #expect(produced.contains { $0.contains("journal") || $0.contains("step.started") }, "the journal was read")
        for secret in Array(Self.secrets.values) + Array(demoSecrets.values) {
            #expect(!produced.contains { $0.contains(secret) }, "\(secret) leaked")
        }
    }
}
