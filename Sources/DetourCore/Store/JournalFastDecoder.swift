import Foundation

/// Decodes journal lines in one pass over their bytes, without `JSONDecoder`.
///
/// Replaying a year of history is dominated by decoding; this reads exactly what
/// `JournalCoding.encode` writes and returns nil for anything else, so the caller can fall back
/// to the general decoder for lines edited by hand.
enum JournalFastDecoder {
    /// A parsed JSON value: only what journal lines contain.
    private enum Value {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        // Members in order; journal objects have a dozen keys at most, so a scan beats hashing.
        case object(Members)
        case array([Value])

        var string: String? {
            if case .string(let text) = self { return text }
            return nil
        }

        var int: Int? {
            if case .number(let number) = self, number == number.rounded(), abs(number) < 1e15 { return Int(number) }
            return nil
        }

        var object: Members? {
            if case .object(let members) = self { return members }
            return nil
        }
    }

    private struct Failure: Error {}

    /// An object's members, looked up by scanning.
    private struct Members {
        var items: [(String, Value)] = []

        subscript(key: String) -> Value? {
            for item in items where item.0 == key { return item.1 }
            return nil
        }
    }

    /// The record, or nil when the line is not in the form `encode` writes.
    static func decode(_ line: Data) -> JournalRecord? {
        line.withUnsafeBytes { decode($0) }
    }

    /// The record in a line's bytes, or nil when the line is not in the form `encode` writes.
    static func decode(_ line: UnsafeRawBufferPointer) -> JournalRecord? {
        var parser = Parser(bytes: line.bindMemory(to: UInt8.self))
        guard let top = try? parser.document(), let members = top.object else { return nil }
        return try? record(members)
    }

    /// The record types this decoder builds; their keys come from `JournalRecordType.fields`, and a
    /// line with any other key (a field added later) goes to JSONDecoder instead, so no field is ever dropped.
    private static let handled: [JournalRecordType] = [
        .channelHealth, .incidentOpened, .stepStarted, .stepFinished, .incidentMitigated, .incidentRecovering, .incidentResolved, .workspaceInvalid,
        .workspaceValid,
    ]
    private static let knownKeys: [String: [String]] = Dictionary(uniqueKeysWithValues: handled.map { ($0.name, ["ts", "type"] + $0.fields) })
    private static let evidenceKeys: [String] = ["probe", "status", "latencyMs", "failure", "slow"]
    private static let failureKeys: [String] = ["kind", "detail", "expected", "actual"]
    private static let saleKeys: [String] = ["name", "from", "to", "multiplier"]
    private static let noticeKeys: [String] = ["provider", "kind"]
    // Arrays, not sets: a dozen short keys compare faster than they hash.
    private static let healthKeys: [String] = [
        "state", "consecutiveFailures", "consecutiveSuccesses", "lastSuccessAt", "firstFailureAt", "downAt", "recoveringAt", "lastProbeAt",
        "nextDueAt", "lastFailure",
    ]

