import Foundation

/// The journal's record types, declared once: each type's name, its fields and the schema
/// version it appeared in. The encoder, the decoder and the tests all read this table.
public enum JournalRecordType: String, Sendable, CaseIterable {
    case channelHealth = "channel.health"
    case incidentOpened = "incident.opened"
    case stepStarted = "step.started"
    case stepFinished = "step.finished"
    case incidentMitigated = "incident.mitigated"
    case incidentRecovering = "incident.recovering"
    case incidentResolved = "incident.resolved"
    case channelHeld = "channel.held"
    case channelReleased = "channel.released"
    case incidentApproved = "incident.approved"
    case monitorOffline = "monitor.offline"
    case monitorOnline = "monitor.online"
    case incidentRelapsed = "incident.relapsed"
    case stepRetried = "step.retried"
    case workspaceInvalid = "workspace.invalid"
    case workspaceValid = "workspace.valid"
    case incidentPaged = "incident.paged"
    case incidentAcknowledged = "incident.acknowledged"
    case channelCheckin = "channel.checkin"

    /// The `type` field of the line.
    public var name: String { rawValue }

    /// The fields after `ts` and `type`, in the order `encode` writes them (sorted).
    public var fields: [String] {
        switch self {
        case .channelHealth: ["change", "channel", "evidence", "health", "probes"]
        case .incidentOpened:
            [
                "by", "channel", "firstFailureAt", "follows", "incident", "lastSuccessAt", "playbook", "quiet", "reason", "revenuePerHour", "saleMultiplier",
                "sales", "trigger",
            ]
        case .stepStarted: ["attempt", "idempotencyKey", "incident", "phase", "request", "step"]
        case .stepFinished:
            ["attempt", "durationMs", "error", "heldFrom", "holds", "incident", "note", "notice", "outcome", "outputs", "phase", "retryAt", "status", "step"]
        case .incidentMitigated, .incidentResolved, .incidentRelapsed: ["incident"]
        case .incidentRecovering: ["by", "forced", "incident", "reason", "recoveredAt", "trigger"]
        case .channelHeld: ["by", "channel", "reason", "until"]
        case .channelReleased: ["by", "channel"]
        case .incidentApproved: ["automatic", "by", "incident"]
        case .monitorOffline, .monitorOnline: ["canaries", "channels", "evidence"]
        case .stepRetried: ["by", "incident", "step"]
        case .workspaceInvalid: ["errors", "files", "fingerprint", "lastGoodAt"]
        case .workspaceValid: ["fixed"]
        case .incidentPaged: ["incident", "level", "name", "person", "step", "target", "via"]
        case .incidentAcknowledged: ["by", "incident"]
        case .channelCheckin: ["channel", "via"]
        }
    }

    /// The schema version the type first appeared in.
    public var since: Int { 1 }

    /// The type named by a line's `type` field.
    public init?(name: String) { self.init(rawValue: name) }

    /// Decodes a line of this type.
    func event(_ line: Data, _ decoder: JSONDecoder) throws -> JournalEvent {
        switch self {
        case .channelHealth: .channelHealth(try decoder.decode(ChannelHealthChanged.self, from: line))
        case .incidentOpened: .incidentOpened(try decoder.decode(IncidentOpened.self, from: line))
        case .stepStarted: .stepStarted(try decoder.decode(StepStarted.self, from: line))
        case .stepFinished: .stepFinished(try decoder.decode(StepFinished.self, from: line))
        case .incidentMitigated: .incidentMitigated(try decoder.decode(IncidentReference.self, from: line))
        case .incidentRecovering: .incidentRecovering(try decoder.decode(IncidentRecovering.self, from: line))
        case .incidentResolved: .incidentResolved(try decoder.decode(IncidentReference.self, from: line))
        case .channelHeld: .channelHeld(try decoder.decode(ChannelHeld.self, from: line))
        case .channelReleased: .channelReleased(try decoder.decode(ChannelReleased.self, from: line))
        case .incidentApproved: .incidentApproved(try decoder.decode(IncidentApproved.self, from: line))
        case .monitorOffline: .monitorOffline(try decoder.decode(MonitorStatus.self, from: line))
        case .monitorOnline: .monitorOnline(try decoder.decode(MonitorStatus.self, from: line))
        case .incidentRelapsed: .incidentRelapsed(try decoder.decode(IncidentReference.self, from: line))
        case .stepRetried: .stepRetried(try decoder.decode(StepRetried.self, from: line))
        case .workspaceInvalid: .workspaceInvalid(try decoder.decode(WorkspaceInvalid.self, from: line))
        case .workspaceValid: .workspaceValid(try decoder.decode(WorkspaceValid.self, from: line))
        case .incidentPaged: .incidentPaged(try decoder.decode(IncidentPaged.self, from: line))
        case .incidentAcknowledged: .incidentAcknowledged(try decoder.decode(IncidentAcknowledged.self, from: line))
        case .channelCheckin: .channelCheckin(try decoder.decode(ChannelCheckin.self, from: line))
        }
    }
}

extension JournalEvent {
    /// The record type.
    public var recordType: JournalRecordType {
        switch self {
        case .channelHealth: .channelHealth
        case .incidentOpened: .incidentOpened
        case .stepStarted: .stepStarted
        case .stepFinished: .stepFinished
        case .incidentMitigated: .incidentMitigated
        case .incidentRecovering: .incidentRecovering
        case .incidentResolved: .incidentResolved
        case .channelHeld: .channelHeld
        case .channelReleased: .channelReleased
        case .incidentApproved: .incidentApproved
        case .monitorOffline: .monitorOffline
        case .monitorOnline: .monitorOnline
        case .incidentRelapsed: .incidentRelapsed
        case .stepRetried: .stepRetried
        case .workspaceInvalid: .workspaceInvalid
        case .workspaceValid: .workspaceValid
        case .incidentPaged: .incidentPaged
        case .incidentAcknowledged: .incidentAcknowledged
        case .channelCheckin: .channelCheckin
        }
    }

