import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

#if canImport(Glibc)
    import Glibc
#endif

/// Damaged state files: every load either works (repairing what it can, with a warning) or says what to do.
@Suite(.serialized)
final class StateStoreTests {
    let folder = NSTemporaryDirectory() + "detour-state-\(UUID().uuidString)"
    var warnings: [String] = []

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func store(_ directory: String? = nil) throws -> StateStore {
        try StateStore(directory: directory ?? folder + "/.detour") { [unowned self] in self.warnings.append($0) }
    }

    /// A journal of every record type (about 30 lines), and a snapshot taken part-way through it.
    func writeHistory(_ store: StateStore, snapshotAfter: Int = 10) throws {
        var state = DetourState()
        let records = (JournalDecodingTests.records + JournalDecodingTests.fullRecords + JournalDecodingTests.records)
        for (index, record) in records.enumerated() {
            let end = try store.append(record)
            state.apply(record)
            if index + 1 == snapshotAfter {
                state.journalPosition = end
                try store.saveSnapshot(state)
            }
        }
    }

    /// The segment the history was written to (one month).
    func journalPath(_ store: StateStore) throws -> String {
        store.path(of: try #require(try store.segments().last))
    }

    func journalLines(_ store: StateStore) throws -> [Data] {
        try Data(contentsOf: URL(fileURLWithPath: journalPath(store))).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
    }

    func writeJournal(_ store: StateStore, _ lines: [Data]) throws {
        try Data(lines.joined(separator: Data("\n".utf8))).write(to: URL(fileURLWithPath: journalPath(store)))
    }

    func setSnapshotOffset(_ store: StateStore, _ offset: String) throws {
        let text = try String(contentsOfFile: store.snapshotPath, encoding: .utf8)
        let changed = text.replacing(#/"journalOffset":-?[0-9.e+]+/#, with: "\"journalOffset\":\(offset)")
        try changed.write(toFile: store.snapshotPath, atomically: false, encoding: .utf8)
    }

    // MARK: - Impossible snapshots

    @Test(arguments: ["-100000000", "-1", "7", "99999999999", "9223372036854775807", "-9223372036854775808", "1e300"])
    func aSnapshotPointingOutsideTheJournalIsRebuiltWithAWarning(offset: String) throws {
        let store = try store()
        try writeHistory(store)
        let expected = try store.rebuildState()
        try setSnapshotOffset(store, offset)
        let state = try store.loadState()
        #expect(state == expected)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains(store.snapshotPath) == true)
        #expect(warnings.first?.contains("rebuilt the state from \(store.journalDescription)") == true)
    }

    @Test func aSnapshotThatIsNotJSONIsRebuiltWithAWarning() throws {
        let store = try store()
        try writeHistory(store)
        try "{\"journalOffset\": [[[".write(toFile: store.snapshotPath, atomically: false, encoding: .utf8)
        #expect(try store.loadState() == (try store.rebuildState()))
        #expect(warnings == ["\(store.snapshotPath) is unreadable (not JSON); rebuilt the state from \(store.journalDescription)"])
    }

    // MARK: - Bad lines

    @Test(arguments: [
        ("deeply nested", String(repeating: "[", count: 200_000), "nested more than 32 levels deep"),
        ("unknown type", #"{"ts":"2026-11-25T01:00:00.000Z","type":"incident.exploded","incident":"r-1"}"#, "unknown record type \"incident.exploded\""),
        ("not JSON", "not json at all \u{1B}[2J", "not JSON"),
        ("missing field", #"{"ts":"2026-11-25T01:00:00.000Z","type":"step.finished"}"#, "is missing"),
    ])
    func anUnreadableLineInTheMiddleIsQuarantinedAndTheRestReplayed(name: String, line: String, reason: String) throws {
        let store = try store()
        try writeHistory(store, snapshotAfter: 0)
        var lines = try journalLines(store)
        let clean = try store.rebuildState()
        lines.insert(Data(line.utf8), at: 4)
        try writeJournal(store, lines)

        var state = try store.loadState()
        state.journalPosition = clean.journalPosition
        #expect(state == clean, "the other lines all count")
        let warning = try #require(warnings.first)
        #expect(warnings.count == 1)
        #expect(warning.hasPrefix("\(try journalPath(store)):5: unreadable journal line ("))
        #expect(warning.contains(reason), "\(warning)")
        #expect(warning.contains("copied to \(store.quarantinePath)"))
        let quarantined = try Data(contentsOf: URL(fileURLWithPath: store.quarantinePath))
        #expect(quarantined == Data("journal/2026-11.jsonl:5\t\(line)\n".utf8))

        // Reading again warns again but copies the line once.
        _ = try store.rebuildState()
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.quarantinePath)) == quarantined)
        #expect(permissions(store.quarantinePath) == 0o600)
    }

    @Test func aTornLastLineIsStillCutOff() throws {
        let store = try store()
        try writeHistory(store)
        let path = try journalPath(store)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try (whole + Data(#"{"ts":"2026-11-25T01:00:00.000Z","type":"incid"#.utf8)).write(to: URL(fileURLWithPath: path))
        try store.repairTornTail()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == whole)
        #expect(try store.loadState().journalOffset == whole.count)
        #expect(warnings.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: store.quarantinePath))
    }

    @Test(arguments: [String(repeating: "[", count: 200_000), String(repeating: "{\"a\":", count: 100_000), String(repeating: "[{\"b\":", count: 60_000) + "1"])
    func deepNestingIsRefusedWithoutRecursing(line: String) {
        #expect(throws: JournalError.self) { try JournalCoding.decode(Data(line.utf8)) }
    }

    // MARK: - Private files

    func permissions(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o777
    }

    @Test func everyStateFileIsPrivate() throws {
        let store = try store()
        try writeHistory(store)
        let lock = try #require(try store.tryLock())
        defer { lock.release() }
        #expect(permissions(store.directory) == 0o700)
        #expect(permissions(store.segmentFolder) == 0o700)
        for path in [try journalPath(store), store.snapshotPath, store.lockPath] {
            #expect(permissions(path) == 0o600, "\(path)")
        }
    }

    @Test func aSnapshotLeftReadableByAnOlderVersionBecomesPrivate() throws {
        let store = try store()
        try writeHistory(store)
        chmod(store.snapshotPath, 0o644)
        chmod(store.lockPath, 0o644)
        try store.saveSnapshot(try store.loadState())
        #expect(permissions(store.snapshotPath) == 0o600)
        let lock = try #require(try store.tryLock())
        lock.release()
        #expect(permissions(store.lockPath) == 0o600)
    }

    @Test(arguments: ["lock", "journal", "journal/2026-11.jsonl", "journal.jsonl"])
    func aSymbolicLinkInTheStateFolderIsNeverFollowed(name: String) throws {
        let store = try store()
        let victim = folder + "/victim.txt"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        if name.hasPrefix("journal/") { try FileManager.default.createDirectory(atPath: store.segmentFolder, withIntermediateDirectories: true) }
        #expect(symlink(victim, store.directory + "/" + name) == 0)
        let error = #expect(throws: JournalError.self) {
            if name == "lock" {
                _ = try store.tryLock()
            } else if name == "journal.jsonl" {
                _ = try store.loadState()
            } else {
                try store.append(JournalDecodingTests.records[0])
            }
        }
        #expect(
            error?.message
                == "\(store.directory)/\(name) is a symbolic link; detour never follows links in the state folder; remove the link and run the command again")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
    }

