import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// One bad input and the diagnostic it must produce.
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    var name: String
    /// File → (line number → replacement line; nil removes it). Line 0 adds a line before the last.
    var edits: [String: [Int: String?]]
    var location: String
    var fragments: [String]
    var testDescription: String { name }
}

/// `detour check` diagnostics: every kind of error, with its file, line and column.
struct WorkspaceDiagnosticsTests {
    static let channel = [
        "{",
        #"  name: "ショップ","#,
        #"  kind: "own-site","#,
        #"  url: "http://127.0.0.1:9/","#,
        #"  probes: [{ name: "top", url: "http://127.0.0.1:9/" }],"#,
        "}",
    ]
    static let playbook = [
        "{",
        #"  on: { event: "down", channels: ["shop"] },"#,
        "  steps: [",
        #"    { id: "a", do: "http", request: { url: "http://127.0.0.1:9/a" } },"#,
        "  ],",
        "}",
    ]

    static let cases: [DiagnosticCase] = [
        DiagnosticCase(
            name: "typo in a step key", edits: ["playbooks/p.json5": [4: #"    { id: "a", do: "http", reqest: { url: "http://127.0.0.1:9/a" } },"#]],
            location: "playbooks/p.json5:4:28", fragments: [#"unknown key "reqest""#, #"did you mean "request"?"#]),
        DiagnosticCase(
            name: "unknown channel in a playbook", edits: ["playbooks/p.json5": [2: #"  on: { event: "down", channels: ["shop", "rakutne"] },"#]],
            location: "playbooks/p.json5:2:43", fragments: [#"unknown channel "rakutne""#, "channels/"]),
        DiagnosticCase(
            name: "unknown template variable",
            edits: ["playbooks/p.json5": [4: #"    { id: "a", do: "http", request: { url: "http://127.0.0.1:9/{{channel.nmae}}" } },"#]],
            location: "playbooks/p.json5:4:64", fragments: [#"unknown template variable "channel.nmae""#, #"did you mean "channel.name"?"#]),
        DiagnosticCase(
            name: "unknown action", edits: ["playbooks/p.json5": [4: #"    { id: "a", do: "lin", text: "x" },"#]],
            location: "playbooks/p.json5:4:20", fragments: [#"unknown action "lin""#]),
        DiagnosticCase(
            name: "wrong type", edits: ["channels/shop.json5": [0: #"  schedule: { every: "1m", failAfter: "3" },"#]],
            location: "channels/shop.json5:6:39", fragments: [#""failAfter" in schedule must be a number"#]),
        DiagnosticCase(
            name: "bad duration", edits: ["channels/shop.json5": [0: #"  schedule: { every: "1 minute" },"#]],
            location: "channels/shop.json5:6:22", fragments: ["is not a duration", #""30s""#]),
        DiagnosticCase(
            name: "bad status", edits: ["channels/shop.json5": [5: #"  probes: [{ name: "top", url: "http://127.0.0.1:9/", expect: { status: "ok" } }],"#]],
            location: "channels/shop.json5:5:73", fragments: ["is not a status", #""2xx""#]),
        DiagnosticCase(
            name: "unknown alternate", edits: ["channels/shop.json5": [0: #"  alternates: ["nowhere"],"#]],
            location: "channels/shop.json5:6:16", fragments: [#"unknown channel "nowhere""#]),
        DiagnosticCase(
            name: "unknown enum value", edits: ["channels/shop.json5": [3: #"  kind: "marketplace","#]],
            location: "channels/shop.json5:3:9", fragments: [#"unknown value "marketplace""#, #""mall""#]),
        DiagnosticCase(
            name: "missing required field", edits: ["channels/shop.json5": [4: nil]],
            location: "channels/shop.json5:1:1", fragments: [#"is missing "url""#]),
        DiagnosticCase(
            name: "missing comma", edits: ["playbooks/p.json5": [2: #"  on: { event: "down", channels: ["shop"] }"#]],
            location: "playbooks/p.json5:3:3", fragments: ["comma"]),
    ]

    /// Writes the valid base workspace with one case's edits applied.
    static func workspace(applying edits: [String: [Int: String?]]) throws -> TemporaryWorkspace {
        let workspace = try TemporaryWorkspace()
        for (path, base) in [("channels/shop.json5", channel), ("playbooks/p.json5", playbook)] {
            var lines = base.map { Optional($0) }
            for (number, replacement) in edits[path] ?? [:] {
                if number == 0 {
                    lines.insert(replacement, at: lines.count - 1)
                } else {
                    lines[number - 1] = replacement
                }
            }
            try workspace.write(path, lines.compactMap { $0 }.joined(separator: "\n") + "\n")
        }
        return workspace
    }

    @Test func theBaseWorkspaceIsValid() throws {
        let workspace = try Self.workspace(applying: [:])
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        #expect(load.diagnostics.isEmpty)
        #expect(load.workspace?.channels.map(\.id) == ["shop"])
    }

    @Test(arguments: cases)
    func reportsTheProblemWhereItIs(_ example: DiagnosticCase) throws {
        let workspace = try Self.workspace(applying: example.edits)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        #expect(load.workspace == nil)
        let match = load.diagnostics.first { $0.location.description == example.location && $0.severity == .error }
        #expect(match != nil, "no error at \(example.location); got \(load.diagnostics.map(\.description))")
        for fragment in example.fragments {
            #expect(match?.message.contains(fragment) == true, "\(match?.description ?? "-") lacks \(fragment)")
        }
    }

    @Test func reportsEveryProblemAtOnce() throws {
        let workspace = try Self.workspace(applying: [
            "channels/shop.json5": [3: #"  kind: "marketplace","#],
            "playbooks/p.json5": [2: #"  on: { event: "down", channels: ["nope"] },"#],
        ])
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let locations = load.diagnostics.map { "\($0.location.file):\($0.location.line)" }
        #expect(locations.contains("channels/shop.json5:3"))
        #expect(locations.contains("playbooks/p.json5:2"))
    }

    @Test func theExampleWorkspaceIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let load = WorkspaceLoader(root: root, environment: [:]).load()
        #expect(load.diagnostics.filter { $0.severity == .error }.isEmpty, "\(load.diagnostics)")
        #expect(load.workspace?.channels.map(\.id) == ["amazon", "own-site", "rakuten", "yahoo"])
    }
}
