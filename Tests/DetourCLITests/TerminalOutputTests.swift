import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Text from strangers (a page's title) reaches the terminal with its control characters escaped, in every command.
@Suite(.serialized)
final class TerminalOutputTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    static let title = "\u{1B}[2J\u{1B}]0;pwned\u{07}メンテ\rfoo\u{9B}31m\u{0}"

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        sandbox.enqueue(
            ScriptedResponse(status: 200, headers: [SandboxHeader("Content-Type", "text/html; charset=utf-8")], body: "<title>\(Self.title)</title>"),
            forPath: "/stranger/page", count: 50)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/stranger/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/stranger/page", expect: { bodyContains: "買い物かご" } }],
              schedule: { every: "1m", confirmEvery: "1m", failAfter: 2, recoverAfter: 1 } }
            """)
        try workspace.write(
            "playbooks/notify.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "notice", do: "http", request: { url: "\(sandbox.baseURL)/notice", json: { text: "{{incident.reason}}" } } }] }
            """)
    }

    deinit { sandbox.stop() }

    func detour(_ arguments: String..., at time: String = "01:00:00") throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T\(time)+09:00"])
    }

    func expectEscaped(_ result: CommandResult, _ command: String) {
        let raw = result.output.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F..<0xA0).contains($0.value) }
        #expect(raw.isEmpty, "\(command) printed control characters: \(raw.map { String($0.value, radix: 16) })")
        #expect(result.output.contains(#"\x1b[2J\x1b]0;pwned\x07メンテ\x0dfoo\x9b31m\x00"#), "\(command): \(result.output)")
    }

    @Test func everyHumanOutputEscapesControlCharacters() throws {
        expectEscaped(try detour("probe"), "probe")
        expectEscaped(try detour("tick", "--verbose", at: "01:00:00"), "tick")
        expectEscaped(try detour("tick", at: "01:01:00"), "tick")
        expectEscaped(try detour("status", at: "01:02:00"), "status")
        expectEscaped(try detour("log"), "log")
        let log = try detour("log", "--json").stdout
        let incident = try #require(log.firstMatch(of: #/"type":"incident.opened".*?"incident":"([^"]+)"/#).map { String($0.1) }, "\(log)")
        expectEscaped(try detour("show", incident), "show")
        // Programs still get the exact text, in their format's own escaping.
        #expect(try detour("status", "--json").stdout.contains(#"\u001b[2J"#))
    }
}
