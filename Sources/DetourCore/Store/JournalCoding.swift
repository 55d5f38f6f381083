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

    /// The general decoder (two `JSONDecoder` passes): for lines the fast one does not take.
    static func decodeWithFoundation(_ line: Data) throws -> JournalRecord {
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
        default: throw JournalError(message: "unknown record type \"\(header.type)\"")
        }
        return JournalRecord(ts: header.ts, event: event)
    }
}

/// A problem with the state files, said for an operator.
public struct JournalError: DetourError {
    /// What is wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
