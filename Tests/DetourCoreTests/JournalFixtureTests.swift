import Foundation
import Testing

@testable import DetourCore

/// A state folder written by the first release with a journal (schema 1: one `journal.jsonl`),
/// committed in `Tests/Fixtures/journal-v1`: every later release must read it as it was written.
///
/// It holds an outage of two malls sharing a held effect, a failed step retried, an approval, a
/// relapse, a manual failover and restore, a channel hold and release, an invalid workspace and
/// the monitor going offline (`Tests/Fixtures/make-journal-v1.sh` wrote it).
@Suite(.serialized)
final class JournalFixtureTests {
    let folder = NSTemporaryDirectory() + "detour-fixture-\(UUID().uuidString)"
    var warnings: [String] = []

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/journal-v1/state").path

    init() throws {
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: folder)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func store() throws -> StateStore {
        try StateStore(directory: folder) { [unowned self] in self.warnings.append($0) }
    }

    @Test func everyLineIsReadAndWrittenBackByteForByte() throws {
        let text = try String(contentsOfFile: folder + "/journal.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 67)
        var types = Set<JournalRecordType>()
        for line in lines {
            let record = try JournalCoding.decode(Data(line.utf8))
            #expect(try JournalCoding.encode(record) == line)
            types.insert(record.event.recordType)
        }
        // Every record type of the release that wrote it, but monitor.online; paging and check-in records came later.
        #expect(types == Set(JournalRecordType.allCases).subtracting([.monitorOnline, .incidentPaged, .incidentAcknowledged, .channelCheckin]))
    }

    @Test func theStateFoldedFromItIsWhatHappened() throws {
        let state = try store().rebuildState()
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(
            state.incidents.map(\.id) == ["rakuten-20261125-010200", "yahoo-20261125-010200", "yahoo-20261125-012000", "broken-config-own-20261125-015000"])
        #expect(state.unresolvedIncidents.isEmpty)
        let rakuten = try #require(state.incident("rakuten-20261125-010200"))
        #expect(rakuten.relapses == 1)
        #expect(rakuten.approvedBy == "root")
        #expect(rakuten.steps["mall-down/page"]?.attemptsStarted == 2)
        #expect(rakuten.steps["mall-down/page"]?.retryBase == 1, "the operator's retry")
        #expect(rakuten.steps["mall-down/promo"]?.holds == "promo:own")
        #expect(rakuten.sales?.first?.name == "ブラックフライデー")
        #expect(rakuten.saleMultiplier == 2)
        let yahoo = try #require(state.incident("yahoo-20261125-010200"))
        #expect(yahoo.steps["mall-down/promo"]?.heldFrom == rakuten.id, "the promotion was joined, not sent again")
        #expect(yahoo.steps["mall-down/promo/undo"]?.outcome == .skipped)
        let manual = try #require(state.incident("yahoo-20261125-012000"))
        #expect(manual.trigger == .manual && manual.by == "sato" && manual.restoredBy == "sato")
        #expect(state.incident("broken-config-own-20261125-015000")?.trigger == .notice)
        #expect(state.holds.isEmpty, "held, then released")
        #expect(state.workspaceInvalid == nil, "invalid, then valid again")
        #expect(state.monitorOfflineSince != nil)
        let changes = try store().records().records.compactMap { record -> HealthChange? in
            if case .channelHealth(let event) = record.event { return event.change }
            return nil
        }
        #expect(changes == [.suspected, .suspected, .wentDown, .wentDown, .recovered, .recovered, .suspected, .wentDown, .recovered, .restored])
    }

    /// The release's own snapshot (no segment named, an offset into `journal.jsonl`) still loads,
    /// and the next record starts the first monthly segment.
    @Test func theStateFolderOfThatReleaseKeepsWorking() throws {
        let store = try store()
        let snapshot = try store.loadState()
        #expect(snapshot.journalPosition == JournalPosition(segment: "journal.jsonl", offset: 17_065))
        #expect(snapshot.incidents == (try store.rebuildState()).incidents)
        #expect(warnings.isEmpty, "\(warnings)")

        let held = JournalRecord(
            ts: Date(timeIntervalSince1970: 1_795_600_000), event: .channelHeld(ChannelHeld(channel: "own", until: nil, by: "kato", reason: nil)))
        var state = snapshot
        state.journalPosition = try store.append(held)
        state.apply(held)
        #expect(try store.segments() == ["journal.jsonl", "journal/2026-11.jsonl"])
        #expect(try store.loadState() == state, "the old snapshot plus the new segment")
        try store.saveSnapshot(state)
        let reloaded = try store.loadState()
        #expect(reloaded.journalSegment == "journal/2026-11.jsonl")
        #expect(reloaded.holds["own"]?.by == "kato")
        #expect(try store.rebuildState().incidents == reloaded.incidents)
        #expect(try String(contentsOfFile: folder + "/journal.jsonl", encoding: .utf8).utf8.count == 17_065, "the old journal is never written again")
    }
}
