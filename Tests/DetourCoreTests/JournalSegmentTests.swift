import Foundation
import Testing

@testable import DetourCore

/// The journal in monthly segments: passes read only what is new, a rebuild reads everything,
/// a report reads only the months it covers, and state folders of earlier releases still work.
@Suite(.serialized)
final class JournalSegmentTests {
    let folder = NSTemporaryDirectory() + "detour-segments-\(UUID().uuidString)"
    var warnings: [String] = []

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func store(_ name: String = "state") throws -> StateStore {
        try StateStore(directory: folder + "/" + name) { [unowned self] in self.warnings.append($0) }
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar
    }()

    static func day(_ month: Int, _ day: Int, hour: Int = 0) -> Date {
        utc.date(from: DateComponents(year: 2026, month: month, day: day, hour: hour))!
    }

    /// An outage of `channel` from `opened` to `resolved`, with a step and a health line.
    static func outage(_ id: String, channel: String = "rakuten", opened: Date, resolved: Date) -> [JournalRecord] {
        var health = ChannelHealth()
        health.state = .down
        health.firstFailureAt = opened
        return [
            JournalRecord(ts: opened, event: .channelHealth(ChannelHealthChanged(channel: channel, health: health, change: .wentDown, evidence: "503"))),
            JournalRecord(
                ts: opened,
                event: .incidentOpened(
                    IncidentOpened(incident: id, channel: channel, trigger: .probe, by: nil, reason: "503", firstFailureAt: opened, lastSuccessAt: nil))),
            JournalRecord(
                ts: opened,
                event: .stepStarted(
                    StepStarted(incident: id, step: "p/promo", phase: .failover, attempt: 1, idempotencyKey: id + "/p/promo", request: "POST /"))
            ),
            JournalRecord(
                ts: opened,
                event: .stepFinished(
                    StepFinished(incident: id, step: "p/promo", phase: .failover, attempt: 1, outcome: .succeeded, status: 200, error: nil, durationMs: 5))),
            JournalRecord(ts: opened, event: .incidentMitigated(IncidentReference(incident: id))),
            JournalRecord(
                ts: resolved, event: .incidentRecovering(IncidentRecovering(incident: id, trigger: .probe, recoveredAt: resolved, by: nil, reason: nil))),
            JournalRecord(ts: resolved, event: .incidentResolved(IncidentReference(incident: id))),
        ]
    }

    // MARK: - Segments