    private static func record(_ m: Members) throws -> JournalRecord {
        let ts = try date(m["ts"])
        let event: JournalEvent
        let name = try string(m["type"])
        guard let known = knownKeys[name], m.items.allSatisfy({ known.contains($0.0) }), let type = JournalRecordType(name: name) else { throw Failure() }
        switch type {
        case .channelHealth:
            event = .channelHealth(
                ChannelHealthChanged(
                    channel: try string(m["channel"]), health: try health(m["health"]), change: try optionalRaw(m["change"]),
                    evidence: try optionalString(m["evidence"]), probes: try probes(m["probes"])))
        case .incidentOpened:
            event = .incidentOpened(
                IncidentOpened(
                    incident: try string(m["incident"]), channel: try string(m["channel"]), trigger: try raw(m["trigger"]), by: try optionalString(m["by"]),
                    reason: try string(m["reason"]), firstFailureAt: try optionalDate(m["firstFailureAt"]), lastSuccessAt: try optionalDate(m["lastSuccessAt"]),
                    playbook: try optionalString(m["playbook"]), follows: try optionalString(m["follows"]), quiet: try optionalBool(m["quiet"]),
                    revenuePerHour: try optionalDouble(m["revenuePerHour"]), saleMultiplier: try optionalDouble(m["saleMultiplier"]),
                    sales: try sales(m["sales"])))
        case .stepStarted:
            event = .stepStarted(
                StepStarted(
                    incident: try string(m["incident"]), step: try string(m["step"]), phase: try raw(m["phase"]), attempt: try int(m["attempt"]),
                    idempotencyKey: try string(m["idempotencyKey"]), request: try string(m["request"])))
        case .stepFinished:
            event = .stepFinished(
                StepFinished(
                    incident: try string(m["incident"]), step: try string(m["step"]), phase: try raw(m["phase"]), attempt: try int(m["attempt"]),
                    outcome: try raw(m["outcome"]), status: try optionalInt(m["status"]), error: try optionalString(m["error"]),
                    durationMs: try int(m["durationMs"]), outputs: try stringMap(m["outputs"]), retryAt: try optionalDate(m["retryAt"]),
                    note: try optionalString(m["note"]), holds: try optionalString(m["holds"]), heldFrom: try optionalString(m["heldFrom"]),
                    notice: try notice(m["notice"])))
        case .incidentMitigated: event = .incidentMitigated(IncidentReference(incident: try string(m["incident"])))
        case .incidentRecovering:
            event = .incidentRecovering(
                IncidentRecovering(
                    incident: try string(m["incident"]), trigger: try raw(m["trigger"]), recoveredAt: try date(m["recoveredAt"]),
                    by: try optionalString(m["by"]), reason: try optionalString(m["reason"]), forced: try optionalBool(m["forced"])))
        case .incidentResolved: event = .incidentResolved(IncidentReference(incident: try string(m["incident"])))
        case .workspaceInvalid:
            event = .workspaceInvalid(
                WorkspaceInvalid(
                    errors: try int(m["errors"]), files: try strings(m["files"]), fingerprint: try string(m["fingerprint"]),
                    lastGoodAt: try optionalDate(m["lastGoodAt"])))
        case .workspaceValid: event = .workspaceValid(WorkspaceValid(fixed: try string(m["fixed"])))
        default: throw Failure()
        }
        return JournalRecord(ts: ts, event: event)
    }

    private static func probes(_ value: Value?) throws -> [ProbeEvidence]? {
        guard let value else { return nil }
        if case .null = value { return nil }
        guard case .array(let items) = value else { throw Failure() }
        return try items.map { item in
            guard let m = item.object, m.items.allSatisfy({ evidenceKeys.contains($0.0) }) else { throw Failure() }
            return ProbeEvidence(
                probe: try string(m["probe"]), status: try optionalInt(m["status"]), latencyMs: try int(m["latencyMs"]),
                failure: try probeFailure(m["failure"]), slow: try optionalString(m["slow"]))
        }
    }

    private static func sales(_ value: Value?) throws -> [RecordedSale]? {
        guard let value else { return nil }
        if case .null = value { return nil }
        guard case .array(let items) = value else { throw Failure() }
        return try items.map { item in
            guard let m = item.object, m.items.allSatisfy({ saleKeys.contains($0.0) }), let multiplier = try optionalDouble(m["multiplier"]) else {
                throw Failure()
            }
            return RecordedSale(name: try string(m["name"]), from: try date(m["from"]), to: try date(m["to"]), multiplier: multiplier)
        }
    }

    private static func notice(_ value: Value?) throws -> NoticeMark? {
        guard let value else { return nil }
        if case .null = value { return nil }
        guard let m = value.object, m.items.allSatisfy({ noticeKeys.contains($0.0) }) else { throw Failure() }
        return NoticeMark(provider: try string(m["provider"]), kind: try raw(m["kind"]))
    }