    // MARK: - Fuzz

    /// Mutated journals and snapshots (byte flips, truncations, lost and repeated lines, deep
    /// nesting, impossible offsets): loading never crashes and never refuses.
    ///
    /// The seed is printed; `DETOUR_TEST_SEED=<seed> swift test --filter StateStoreTests` replays a run.
    @Test func loadingDamagedStateNeverCrashes() throws {
        let seed = SplitMix64.seedFromEnvironment()
        print("StateStoreTests.loadingDamagedStateNeverCrashes: DETOUR_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let template = try store(folder + "/template")
        try writeHistory(template)
        let written = try Data(contentsOf: URL(fileURLWithPath: journalPath(template)))
        // The schema line stays as written: a changed version is a journal from another release, refused on purpose.
        let header = written.prefix(through: try #require(written.firstIndex(of: UInt8(ascii: "\n"))))
        let journal = written.dropFirst(header.count)
        let snapshot = try Data(contentsOf: URL(fileURLWithPath: template.snapshotPath))

        for index in 0..<Self.fuzzCases {
            var mutatedJournal = Data(journal)
            var mutatedSnapshot = snapshot
            var applied: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                applied.append(Self.mutate(&mutatedJournal, &mutatedSnapshot, using: &random))
            }
            let directory = folder + "/case-\(index)"
            let store = try store(directory)
            let path = directory + "/journal/2026-11.jsonl"
            try FileManager.default.createDirectory(atPath: directory + "/journal", withIntermediateDirectories: true)
            try (header + mutatedJournal).write(to: URL(fileURLWithPath: path))
            try mutatedSnapshot.write(to: URL(fileURLWithPath: store.snapshotPath))
            let label = "seed \(seed), case \(index): \(applied.joined(separator: ", "))"
            do {
                try store.repairTornTail()
                let state = try store.loadState()
                let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
                #expect(state.journalOffset == size, "\(label)")
                try store.saveSnapshot(state)
                // Compared as written: the snapshot keeps times to the millisecond.
                let again = try JSONEncoder.detour.encode(try store.loadState())
                #expect(again == (try JSONEncoder.detour.encode(state)), "a saved repair loads back as it was; \(label)")
            } catch {
                Issue.record("loading failed: \(error.message); \(label)")
            }
            try FileManager.default.removeItem(atPath: directory)
        }
    }

    /// How many damaged states the fuzz test tries per run.
    static let fuzzCases = 400

    static func mutate(_ journal: inout Data, _ snapshot: inout Data, using random: inout SplitMix64) -> String {
        func lines(_ data: Data) -> [Data] { data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) } }
        func joined(_ lines: [Data]) -> Data { Data(lines.joined(separator: Data("\n".utf8))) }
        func flip(_ data: inout Data) {
            guard !data.isEmpty else { return }
            data[Int.random(in: 0..<data.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
        }
        switch Int.random(in: 0..<12, using: &random) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &random) { flip(&journal) }
            return "journal bytes flipped"
        case 1:
            journal = journal.prefix(Int.random(in: 0...journal.count, using: &random))
            return "journal truncated"
        case 2:
            var all = lines(journal)
            if all.count > 1 { all.remove(at: Int.random(in: 0..<(all.count - 1), using: &random)) }
            journal = joined(all)
            return "journal line deleted"
        case 3:
            var all = lines(journal)
            let at = Int.random(in: 0..<all.count, using: &random)
            all.insert(all[at], at: at)
            journal = joined(all)
            return "journal line duplicated"
        case 4:
            var all = lines(journal)
            let nesting = [String(repeating: "[", count: 200_000), String(repeating: "{\"a\":", count: 50_000), "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"]
            all.insert(Data(nesting[Int.random(in: 0..<nesting.count, using: &random)].utf8), at: Int.random(in: 0..<all.count, using: &random))
            journal = joined(all)
            return "deeply nested line"
        case 5:
            var all = lines(journal)
            let garbage = (0..<Int.random(in: 1...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }.filter { $0 != 0x0A }
            all.insert(Data(garbage), at: Int.random(in: 0..<all.count, using: &random))
            journal = joined(all)
            return "random bytes line"
        case 6:
            var all = lines(journal)
            all.insert(
                Data(#"{"ts":"2026-11-25T01:00:00.000Z","type":"incident.teleported","incident":"r-1"}"#.utf8),
                at: Int.random(in: 0..<all.count, using: &random))
            journal = joined(all)
            return "unknown record type"
        case 7:
            let offsets = [
                "-100000000", "-1", "\(Int.random(in: 0...journal.count + 10, using: &random))", "99999999999999", "1e300", "-0", "9223372036854775807",
            ]
            let offset = offsets[Int.random(in: 0..<offsets.count, using: &random)]
            let text = String(decoding: snapshot, as: UTF8.self).replacing(#/"journalOffset":-?[0-9.e+]+/#, with: "\"journalOffset\":\(offset)")
            snapshot = Data(text.utf8)
            return "snapshot offset \(offset)"
        case 8:
            for _ in 0..<Int.random(in: 1...8, using: &random) { flip(&snapshot) }
            return "snapshot bytes flipped"
        case 9:
            snapshot = snapshot.prefix(Int.random(in: 0...snapshot.count, using: &random))
            return "snapshot truncated"
        case 10:
            let forms = ["", "null", "[]", String(repeating: "[", count: 100_000), "{\"journalOffset\":-5}", "\u{FEFF}{}"]
            snapshot = Data(forms[Int.random(in: 0..<forms.count, using: &random)].utf8)
            return "snapshot replaced"
        default:
            var all = lines(journal)
            let at = Int.random(in: 0..<all.count, using: &random)
            all[at] = all[at].prefix(Int.random(in: 0...all[at].count, using: &random))
            journal = joined(all)
            return "journal line cut"
        }
    }
}