    @Test func recordsGoToTheSegmentOfTheirMonthAndNeverBackToAnEarlierOne() throws {
        let store = try store()
        try store.append(Self.outage("a", opened: Self.day(10, 5), resolved: Self.day(10, 5, hour: 2))[0])
        try store.append(Self.outage("b", opened: Self.day(11, 2), resolved: Self.day(11, 2, hour: 2))[0])
        // A clock set back writes to the latest segment, so the journal stays in order.
        try store.append(Self.outage("c", opened: Self.day(10, 30), resolved: Self.day(10, 30, hour: 2))[0])
        #expect(try store.segments() == ["journal/2026-10.jsonl", "journal/2026-11.jsonl"])
        let november = try String(contentsOfFile: store.path(of: "journal/2026-11.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(november.first == #"{"type":"journal.schema","version":2}"#, "every segment starts with the schema it was written in")
        #expect(november.count == 3)
        #expect(try store.records().records.count == 3)
    }

    /// A daemon and an operator's command share the folder: once one has started a newer segment,
    /// the other, reading before it writes as every pass does, never goes back to the older one.
    @Test func aSegmentAnotherProcessStartedIsNeverWrittenBehind() throws {
        let daemon = try store()
        let command = try store()
        try daemon.append(Self.outage("a", opened: Self.day(11, 30, hour: 23), resolved: Self.day(11, 30, hour: 23))[0])
        try command.append(Self.outage("b", opened: Self.day(12, 1), resolved: Self.day(12, 1))[0])
        _ = try daemon.records(from: try daemon.loadState().journalPosition)
        let position = try daemon.append(Self.outage("c", opened: Self.day(11, 30, hour: 23), resolved: Self.day(11, 30, hour: 23))[1])
        #expect(position.segment == "journal/2026-12.jsonl")
        #expect(try daemon.rebuildState().incidents.map(\.id) == ["c"])
        #expect(try daemon.records().records.count == 3)
    }

    /// Folding pass by pass (snapshot, then what is new) gives the same state as replaying every segment.
    @Test func foldingTheJournalEqualsARebuild() throws {
        let store = try store()
        // A journal of an earlier release comes first.
        let legacy = Self.outage("old", opened: Self.day(8, 1), resolved: Self.day(8, 1, hour: 3))
        try (legacy.map { try JournalCoding.encode($0) }.joined(separator: "\n") + "\n").write(
            toFile: store.legacyJournalPath, atomically: true, encoding: .utf8)
        var passes: [[JournalRecord]] = []
        for (index, month) in [9, 9, 10, 11, 11, 12].enumerated() {
            passes.append(
                Self.outage(
                    "r-\(index)", channel: index.isMultiple(of: 2) ? "rakuten" : "yahoo", opened: Self.day(month, 3 + index),
                    resolved: Self.day(month, 3 + index, hour: 1)))
        }
        // An incident that opens in one month and resolves in the next.
        passes.append(Self.outage("long", opened: Self.day(12, 31, hour: 22), resolved: Self.day(12, 31, hour: 22).addingTimeInterval(86_400)))
        passes.append(JournalDecodingTests.fullRecords.map { JournalRecord(ts: Self.day(12, 31).addingTimeInterval(86_400 * 5), event: $0.event) })

        var inMemory = DetourState()
        for record in legacy { inMemory.apply(record) }
        for pass in passes {
            var state = try store.loadState()
            for record in pass {
                state.journalPosition = try store.append(record)
                state.apply(record)
                inMemory.apply(record)
            }
            try store.saveSnapshot(state)
        }
        let folded = try store.loadState()
        let rebuilt = try store.rebuildState()
        #expect(folded == rebuilt)
        #expect(rebuilt.journalPosition == JournalPosition(segment: "journal/2027-01.jsonl", offset: try size(store.path(of: "journal/2027-01.jsonl"))))
        inMemory.journalPosition = rebuilt.journalPosition
        #expect(rebuilt == inMemory)
        #expect(rebuilt.incidents.map(\.id) == ["old"] + (0..<6).map { "r-\($0)" } + ["long", "daily-rakuten-1", "r-2"])
        #expect(warnings.isEmpty, "\(warnings)")
    }

    func size(_ path: String) throws -> Int {
        try Data(contentsOf: URL(fileURLWithPath: path)).count
    }

    @Test func aPassReadsOnlyWhatIsNew() throws {
        let store = try store()
        for record in Self.outage("a", opened: Self.day(10, 5), resolved: Self.day(10, 5, hour: 2)) { try store.append(record) }
        try store.saveSnapshot(try store.rebuildState())
        for record in Self.outage("b", opened: Self.day(11, 5), resolved: Self.day(11, 5, hour: 2)) { try store.append(record) }
        // Damage in October, before the snapshot's place, would be quarantined with a warning if October were read again.
        let october = store.path(of: "journal/2026-10.jsonl")
        var lines = try String(contentsOfFile: october, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[1] = String(repeating: "x", count: lines[1].utf8.count)
        try lines.joined(separator: "\n").write(toFile: october, atomically: true, encoding: .utf8)
        let state = try store.loadState()
        #expect(warnings.isEmpty, "October is before the snapshot: \(warnings)")
        #expect(state.incidents.map(\.id) == ["a", "b"])
        #expect(state.journalPosition.segment == "journal/2026-11.jsonl")
    }

    @Test func aReportWithoutASnapshotReadsOnlyTheMonthsItCovers() throws {
        let store = try store()
        for record in Self.outage("september", opened: Self.day(9, 5), resolved: Self.day(9, 5, hour: 2)) { try store.append(record) }
        // Spans October and November: its opening is read although the report starts in November.
        for record in Self.outage("long", opened: Self.day(10, 31, hour: 20), resolved: Self.day(11, 1, hour: 20)) { try store.append(record) }
        for record in Self.outage("november", opened: Self.day(11, 5), resolved: Self.day(11, 5, hour: 2)) { try store.append(record) }
        let september = store.path(of: "journal/2026-09.jsonl")
        try (String(contentsOfFile: september, encoding: .utf8) + "not json\n").write(toFile: september, atomically: true, encoding: .utf8)

        let state = try store.loadState(reportingSince: Self.day(11, 1))
        #expect(state.incidents.map(\.id) == ["long", "november"])
        #expect(state.incident("long")?.openedAt == Self.day(10, 31, hour: 20))
        #expect(warnings.isEmpty, "September is not read: \(warnings)")
        let everything = try store.loadState(reportingSince: nil)
        #expect(warnings.count == 1, "a report over everything reads September")
        #expect(everything.incidents.count == 3)
        #expect(everything.incidents == (try store.rebuildState()).incidents, "health lines passed over change no incident")
    }

    @Test func aTornLineLongerThanTheTailBlockIsCutOff() throws {
        let store = try store()
        for record in Self.outage("a", opened: Self.day(11, 5), resolved: Self.day(11, 5, hour: 2)) { try store.append(record) }
        let path = store.path(of: "journal/2026-11.jsonl")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try (whole + Data(("{\"ts\":\"2026-11-25T01:00:00.000Z\",\"type\":\"step.finished\",\"note\":\"" + String(repeating: "x", count: 200_000)).utf8))
            .write(to: URL(fileURLWithPath: path))
        try store.repairTornTail()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == whole)
        #expect(try store.rebuildState().incidents.count == 1)
    }

    @Test func aSegmentFromANewerReleaseIsRefusedWithWhatToDo() throws {
        let store = try store()
        try FileManager.default.createDirectory(atPath: store.segmentFolder, withIntermediateDirectories: true)
        try "{\"type\":\"journal.schema\",\"version\":9}\n".write(toFile: store.path(of: "journal/2027-01.jsonl"), atomically: true, encoding: .utf8)
        let error = #expect(throws: JournalError.self) { try store.rebuildState() }
        #expect(
            error?.message
                == "\(store.path(of: "journal/2027-01.jsonl")) was written by a newer detour (journal schema 9); this one reads up to schema 2; upgrade detour")
    }

    // MARK: - The snapshot's history

    func historyFiles(_ store: StateStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.hasPrefix("history-") }.sorted()
    }

