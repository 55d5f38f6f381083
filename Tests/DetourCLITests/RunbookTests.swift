import DetourCore
import DetourTestSupport
import Foundation
import Testing

/// `detour runbook` on the example shop: every channel, step and customer template appears, in
/// the HTML and the Markdown, in Japanese by default and in English on request.
struct RunbookTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func runbook(_ arguments: String...) throws -> (CommandResult, html: String, markdown: String, folder: String) {
        let folder = NSTemporaryDirectory() + "detour-runbook-\(UUID().uuidString)"
        let result = try DetourBinary.run(
            ["runbook", "--out", folder] + arguments, in: Self.root, environment: ["DETOUR_NOW": "2026-12-04T19:00:00+09:00"])
        let html = (try? String(contentsOfFile: folder + "/index.html", encoding: .utf8)) ?? ""
        let markdown = (try? String(contentsOfFile: folder + "/runbook.md", encoding: .utf8)) ?? ""
        return (result, html, markdown, folder)
    }

    @Test func everyChannelStepAndTemplateAppears() throws {
        let (result, html, markdown, folder) = try runbook()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(result.status == 0, "\(result.output)")
        let workspace = try #require(WorkspaceLoader(root: Self.root, environment: [:]).load().workspace)
        for text in [html, markdown] {
            #expect(text.contains("障害対応マニュアル"))
            for channel in workspace.channels {
                #expect(text.contains(channel.name), "\(channel.id)")
                #expect(text.contains("detour failover \(channel.id)"))
            }
            for playbook in workspace.playbooks {
                for step in playbook.steps { #expect(text.contains("\(playbook.id)/\(step.id)"), "\(playbook.id)/\(step.id)") }
                for step in playbook.recovery { #expect(text.contains("\(playbook.id)/\(step.id)/recovery"), "\(playbook.id)/\(step.id)") }
            }
            // Templates rendered with example values, measured against the platform's limit.
            #expect(text.contains("楽天市場店でシステム障害が発生しています。公式オンラインショップでセールを継続中です"))
            #expect(text.contains("楽天市場店は復旧しました。"))
            // Who is on call at 19:00 on the first day of the sale, and the override that starts at 18:00.
            #expect(text.contains("店長（代理: スーパーSALE初日）"), "\(markdown)")
            #expect(text.contains("楽天 RMS 店舗サポート"))
            #expect(text.contains("detour drill rakuten"))
        }
        #expect(html.contains("@page { size: A4"))
        #expect(html.components(separatedBy: "<section").count - 1 == workspace.channels.count + 1)
        #expect(!html.contains("<script"))
    }

    @Test func englishOnRequest() throws {
        let (result, html, markdown, folder) = try runbook("--lang", "en")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(result.status == 0, "\(result.output)")
        #expect(markdown.contains("# Response manual"))
        #expect(markdown.contains("### Signs of failure"))
        #expect(html.contains("<html lang=\"en\">"))
        let bad = try DetourBinary.run(["runbook", "--out", folder, "--lang", "fr"], in: Self.root)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--lang \"fr\" is not a language Detour speaks; write --lang en or --lang ja"))
    }
}