    /// The `type` field of the line.
    public var type: String { recordType.name }

    /// The record's fields, for the encoder.
    var payload: any Encodable {
        switch self {
        case .channelHealth(let value): value
        case .incidentOpened(let value): value
        case .stepStarted(let value): value
        case .stepFinished(let value): value
        case .incidentMitigated(let value), .incidentResolved(let value), .incidentRelapsed(let value): value
        case .incidentRecovering(let value): value
        case .channelHeld(let value): value
        case .channelReleased(let value): value
        case .incidentApproved(let value): value
        case .monitorOffline(let value), .monitorOnline(let value): value
        case .stepRetried(let value): value
        case .workspaceInvalid(let value): value
        case .workspaceValid(let value): value
        case .incidentPaged(let value): value
        case .incidentAcknowledged(let value): value
        case .channelCheckin(let value): value
        }
    }
}

/// The journal's schema version, written as the first line of every segment.
///
/// Version 1 is the single `journal.jsonl` of earlier releases (no schema line); version 2 keeps
/// the journal in monthly segments, each starting with `{"type":"journal.schema","version":2}`.
public enum JournalSchema {
    /// The version this release writes, and the newest it reads.
    public static let version = 2
    /// The `type` of the schema line.
    public static let lineType = "journal.schema"

    /// The schema line, without the newline.
    static var line: String { "{\"type\":\"\(lineType)\",\"version\":\(version)}" }

    private struct Line: Decodable {
        var type: String
        var version: Int
    }

    /// The version a line declares, or nil when it is not a well-formed schema line (a damaged one is quarantined like any bad line).
    static func version(of line: UnsafeRawBufferPointer) -> Int? {
        let prefix = "{\"type\":\"\(lineType)\""
        guard line.count >= prefix.utf8.count, line.starts(with: prefix.utf8) else { return nil }
        return (try? JSONDecoder().decode(Line.self, from: Data(line)))?.version
    }
}

/// Journal times: ISO 8601 in UTC with milliseconds (`2026-11-25T01:02:03.456Z`), configured once.
public enum JournalDates {
    /// The one format.
    public static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The text for a time, to the millisecond below it; reading the text back and writing it again gives the same text.
    public static func text(_ date: Date) -> String {
        let time = date.timeIntervalSince1970
        // Years 1970–2242 keep a millisecond exact to well under a microsecond; others go through the formatter.
        guard time >= 0, time < 8_589_934_592 else { return date.formatted(style) }
        var seconds = Int(time.rounded(.down))
        // A time read from `…456Z` may sit a hair below it: a microsecond of slack keeps it at 456.
        var millis = Int(((time - Double(seconds)) * 1_000 + 0.001).rounded(.down))
        if millis >= 1_000 {
            seconds += 1
            millis -= 1_000
        }
        // The civil date of a day count (Howard Hinnant's civil_from_days).
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at index: Int, digits: Int) {
            var value = value
            for offset in stride(from: digits - 1, through: 0, by: -1) {
                bytes[index + offset] = UInt8(0x30 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(month, at: 5, digits: 2)
        put(day, at: 8, digits: 2)
        put(secondOfDay / 3_600, at: 11, digits: 2)
        put(secondOfDay / 60 % 60, at: 14, digits: 2)
        put(secondOfDay % 60, at: 17, digits: 2)
        put(millis, at: 20, digits: 3)
        for (index, byte) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)] {
            bytes[index] = UInt8(ascii: byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The time in a text: the journal's own form read without a formatter (snapshots hold hundreds), any other ISO 8601 form through `style`.
    public static func date(_ text: String) throws -> Date {
        var text = text
        // Outside the years `text` writes itself, the formatter writes and so reads, so a time read back is written the same.
        if let date = text.withUTF8(date(utf8:)), date.timeIntervalSince1970 >= 0, date.timeIntervalSince1970 < 8_589_934_592 { return date }
        return try style.parse(text)
    }

    /// Parses exactly the form `text` writes (`2026-11-25T04:41:00.001Z`) without a formatter; nil for any other form.
    static func date(utf8: UnsafeBufferPointer<UInt8>) -> Date? {
        guard utf8.count == 24, utf8[4] == 0x2D, utf8[7] == 0x2D, utf8[10] == 0x54, utf8[13] == 0x3A, utf8[16] == 0x3A, utf8[19] == 0x2E, utf8[23] == 0x5A
        else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            var number = 0
            for index in from..<(from + count) {
                let digit = Int(utf8[index]) - 0x30
                guard digit >= 0, digit <= 9 else { return nil }
                number = number * 10 + digit
            }
            return number
        }
        guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2), let minute = digits(14, 2),
            let second = digits(17, 2), let millis = digits(20, 3)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + Double(millis) / 1_000)
    }

    /// A strict JSON reader over bytes: objects, strings, numbers, booleans and null.
    ///
    /// It keeps open arrays and objects on its own stack rather than recursing, so a line of a
    /// million `[` costs a failed parse, never the thread's stack.
}

extension JSONEncoder {
    /// Detour's encoder for the journal, the snapshot and lock files: sorted keys, `JournalDates`.
    static var detour: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JournalDates.text(date))
        }
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.detour` writes.
    static var detour: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try JournalDates.date(decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }
}
