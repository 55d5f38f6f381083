import DetourTestSupport
import Foundation
import Testing

/// A workspace and state folder written by the first release with a journal
/// (`Tests/Fixtures/journal-v1`): every command still reads it, and new records go to segments.
@Suite(.serialized)
final class JournalFixtureCLITests {
    let workspace: TemporaryWorkspace

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/journal-v1").path

    init() throws {
        workspace = try TemporaryWorkspace()
        let files = FileManager.default
        for name in ["channels", "playbooks"] { try files.removeItem(atPath: workspace.root + "/" + name) }
        for name in ["detour.json5", "channels", "playbooks"] { try files.copyItem(atPath: Self.fixture + "/" + name, toPath: workspace.root + "/" + name) }
        try files.copyItem(atPath: Self.fixture + "/state", toPath: workspace.root + "/.detour")
    }

    @discardableResult
    func detour(_ arguments: String...) throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-11-25T03:00:00+09:00"])
    }

    @Test func theOldStateFolderIsReadByEveryCommand() throws {
        let status = try detour("status")
        #expect(status.status == 0, "\(status.output)")
        #expect(status.stdout.contains("No open incidents."), "\(status.stdout)")
        #expect(status.stderr.isEmpty, "nothing to repair: \(status.stderr)")
        let report = try detour("report", "--csv")
        #expect(report.stdout.split(separator: "\r\n").count == 4, "three outages: \(report.stdout)")
        let log = try detour("log")
        #expect(log.stdout.split(separator: "\n").count == 67)
        #expect(log.stdout.contains("channel.health  yahoo up (restored)"), "\(log.stdout)")
        #expect(log.stdout.contains("incident.relapsed  rakuten-20261125-010200"))
    }

    @Test func newRecordsStartTheFirstSegmentAndARebuildReadsBoth() throws {
        #expect(try detour("hold", "own", "--indefinitely", "--by", "kato").status == 0)
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/.detour/journal/2026-11.jsonl"))
        let rebuilt = try detour("state", "rebuild")
        #expect(rebuilt.stdout.contains("from 2 journal segments: 4 incidents (0 open)"), "\(rebuilt.output)")
        let last = try detour("log", "-n", "2")
        let lines = last.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(last.stdout)")
        #expect(lines.first?.contains("monitor.offline") == true)
        #expect(lines.last?.contains("channel.held  own by kato") == true)
        #expect(try detour("status").stdout.contains("own is held by kato"))
    }

    @Test(arguments: ["0", "-3", "many"])
    func logRefusesACountThatIsNotOne(count: String) throws {
        let result = try detour("log", "-n", count)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.stderr.contains("write a whole number such as -n 50"), "\(result.stderr)")
    }
}
