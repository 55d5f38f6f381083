import DetourTestSupport
import Foundation
import Testing

@testable import DetourCLI

/// Usage, help and workspace errors through the binary.
struct CommandLineTests {
    // The command table itself, not a copy that could miss a new command.
    @Test(arguments: CLI.commands.map(\.name))
    func everyCommandHasHelp(command: String) throws {
        let result = try DetourBinary.run([command, "--help"], in: NSTemporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: detour \(command)"))
    }

    @Test func unknownCommandsAndOptionsAreUsageErrors() throws {
        let command = try DetourBinary.run(["tik"], in: NSTemporaryDirectory())
        #expect(command.status == 64)
        #expect(command.stderr.contains("unknown command 'tik'"))
        #expect(command.stderr.contains("tick"))
        let option = try DetourBinary.run(["report", "--cvs"], in: NSTemporaryDirectory())
        #expect(option.status == 64)
        #expect(option.stderr.contains("unknown option '--cvs'"))
    }

    @Test func invalidWorkspacesExitTwoWithFileLineColumn() throws {
        let workspace = try TemporaryWorkspace()
        try workspace.write("channels/shop.json5", "{\n  name: \"店\"\n  kind: \"mall\",\n}\n")
        try workspace.write(
            "playbooks/p.json5",
            "{\n  on: { event: \"down\", channels: [\"shop\"] },\n  stesp: [],\n}\n")
        for command in ["check", "tick", "status"] {
            let result = try DetourBinary.run([command], in: workspace.root)
            #expect(result.status == 2, "\(command): \(result.output)")
            #expect(result.stderr.contains("channels/shop.json5:3:3: error:"), "\(result.stderr)")
            #expect(result.stderr.contains(#"playbooks/p.json5:3:3: error: unknown key "stesp" in playbook "p"; did you mean "steps"?"#))
        }
    }

    @Test func theExampleWorkspacePassesCheck() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let result = try DetourBinary.run(["check", "--workspace", root], in: NSTemporaryDirectory())
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.hasPrefix("ok: 4 channels"))
    }

    @Test func theDemoRunsAnOutageEndToEnd() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let state = NSTemporaryDirectory() + "detour-demo-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let result = try DetourBinary.run(["demo", "--state-dir", state], in: root)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("DOWN: outage confirmed"))
        #expect(result.stdout.contains("mitigated"))
        #expect(result.stdout.contains("resolved"))
        #expect(result.stdout.contains("楽天市場店"))
        #expect(result.stdout.contains("¥"))
        // The sandbox's provider fakes answer like the real APIs: one failure notice and one recovery
        // notice on LINE (200), one post on X (201), the Shopify discount switched on and off again
        // (200 without userErrors), a Backlog ticket opened and closed, and the on-call pages: nobody
        // acknowledges in the demo's 30-minute outage, so all three levels are paged (the primary by
        // LINE and Slack, the secondary by LINE and phone, the owner by phone and mail), and each hears
        // it is over (a call's "resolved" goes as an SMS).
        #expect(result.stdout.components(separatedBy: "POST api.line.me/v2/bot/message/broadcast → 200").count - 1 == 2)
        #expect(result.stdout.components(separatedBy: "POST api.x.com/2/tweets → 201").count - 1 == 1)
        #expect(result.stdout.components(separatedBy: "POST matcha-do.backlog.jp/api/v2/issues → 201").count - 1 == 1)
        #expect(result.stdout.components(separatedBy: "PATCH matcha-do.backlog.jp/api/v2/issues/SHOP-1 → 200").count - 1 == 1)
        #expect(result.stdout.components(separatedBy: "POST api.line.me/v2/bot/message/push → 200").count - 1 == 4)
        #expect(result.stdout.components(separatedBy: "POST slack.com/api/chat.postMessage → 200").count - 1 == 2)
        #expect(result.stdout.components(separatedBy: "/Calls.json → 201").count - 1 == 2)
        #expect(result.stdout.components(separatedBy: "/Messages.json → 201").count - 1 == 2)
        #expect(result.stdout.contains("paging 店長 (owner, level 3) by phone, email"))
        #expect(result.stdout.components(separatedBy: "POST matcha-do.myshopify.com/admin/api/2025-01/graphql.json → 200").count - 1 == 2)
        #expect(!result.stdout.contains("failed"), "\(result.stdout)")
    }
}
