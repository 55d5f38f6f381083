import Foundation

/// Turns records into single JSON lines (`ts` and `type` first) and back.
public enum JournalCoding {
    private static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// One line, without the newline.
    public static func encode(_ record: JournalRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dateStyle))
        }
        let payload: Data
        switch record.event {
        case .channelHealth(let value): payload = try encoder.encode(value)
        case .incidentOpened(let value): payload = try encoder.encode(value)
        case .stepStarted(let value): payload = try encoder.encode(value)
        case .stepFinished(let value): payload = try encoder.encode(value)
        case .incidentMitigated(let value): payload = try encoder.encode(value)
        case .incidentRecovering(let value): payload = try encoder.encode(value)
        case .incidentResolved(let value): payload = try encoder.encode(value)
        case .channelHeld(let value): payload = try encoder.encode(value)
        case .channelReleased(let value): payload = try encoder.encode(value)
        case .incidentApproved(let value): payload = try encoder.encode(value)
        case .monitorOffline(let value), .monitorOnline(let value): payload = try encoder.encode(value)
        case .incidentRelapsed(let value): payload = try encoder.encode(value)
        case .stepRetried(let value): payload = try encoder.encode(value)
        case .workspaceInvalid(let value): payload = try encoder.encode(value)
        case .workspaceValid(let value): payload = try encoder.encode(value)
        case .incidentPaged(let value): payload = try encoder.encode(value)
        case .incidentAcknowledged(let value): payload = try encoder.encode(value)
        }
        let body = String(decoding: payload.dropFirst(), as: UTF8.self)
        let head = "{\"ts\":\"\(record.ts.formatted(dateStyle))\",\"type\":\"\(record.event.type)\""
        return body == "}" ? head + "}" : head + "," + body
    }

    private struct Header: Decodable {
        var ts: Date
        var type: String
    }

    /// Decodes one line; throws for a line that is not a known record.
    public static func decode(_ line: Data) throws -> JournalRecord {
        if let record = JournalFastDecoder.decode(line) { return record }
        return try decodeWithFoundation(line)
    }

    /// Decodes one line held in memory without copying it unless the fast path declines it.
    static func decode(_ line: UnsafeRawBufferPointer) throws -> JournalRecord {
        if let record = JournalFastDecoder.decode(line) { return record }
        return try decodeWithFoundation(Data(line))
    }

    /// Deeper than any record: a line nested further is damage, and is refused before a decoder recurses into it.
    static let maxDepth = 32

    /// The general decoder (two `JSONDecoder` passes): for lines the fast one does not take.
    static func decodeWithFoundation(_ line: Data) throws -> JournalRecord {
        guard nestingDepth(line, limit: maxDepth) <= maxDepth else {
            throw JournalError(message: "nested more than \(maxDepth) levels deep")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try dateStyle.parse(text)
        }
        let header = try decoder.decode(Header.self, from: line)
        let event: JournalEvent
        switch header.type {
        case "channel.health": event = .channelHealth(try decoder.decode(ChannelHealthChanged.self, from: line))
        case "incident.opened": event = .incidentOpened(try decoder.decode(IncidentOpened.self, from: line))
        case "step.started": event = .stepStarted(try decoder.decode(StepStarted.self, from: line))
        case "step.finished": event = .stepFinished(try decoder.decode(StepFinished.self, from: line))
        case "incident.mitigated": event = .incidentMitigated(try decoder.decode(IncidentReference.self, from: line))
        case "incident.recovering": event = .incidentRecovering(try decoder.decode(IncidentRecovering.self, from: line))
        case "incident.resolved": event = .incidentResolved(try decoder.decode(IncidentReference.self, from: line))
        case "channel.held": event = .channelHeld(try decoder.decode(ChannelHeld.self, from: line))
        case "channel.released": event = .channelReleased(try decoder.decode(ChannelReleased.self, from: line))
        case "incident.approved": event = .incidentApproved(try decoder.decode(IncidentApproved.self, from: line))
        case "monitor.offline": event = .monitorOffline(try decoder.decode(MonitorStatus.self, from: line))
        case "monitor.online": event = .monitorOnline(try decoder.decode(MonitorStatus.self, from: line))
        case "incident.relapsed": event = .incidentRelapsed(try decoder.decode(IncidentReference.self, from: line))
        case "step.retried": event = .stepRetried(try decoder.decode(StepRetried.self, from: line))
        case "workspace.invalid": event = .workspaceInvalid(try decoder.decode(WorkspaceInvalid.self, from: line))
        case "workspace.valid": event = .workspaceValid(try decoder.decode(WorkspaceValid.self, from: line))
        case "incident.paged": event = .incidentPaged(try decoder.decode(IncidentPaged.self, from: line))
        case "incident.acknowledged": event = .incidentAcknowledged(try decoder.decode(IncidentAcknowledged.self, from: line))
        default: throw JournalError(message: "unknown record type \"\(header.type)\"")
        }
        return JournalRecord(ts: header.ts, event: event)
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