    func snapshotIncidents(_ store: StateStore) throws -> Int {
        let snapshot = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store.snapshotPath))) as? [String: Any]
        return (snapshot?["incidents"] as? [Any])?.count ?? -1
    }

    /// Resolved incidents go to a history file written only when they change, so a pass writes only what is current.
    @Test func resolvedIncidentsLeaveTheSnapshotForAHistoryFile() throws {
        let store = try store()
        var state = DetourState()
        func record(_ records: [JournalRecord]) throws {
            for record in records {
                state.journalPosition = try store.append(record)
                state.apply(record)
            }
        }
        try record(Self.outage("a", opened: Self.day(11, 1), resolved: Self.day(11, 1, hour: 1)))
        try record(Self.outage("b", opened: Self.day(11, 2), resolved: Self.day(11, 2, hour: 1)))
        try record(Array(Self.outage("c", opened: Self.day(11, 3), resolved: Self.day(11, 3, hour: 1)).prefix(5)))
        try store.saveSnapshot(state)
        #expect(try historyFiles(store) == ["history-00000002.json"])
        #expect(try snapshotIncidents(store) == 1, "only the open incident is in state.json")
        #expect(try store.loadState() == state)

        // A pass that changes only what is current leaves the history file as it was.
        let history = store.directory + "/history-00000002.json"
        #expect(try FileManager.default.attributesOfItem(atPath: history)[.posixPermissions] as? Int == 0o600)
        let before = try FileManager.default.attributesOfItem(atPath: history)[.systemFileNumber] as? Int
        try record([Self.outage("c", opened: Self.day(11, 3), resolved: Self.day(11, 3, hour: 1))[0]])
        try store.saveSnapshot(state)
        #expect(try FileManager.default.attributesOfItem(atPath: history)[.systemFileNumber] as? Int == before, "not rewritten")

        // A late record about a resolved incident rewrites it; resolving the open one moves it over.
        try record([
            JournalRecord(
                ts: Self.day(11, 3, hour: 2),
                event: .stepFinished(
                    StepFinished(incident: "a", step: "p/late", phase: .recovery, attempt: 1, outcome: .succeeded, status: 200, error: nil, durationMs: 1)))
        ])
        try store.saveSnapshot(state)
        #expect(try StateStore(directory: store.directory).loadState() == state)
        try record(Array(Self.outage("c", opened: Self.day(11, 3), resolved: Self.day(11, 3, hour: 1)).suffix(2)))
        try store.saveSnapshot(state)
        #expect(try historyFiles(store) == ["history-00000003.json"])
        #expect(try snapshotIncidents(store) == 0)
        #expect(try StateStore(directory: store.directory).loadState() == state)
        #expect(warnings.isEmpty, "\(warnings)")
    }

    @Test func aSnapshotWhoseHistoryFileIsGoneIsRebuilt() throws {
        let store = try store()
        for record in Self.outage("a", opened: Self.day(11, 1), resolved: Self.day(11, 1, hour: 1)) { try store.append(record) }
        try store.saveSnapshot(try store.rebuildState())
        try FileManager.default.removeItem(atPath: store.directory + "/history-00000001.json")
        #expect(try store.loadState() == (try store.rebuildState()))
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("history-00000001.json, which holds its resolved incidents, is missing") == true, "\(warnings)")
    }

    // MARK: - The index

    @Test func lookupsOverTenThousandResolvedIncidentsAnswerAsAScanWould() throws {
        var state = DetourState()
        for index in 0..<10_000 {
            for record in Self.outage(
                "r-\(index)", channel: index.isMultiple(of: 3) ? "yahoo" : "rakuten", opened: Self.day(1, 1).addingTimeInterval(Double(index) * 3_600),
                resolved: Self.day(1, 1).addingTimeInterval(Double(index) * 3_600 + 60))
            {
                state.apply(record)
            }
        }
        for record in Self.outage("open", opened: Self.day(3, 1), resolved: Self.day(3, 2)).prefix(5) { state.apply(record) }
        let decoded = try JSONDecoder.detour.decode(DetourState.self, from: JSONEncoder.detour.encode(state))
        for copy in [state, decoded] {
            #expect(copy.unresolvedIncidents.map(\.id) == copy.incidents.filter { $0.status != .resolved }.map(\.id))
            #expect(copy.openIncident(for: "rakuten")?.id == "open")
            #expect(copy.openIncident(for: "yahoo") == nil)
            #expect(copy.incident("r-4711")?.channel == "rakuten")
            #expect(copy.lastOutage(of: "yahoo")?.id == "r-9999")
            #expect(copy.hasProbeIncident(channel: "yahoo", firstFailureAt: Self.day(1, 1)))
            #expect(!copy.hasProbeIncident(channel: "rakuten", firstFailureAt: Self.day(1, 1)))
            #expect(copy.lastIncident(of: "rakuten") { $0.id.hasSuffix("00") }?.id == "r-9800")
        }
        #expect(decoded == state)
    }
}
