import Foundation

/// Turns records into single JSON lines (`ts` and `type` first) and back, by the table in `JournalRecordType`.
public enum JournalCoding {
    /// One line, without the newline.
    public static func encode(_ record: JournalRecord) throws -> String {
        let payload = try JSONEncoder.detour.encode(record.event.payload)
        let body = String(decoding: payload.dropFirst(), as: UTF8.self)
        let head = "{\"ts\":\"\(JournalDates.text(record.ts))\",\"type\":\"\(record.event.type)\""
        return body == "}" ? head + "}" : head + "," + body
    }

    private struct Header: Decodable {
        var ts: Date
        var type: String
    }

    /// Decodes one line held in memory.
    static func decode(_ line: UnsafeRawBufferPointer) throws -> JournalRecord {
        try decode(Data(line))
    }

    /// Deeper than any record: a line nested further is damage, and is refused before a decoder recurses into it.
    static let maxDepth = 32

    /// Decodes one line (the header, then the fields its type has); throws for a line that is not a known record.
    public static func decode(_ line: Data) throws -> JournalRecord {
        guard nestingDepth(line, limit: maxDepth) <= maxDepth else {
            throw JournalError(message: "nested more than \(maxDepth) levels deep")
        }
        let decoder = JSONDecoder.detour
        let header = try decoder.decode(Header.self, from: line)
        guard let type = JournalRecordType(name: header.type) else { throw JournalError(message: "unknown record type \"\(header.type)\"") }
        return JournalRecord(ts: header.ts, event: try type.event(line, decoder))
    }
}

extension JournalCoding {
    /// How deeply arrays and objects nest in a line, counting no further than `limit + 1`.
    static func nestingDepth(_ line: Data, limit: Int) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in line {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > limit { return deepest }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// Why a line or a snapshot could not be decoded, in words (never a `DecodingError` dump).
    public static func reason(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return error.message }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\" is missing"
        case .valueNotFound(_, let context), .typeMismatch(_, let context):
            return "field \"\(path(context))\" has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "field \"\(path(context))\" is invalid"
        @unknown default:
            return "not a journal record"
        }
    }
}

/// A problem with the state files, said for an operator.
public struct JournalError: DetourError {
    /// What is wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