    private static func optionalBool(_ value: Value?) throws -> Bool? {
        guard let value else { return nil }
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        default: throw Failure()
        }
    }

    private static func optionalRaw<T: RawRepresentable>(_ value: Value?) throws -> T? where T.RawValue == String {
        guard let value else { return nil }
        if case .null = value { return nil }
        return try raw(value) as T
    }

    private static func probeFailure(_ value: Value?) throws -> ProbeFailure? {
        guard let value else { return nil }
        if case .null = value { return nil }
        guard let m = value.object, m.items.allSatisfy({ failureKeys.contains($0.0) }) else { throw Failure() }
        return ProbeFailure(
            kind: try raw(m["kind"]), detail: try string(m["detail"]), expected: try optionalString(m["expected"]), actual: try optionalString(m["actual"]))
    }

    private static func health(_ value: Value?) throws -> ChannelHealth {
        guard let m = value?.object, m.items.allSatisfy({ healthKeys.contains($0.0) }) else { throw Failure() }
        var health = ChannelHealth()
        health.state = try raw(m["state"])
        health.consecutiveFailures = try int(m["consecutiveFailures"])
        health.consecutiveSuccesses = try int(m["consecutiveSuccesses"])
        health.lastSuccessAt = try optionalDate(m["lastSuccessAt"])
        health.firstFailureAt = try optionalDate(m["firstFailureAt"])
        health.downAt = try optionalDate(m["downAt"])
        health.recoveringAt = try optionalDate(m["recoveringAt"])
        health.lastProbeAt = try optionalDate(m["lastProbeAt"])
        health.nextDueAt = try optionalDate(m["nextDueAt"])
        health.lastFailure = try optionalString(m["lastFailure"])
        return health
    }

    private static func stringMap(_ value: Value?) throws -> [String: String]? {
        guard let value else { return nil }
        if case .null = value { return nil }
        guard let m = value.object else { throw Failure() }
        var map: [String: String] = [:]
        for (key, item) in m.items { map[key] = try string(item) }
        return map
    }

    private static func string(_ value: Value?) throws -> String {
        guard let text = value?.string else { throw Failure() }
        return text
    }

    private static func optionalString(_ value: Value?) throws -> String? {
        guard let value, case .null = value else { return try value.map(string) }
        return nil
    }

    private static func strings(_ value: Value?) throws -> [String] {
        guard case .array(let items)? = value else { throw Failure() }
        return try items.map { try string($0) }
    }

    private static func optionalDouble(_ value: Value?) throws -> Double? {
        guard let value else { return nil }
        switch value {
        case .null: return nil
        case .number(let number): return number
        default: throw Failure()
        }
    }

    private static func int(_ value: Value?) throws -> Int {
        guard let number = value?.int else { throw Failure() }
        return number
    }

    private static func optionalInt(_ value: Value?) throws -> Int? {
        guard let value, case .null = value else { return try value.map(int) }
        return nil
    }

    private static func raw<T: RawRepresentable>(_ value: Value?) throws -> T where T.RawValue == String {
        guard let result = T(rawValue: try string(value)) else { throw Failure() }
        return result
    }

    private static func optionalDate(_ value: Value?) throws -> Date? {
        guard let value, case .null = value else { return try value.map(date) }
        return nil
    }

    /// `2026-11-25T04:41:00.001Z`, exactly as `encode` writes it; anything else falls back.
    private static func date(_ value: Value?) throws -> Date {
        var text = try string(value)
        guard let date = text.withUTF8(JournalDates.date(utf8:)) else { throw Failure() }
        return date
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        /// Deeper than any record; the general decoder (with its own cap) judges such a line.
        static let maxDepth = 8

        /// An array or object still open, with what it holds so far; changed in place on the stack,
        /// so appending never copies what it already holds.
        private struct Open {
            var isArray: Bool
            var items: [Value] = []
            var members = Members()
            var key = ""
        }

        mutating func document() throws -> Value {
            let value = try self.value()
            skipSpace()
            guard index == bytes.count else { throw Failure() }
            return value
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D || bytes[index] == 0x0A { index += 1 }
        }

        /// One value, its nested arrays and objects included.
        mutating func value() throws -> Value {
            var stack: [Open] = []
            while true {
                skipSpace()
                guard index < bytes.count else { throw Failure() }
                var finished: Value
                switch bytes[index] {
                case 0x7B:
                    index += 1
                    skipSpace()
                    if index < bytes.count, bytes[index] == 0x7D {
                        index += 1
                        finished = .object(Members())
                    } else {
                        guard stack.count < Self.maxDepth else { throw Failure() }
                        var open = Open(isArray: false)
                        open.members.items.reserveCapacity(12)
                        open.key = try key()
                        stack.append(open)
                        continue
                    }
                case 0x5B:
                    index += 1
                    skipSpace()
                    if index < bytes.count, bytes[index] == 0x5D {
                        index += 1
                        finished = .array([])
                    } else {
                        guard stack.count < Self.maxDepth else { throw Failure() }
                        stack.append(Open(isArray: true))
                        continue
                    }
                case 0x22: finished = .string(try string())
                case 0x74: finished = try literal("true", .bool(true))
                case 0x66: finished = try literal("false", .bool(false))
                case 0x6E: finished = try literal("null", .null)
                default: finished = try number()
                }
                // Close every container the value completes; stop at the first that wants another item.
                closing: while true {
                    guard !stack.isEmpty else { return finished }
                    let top = stack.count - 1
                    skipSpace()
                    guard index < bytes.count else { throw Failure() }
                    if stack[top].isArray {
                        stack[top].items.append(finished)
                        if bytes[index] == 0x2C {
                            index += 1
                            break closing
                        }
                        guard bytes[index] == 0x5D else { throw Failure() }
                        index += 1
                        finished = .array(stack.removeLast().items)
                    } else {
                        stack[top].members.items.append((stack[top].key, finished))
                        if bytes[index] == 0x2C {
                            index += 1
                            stack[top].key = try key()
                            break closing
                        }
                        guard bytes[index] == 0x7D else { throw Failure() }
                        index += 1
                        finished = .object(stack.removeLast().members)
                    }
                }
            }
        }

        /// A member's key and its colon.
        mutating func key() throws -> String {
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x22 else { throw Failure() }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x3A else { throw Failure() }
            index += 1
            return key
        }

        mutating func literal(_ word: StaticString, _ value: Value) throws -> Value {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw Failure() }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Failure() }
            index += count
            return value
        }

        mutating func string() throws -> String {
            index += 1
            let start = index
            // Fast path: no escapes.
            while index < bytes.count, bytes[index] != 0x22, bytes[index] != 0x5C {
                guard bytes[index] >= 0x20 else { throw Failure() }
                index += 1
            }
            guard index < bytes.count else { throw Failure() }
            if bytes[index] == 0x22 {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            var buffer = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    index += 1
                    return String(decoding: buffer, as: UTF8.self)
                }
                guard byte >= 0x20 else { throw Failure() }
                if byte != 0x5C {
                    buffer.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { throw Failure() }
                let escape = bytes[index]
                index += 1
                switch escape {
                case 0x22, 0x5C, 0x2F: buffer.append(escape)
                case 0x62: buffer.append(0x08)
                case 0x66: buffer.append(0x0C)
                case 0x6E: buffer.append(0x0A)
                case 0x72: buffer.append(0x0D)
                case 0x74: buffer.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { throw Failure() }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Failure() }
                    buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw Failure()
                }
            }
            throw Failure()
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw Failure() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw Failure()
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        mutating func number() throws -> Value {
            let start = index
            while index < bytes.count,
                (0x30...0x39).contains(bytes[index]) || bytes[index] == 0x2D || bytes[index] == 0x2B || bytes[index] == 0x2E
                    || bytes[index] == 0x65 || bytes[index] == 0x45
            {
                index += 1
            }
            guard index > start, let number = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)) else {
                throw Failure()
            }
            return .number(number)
        }
    }
}
