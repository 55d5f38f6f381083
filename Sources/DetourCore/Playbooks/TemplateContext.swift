import Foundation

/// The values templates can use while an incident runs; `env.*` goes through the secret resolver.
public struct TemplateContext: Sendable {
    /// The channel the incident is about.
    public var channel: Channel
    /// Its alternates, resolved to channels, in order.
    public var alternates: [Channel]
    /// `incident.id`, `incident.startedAt`, `incident.reason`.
    public var incident: [String: String]
    /// `settings.*` from detour.json5.
    public var settings: JSONValue
    /// `steps.<id>.<output>`: what earlier failover steps of the incident returned (a ticket's `key` and `url`).
    public var steps: [String: [String: String]] = [:]

    /// Most characters `{{incident.reason}}` renders: the reason may quote a stranger's page.
    public static let reasonLimit = 200

    /// Builds the context for an incident of a channel in a workspace.
    public init(workspace: Workspace, channel: Channel, incident: Incident) {
        self.channel = channel
        alternates = channel.alternates.compactMap { workspace.channel($0) }
        let format = Date.VerbatimFormatStyle(
            format:
                "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
            timeZone: workspace.settings.timeZone, calendar: Calendar(identifier: .gregorian))
        self.incident = [
            "id": incident.id,
            "startedAt": incident.outageStart.formatted(format),
            "reason": ProbeEvaluator.clip(incident.reason, to: Self.reasonLimit),
            "summary": IncidentSummary(workspace: workspace, incident: incident).outcome,
            "details": IncidentSummary(workspace: workspace, incident: incident).details,
        ]
        settings = workspace.settings.values
        for (key, record) in incident.steps where record.phase == .failover && !record.outputs.isEmpty {
            let parts = key.split(separator: "/")
            guard parts.count == 2 else { continue }
            steps[String(parts[1]), default: [:]].merge(record.outputs) { $1 }
        }
    }

    /// The value of a variable path; throws a message naming the variable when it has none.
    public func resolve(_ path: [String], secrets: SecretResolver) throws(StepError) -> JSONValue {
        let name = path.joined(separator: ".")
        switch path.first {
        case "channel" where path.count == 2:
            if let value = Self.field(path[1], of: channel) { return .string(value) }
        case "alternates" where path.count == 3:
            if let index = Int(path[1]), alternates.indices.contains(index), let value = Self.field(path[2], of: alternates[index]) {
                return .string(value)
            }
        case "incident" where path.count == 2:
            if let value = incident[path[1]] { return .string(value) }
        case "steps" where path.count == 3:
            if let value = steps[path[1]]?[path[2]] { return .string(value) }
        case "settings":
            var value: JSONValue? = settings
            for key in path.dropFirst() { value = value?[key] }
            if let value, path.count > 1 { return value }
        case "env" where path.count == 2:
            do {
                return .string(try secrets.resolve(.environment(path[1])))
            } catch {
                throw StepError(message: error.description, permanent: true)
            }
        default: break
        }
        throw StepError(message: "template variable {{\(name)}} has no value for channel \"\(channel.id)\"", permanent: true)
    }

    private static func field(_ name: String, of channel: Channel) -> String? {
        switch name {
        case "id": channel.id
        case "name": channel.name
        case "url": channel.url
        case "kind": channel.kind.rawValue
        default: nil
        }
    }
}

/// A step that cannot be carried out, said for the operator.
public struct StepError: DetourError {
    /// What went wrong.
    public var message: String
    /// Whether retrying cannot help.
    public var permanent: Bool
    /// The message.
    public var description: String { message }
}
