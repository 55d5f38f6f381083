import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// The last good copy of a workspace, the SHA-256 its manifest uses, and the rates kept per incident.
@Suite struct LastGoodWorkspaceTests {
    @Test(
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ] as [(String, String)])
    func sha256MatchesTheStandardVectors(text: String, digest: String) {
        #expect(SHA256.hex(text) == digest)
    }

    static func folder() throws -> TemporaryWorkspace {
        let folder = try TemporaryWorkspace()
        try folder.write(
            "channels/mall.json5",
            "{ name: \"モール\", kind: \"mall\", url: \"https://mall.example/\", probes: [{ name: \"p\", url: \"https://mall.example/\" }] }")
        try folder.write("playbooks/log.json5", "{ on: { event: \"down\" }, steps: [{ id: \"note\", do: \"log\", message: \"{{channel.name}}\" }] }")
        return folder
    }

    @Test func aCopyIsWrittenOnlyWhenAFileChangedAndLoadsAsTheRealWorkspace() throws {
        let folder = try Self.folder()
        let copy = LastGoodWorkspace(stateDirectory: folder.root + "/.detour")
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try copy.save(from: folder.root, environment: [:], at: first))
        #expect(try !copy.save(from: folder.root, environment: [:], at: first.addingTimeInterval(60)), "nothing changed: no new copy")
        #expect(copy.manifest()?.takenAt == first)
        let data = try #require(FileManager.default.contents(atPath: folder.root + "/channels/mall.json5"))
        #expect(copy.manifest()?.files.first { $0.path == "channels/mall.json5" }?.sha256 == SHA256.hex(data))
        let mode = try FileManager.default.attributesOfItem(atPath: copy.directory + "/channels/mall.json5")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try folder.write("playbooks/log.json5", "{ on: { event: \"down\" }, steps: [{ id: \"note2\", do: \"log\", message: \"x\" }] }")
        #expect(try copy.save(from: folder.root, environment: [:], at: first.addingTimeInterval(120)))
        let (workspace, manifest) = try #require(copy.load(root: folder.root, environment: [:]))
        #expect(manifest.takenAt == first.addingTimeInterval(120))
        #expect(workspace.root == folder.root, "paths stay relative to the real workspace")
        #expect(workspace.playbooks.first?.steps.first?.id == "note2")
    }

    @Test func aBrokenFileIsNeverCopied() throws {
        let folder = try Self.folder()
        let copy = LastGoodWorkspace(stateDirectory: folder.root + "/.detour")
        try folder.write("playbooks/log.json5", "{ on: { event: \"down\" }, steps: [{ id: \"note\", do: \"x.pots\" }] }")
        #expect(try !copy.save(from: folder.root, environment: [:], at: Date()))
        #expect(copy.manifest() == nil)
    }

    @Test func aWorkspaceInvalidPlaybookThatTellsCustomersIsWarnedAbout() throws {
        let folder = try Self.folder()
        try folder.write(
            "playbooks/broken-file.json5",
            """
            { on: { event: "workspace-invalid" },
              steps: [{ id: "all", do: "line.broadcast", token: "env:LINE_TOKEN", text: "壊れました" },
                      { id: "staff", do: "line.push", token: "env:LINE_TOKEN", to: "U123", text: "ファイルを確認してください" }] }
            """)
        let load = WorkspaceLoader(root: folder.root, environment: ["LINE_TOKEN": "line-token-long-enough"]).load()
        #expect(load.workspace != nil, "\(load.diagnostics)")
        let warnings = load.diagnostics.filter { $0.severity == .warning && $0.message.contains("broken workspace file") }
        #expect(warnings.count == 1, "\(load.diagnostics)")
        #expect(warnings.first?.description.hasPrefix("playbooks/broken-file.json5:2:") == true)
    }

    @Test func stepsAreOrderedAsTheyRunNotByName() throws {
        let folder = try TemporaryWorkspace()
        try folder.write(
            "channels/mall.json5",
            "{ name: \"モール\", kind: \"mall\", url: \"https://mall.example/\", probes: [{ name: \"p\", url: \"https://mall.example/\" }] }")
        try folder.write(
            "playbooks/b-first.json5",
            """
            { on: { event: "down" },
              steps: [{ id: "zeta", do: "log", message: "z", undo: { message: "z off" } }, { id: "alpha", do: "log", message: "a", undo: { message: "a off" } }],
              recovery: [{ id: "back", do: "log", message: "back" }] }
            """)
        let workspace = try #require(WorkspaceLoader(root: folder.root, environment: [:]).load().workspace)
        var incident = Incident(id: "i", channel: "mall", trigger: .manual, by: nil, reason: "r", openedAt: Date())
        for key in ["b-first/zeta", "b-first/alpha"] {
            incident.steps[key] = StepRecord(phase: .failover, attemptsStarted: 1, attemptsFinished: 1, outcome: .succeeded, idempotencyKey: key)
        }
        #expect(workspace.pendingSteps(of: incident).isEmpty)
        incident.recoveringAt = Date()
        #expect(workspace.stepOrder(of: incident) == ["b-first/zeta", "b-first/alpha", "b-first/alpha/undo", "b-first/zeta/undo", "b-first/back/recovery"])
        #expect(workspace.pendingSteps(of: incident) == ["b-first/alpha/undo", "b-first/zeta/undo", "b-first/back/recovery"])
    }
}
