import Foundation
import Testing

@testable import DetourCore

/// Journal lines read back exactly as they were written, by the table of record types.
struct JournalDecodingTests {
    static let time = Date(timeIntervalSince1970: 1_795_000_000.123)

    static let records: [JournalRecord] = {
        var health = ChannelHealth()
        health.state = .down
        health.consecutiveFailures = 4
        health.lastSuccessAt = time.addingTimeInterval(-60)
        health.firstFailureAt = time.addingTimeInterval(-30)
        health.downAt = time
        health.lastProbeAt = time
        health.nextDueAt = time.addingTimeInterval(60)
        health.lastFailure = "カート: \"503\"\\ \n\t\u{1}"
        return [
            JournalRecord(
                ts: time, event: .channelHealth(ChannelHealthChanged(channel: "rakuten", health: health, change: .wentDown, evidence: "item page: 503 😱"))),
            JournalRecord(ts: time, event: .channelHealth(ChannelHealthChanged(channel: "own-site", health: ChannelHealth(), change: nil, evidence: nil))),
            JournalRecord(
                ts: time,
                event: .incidentOpened(
                    IncidentOpened(incident: "r-1", channel: "rakuten", trigger: .manual, by: "佐藤", reason: "決済エラー多発", firstFailureAt: nil, lastSuccessAt: nil))
            ),
            JournalRecord(
                ts: time,
                event: .stepStarted(
                    StepStarted(
                        incident: "r-1", step: "p/line", phase: .failover, attempt: 2, idempotencyKey: "r-1/p/line", request: "POST https://api.line.me/v2/bot")
                )),
            JournalRecord(
                ts: time,
                event: .stepFinished(
                    StepFinished(incident: "r-1", step: "p/line", phase: .undo, attempt: 2, outcome: .retryable, status: 503, error: "busy", durationMs: 1234))),
            JournalRecord(
                ts: time,
                event: .stepFinished(
                    StepFinished(incident: "r-1", step: "p/x", phase: .recovery, attempt: 1, outcome: .succeeded, status: nil, error: nil, durationMs: 0))),
            JournalRecord(ts: time, event: .incidentMitigated(IncidentReference(incident: "r-1"))),
            JournalRecord(
                ts: time, event: .incidentRecovering(IncidentRecovering(incident: "r-1", trigger: .manual, recoveredAt: time, by: "sato", reason: "戻りました"))),
            JournalRecord(ts: time, event: .incidentResolved(IncidentReference(incident: "r-1"))),
        ]
    }()

    /// Every record type with every optional field set: reading must give back exactly what was written.
    static let fullRecords: [JournalRecord] = {
        // A time whose milliseconds are exact in binary, so it survives the journal's millisecond precision.
        let time = Date(timeIntervalSince1970: 1_795_000_000.125)
        let evidence = ProbeEvidence(
            probe: "cart", status: 503, latencyMs: 12,
            failure: ProbeFailure(kind: .http, detail: "status 503", expected: "2xx", actual: "503"), slow: nil)
        var changed = ChannelHealthChanged(channel: "rakuten", health: ChannelHealth(), change: .suspected, evidence: "cart: 503")
        changed.probes = [evidence]
        var finished = StepFinished(incident: "r-1", step: "p/mc", phase: .failover, attempt: 1, outcome: .progressed, status: 200, error: nil, durationMs: 5)
        finished.outputs = ["campaign": "c-42"]
        finished.retryAt = time.addingTimeInterval(30)
        finished.note = "created; sending next"
        return [
            JournalRecord(ts: time, event: .channelHealth(changed)),
            JournalRecord(
                ts: time,
                event: .incidentOpened(
                    IncidentOpened(
                        incident: "daily-rakuten-1", channel: "rakuten", trigger: .schedule, by: nil, reason: "scheduled", firstFailureAt: nil,
                        lastSuccessAt: nil, playbook: "daily"))),
            JournalRecord(ts: time, event: .stepFinished(finished)),
            JournalRecord(ts: time, event: .channelHeld(ChannelHeld(channel: "rakuten", until: time, by: "sato", reason: "RMS"))),
            JournalRecord(ts: time, event: .channelReleased(ChannelReleased(channel: "rakuten", by: "sato"))),
            JournalRecord(ts: time, event: .incidentApproved(IncidentApproved(incident: "r-1", by: "sato", automatic: false))),
            JournalRecord(ts: time, event: .monitorOffline(MonitorStatus(channels: ["a", "b"], canaries: 1, evidence: "503"))),
            JournalRecord(
                ts: time,
                event: .incidentOpened(
                    IncidentOpened(
                        incident: "r-2", channel: "rakuten", trigger: .probe, by: nil, reason: "503", firstFailureAt: time, lastSuccessAt: time,
                        playbook: nil, revenuePerHour: 80_000, saleMultiplier: 2.5))),
            JournalRecord(
                ts: time,
                event: .workspaceInvalid(
                    WorkspaceInvalid(errors: 2, files: ["playbooks/promo.json5", "channels/楽天.json5"], fingerprint: "0123456789abcdef", lastGoodAt: time))),
            JournalRecord(ts: time, event: .workspaceInvalid(WorkspaceInvalid(errors: 1, files: [], fingerprint: "f", lastGoodAt: nil))),
            JournalRecord(ts: time, event: .workspaceValid(WorkspaceValid(fixed: "0123456789abcdef"))),
            JournalRecord(ts: time, event: .channelCheckin(ChannelCheckin(channel: "inventory-sync", via: "http"))),
        ]
    }()

