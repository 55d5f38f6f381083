import Foundation

/// Workspace-wide settings from `detour.json5`.
public struct WorkspaceSettings: Sendable {
    /// Time zone for reports, schedules and notices.
    public var timeZone: TimeZone
    /// Where state lives, relative to the workspace, unless overridden.
    public var stateDir: String
    /// Free values for templates (`{{settings.shopAPI}}`).
    public var values: JSONValue
    /// Base URL per provider, for regional endpoints and the sandbox.
    public var providers: [String: String]
    /// Planned maintenance windows from `calendar.maintenance`.
    public var maintenance: [MaintenanceWindow] = []
    /// URLs that tell whether the monitor's own network is up.
    public var canary: [String] = []
    /// Most probes in flight at once.
    public var maxConcurrentProbes = 256
    /// A pass starts no new step after this long, so cron's next run is never locked out.
    public var maxPassDuration: Duration = .seconds(20)
    /// Sale events (and, later, planned maintenance) from `calendar`.
    public var calendar = WorkspaceCalendar()
    /// Where tick and watch keep a static status page (`statusPage.out`), if anywhere.
    public var statusPageOut: String? = nil
    /// The outbound heartbeat pinged after every pass, if any.
    public var heartbeat: Heartbeat? = nil
    /// Who may sign in to the console that `watch --listen` serves.
    public var console = ConsoleSettings()
    /// Several nodes sharing one decision through etcd (`cluster`), if set.
    public var cluster: ClusterSettings? = nil

    /// Asia/Tokyo, `.detour`, no values.
    public static let defaults = WorkspaceSettings(
        timeZone: TimeZone(identifier: "Asia/Tokyo")!, stateDir: ".detour", values: .object([]), providers: [:])
}

/// A loaded, validated workspace: channels, playbooks and settings.
public struct Workspace: Sendable {
    /// The workspace folder.
    public var root: String
    /// Settings from `detour.json5`.
    public var settings: WorkspaceSettings
    /// Channels by id, sorted.
    public var channels: [Channel]
    /// Playbooks by id, sorted.
    public var playbooks: [Playbook]
    /// People, rotations and escalation from `oncall.json5`, when the workspace has one.
    public var oncall: OnCallSchedule? = nil

    /// The channel with this id.
    public func channel(_ id: String) -> Channel? { channels.first { $0.id == id } }

    /// Playbooks that react to an event on a channel, in id order.
    public func playbooks(for event: PlaybookEvent, channel: String) -> [Playbook] {
        playbooks.filter { $0.event == event && $0.channels.matches(channel) }
    }
}

extension Workspace {
    /// Every environment variable the playbooks read credentials from.
    public var environmentReferences: Set<String> {
        var names: Set<String> = []
        for playbook in playbooks {
            for step in playbook.steps + playbook.recovery {
                for action in [step.action] + (step.undo.map { [$0] } ?? []) {
                    names.formUnion(action.action.environmentNames)
                }
            }
        }
        for (reference, _) in oncall?.transports.credentials ?? [] {
            if case .environment(let name) = reference { names.insert(name) }
        }
        return names
    }
}

extension Workspace {
    /// The probe schedule of a channel at a time: its `duringSales` intervals while a sale applies.
    public func schedule(for channel: Channel, at time: Date) -> Schedule {
        channel.schedule.effective(duringSale: channel.schedule.duringSales != nil && settings.calendar.isSaleActive(channel: channel.id, at: time))
    }
}

extension Workspace {
    /// What to say about a channel id that is not in the workspace: the likely one, and the list.
    public func unknownChannelMessage(_ id: String) -> String {
        let ids = channels.map(\.id)
        let suggestion = closestMatch(to: id, in: ids).map { "did you mean \"\($0)\"? " } ?? ""
        return "unknown channel \"\(id)\"; \(suggestion)channels: \(ids.joined(separator: ", "))"
    }

    /// The revenue per hour (before hour and weekday factors) and the sale multiplier in force for a
    /// channel at a time; journaled when an incident opens, so later calendar changes leave its money as it was.
    public func revenueInForce(channel id: String, at time: Date) -> (perHour: Double, multiplier: Double)? {
        guard let revenue = channel(id)?.revenue else { return nil }
        return (revenue.perHour, settings.calendar.multiplier(channel: id, at: time))
    }
}