    @Test(arguments: fullRecords.indices)
    func noFieldIsDroppedWhenReadingTheJournal(index: Int) throws {
        let record = Self.fullRecords[index]
        let line = Data(try JournalCoding.encode(record).utf8)
        #expect(try JournalCoding.decode(line) == record, "\(String(decoding: line, as: UTF8.self))")
    }

    /// The state folds the workspace records: invalid until the next valid.
    @Test func theStateKnowsWhetherTheWorkspaceIsValid() {
        var state = DetourState()
        state.apply(Self.fullRecords[8])
        #expect(state.workspaceInvalid?.fingerprint == "0123456789abcdef")
        state.apply(Self.fullRecords[10])
        #expect(state.workspaceInvalid == nil)
        state.apply(Self.fullRecords[7])
        #expect(state.incident("r-2")?.revenuePerHour == 80_000)
        #expect(state.incident("r-2")?.saleMultiplier == 2.5)
        state.apply(Self.fullRecords[11])
        #expect(state.checkins["inventory-sync"] == Self.fullRecords[11].ts)
    }

    @Test(arguments: records.indices)
    func everyRecordReadsBackAsWritten(index: Int) throws {
        let line = Data(try JournalCoding.encode(Self.records[index]).utf8)
        #expect(try JournalCoding.encode(JournalCoding.decode(line)) == String(decoding: line, as: UTF8.self))
    }

    @Test(arguments: [
        // Valid JSON the encoder never writes (keys reordered, an offset, spaces, escapes).
        #"{"type":"incident.resolved","ts":"2026-11-25T10:00:00.000+09:00","incident":"r-1"}"#,
        #"{ "ts" : "2026-11-25T01:00:00.000Z" , "type" : "incident.mitigated" , "incident" : "r\u002d1" }"#,
    ])
    func otherValidFormsOfALineStillDecode(line: String) throws {
        let record = try JournalCoding.decode(Data(line.utf8))
        #expect(record.ts == (try Date("2026-11-25T01:00:00Z", strategy: .iso8601)))
        #expect(record.event.type.hasPrefix("incident."))
    }

    @Test(arguments: [
        #"{"ts":"2026-11-25T01:00:00.000Z","type":"incident.exploded","incident":"r-1"}"#, #"{"ts":"yesterday","type":"incident.resolved","incident":"r-1"}"#,
        "[1,2]", #"{"ts":"2026-11-25T01:00:00.000Z","type":"step.finished"}"#,
    ])
    func badLinesAreRejected(line: String) {
        #expect(throws: (any Error).self) { try JournalCoding.decode(Data(line.utf8)) }
    }

    /// The table of record types names exactly the fields of each record's type, so the encoder,
    /// the decoder and this table never drift apart.
    @Test func theTableOfRecordTypesMatchesTheirFields() throws {
        let samples = Self.records + Self.fullRecords + JournalSegmentTests.outage("t", opened: Self.time, resolved: Self.time)
        for record in samples {
            let fields = Mirror(reflecting: record.event.payload).children.compactMap(\.label).sorted()
            #expect(fields == record.event.recordType.fields, "\(record.event.type)")
            let line = try JournalCoding.encode(record)
            let keys = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).keys
            #expect(Set(keys).isSubset(of: ["ts", "type"] + record.event.recordType.fields), "\(line)")
            #expect(JournalRecordType(name: record.event.type) == record.event.recordType)
        }
    }

    /// A health change is journaled by its name; `restored` is one of them.
    @Test(arguments: [HealthChange.wentDown, .recovered, .restored, .maintenanceStarted])
    func healthChangesAreTyped(change: HealthChange) throws {
        // Milliseconds exact in binary, so the time survives the journal's precision.
        let time = Date(timeIntervalSince1970: 1_795_000_000.125)
        let record = JournalRecord(ts: time, event: .channelHealth(ChannelHealthChanged(channel: "c", health: ChannelHealth(), change: change)))
        let line = try JournalCoding.encode(record)
        #expect(line.contains("\"change\":\"\(change.rawValue)\""))
        #expect(try JournalCoding.decode(Data(line.utf8)) == record)
    }

    /// Times are written to the millisecond and read back to the same text, however they were made.
    @Test func timesReadBackAndWrittenAgainKeepTheirText() throws {
        var changed: [String] = []
        for step in 0..<20_000 {
            let text = JournalDates.text(Date(timeIntervalSince1970: 1_600_000_000 + Double(step) * 12_345.678_901_3))
            if JournalDates.text(try JournalDates.date(text)) != text { changed.append(text) }
        }
        #expect(changed.isEmpty, "\(changed.prefix(5))")
        for text in ["1970-01-01T00:00:00.000Z", "2026-11-18T11:06:40.125Z", "2028-02-29T23:59:59.999Z", "2026-12-31T15:00:00.001Z"] {
            let date = try JournalDates.date(text)
            #expect(JournalDates.text(date) == text)
            #expect(abs(date.timeIntervalSince(try JournalDates.style.parse(text))) < 0.000_001, "the time the ISO 8601 parser reads")
        }
        #expect(JournalDates.text(Date(timeIntervalSince1970: 1_795_000_000.123_9)) == "2026-11-18T11:06:40.123Z", "to the millisecond below")
    }
}
