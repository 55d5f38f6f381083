import Foundation

/// What a person reads about an incident in a page, a ticket or its closing comment, in the
/// workspace's language (Japanese when its time zone is Asia/Tokyo).
public struct IncidentSummary: Sendable {
    /// The workspace.
    public var workspace: Workspace
    /// The incident.
    public var incident: Incident

    /// Creates a summary.
    public init(workspace: Workspace, incident: Incident) {
        self.workspace = workspace
        self.incident = incident
    }

    /// Whether texts are in Japanese.
    public var japanese: Bool { Self.isJapanese(workspace) }

    /// Japanese is the default when the workspace's time zone is Asia/Tokyo.
    public static func isJapanese(_ workspace: Workspace) -> Bool { workspace.settings.timeZone.identifier == "Asia/Tokyo" }

    private var channelName: String { workspace.channel(incident.channel)?.name ?? incident.channel }

    private func time(_ date: Date) -> String { String(LocalTime.clock(date, in: workspace.settings.timeZone).prefix(5)) }

    private func day(_ date: Date) -> String { String(LocalTime.iso8601(date, in: workspace.settings.timeZone).prefix(10)) }

    /// Steps that succeeded in the failover, by step id (`promo`, `line`), pages aside.
    public var done: [String] {
        workspace.stepOrder(of: incident).compactMap { key in
            let parts = key.split(separator: "/")
            guard parts.count == 2, let record = incident.steps[key], record.outcome == .succeeded, record.phase == .failover,
                !Self.isPage(key, in: workspace)
            else { return nil }
            return String(parts[1])
        }
    }

    /// Whether a step key is a `page` step of the workspace.
    static func isPage(_ key: String, in workspace: Workspace) -> Bool {
        let parts = key.split(separator: "/").map(String.init)
        guard parts.count >= 2, let playbook = workspace.playbooks.first(where: { $0.id == parts[0] }),
            let step = (playbook.steps + playbook.recovery).first(where: { $0.id == parts[1] })
        else { return false }
        return step.action.provider == "page"
    }

    /// The page: what is down, since when, what Detour already did, how to acknowledge.
    public var page: String {
        let since = incident.outageStart
        let reason = ProbeEvaluator.clip(incident.reason, to: 200)
        let did = done
        if japanese {
            return """
                【Detour】\(channelName)（\(incident.channel)）が\(day(since)) \(time(since))から停止しています。
                原因: \(reason)
                対応済み: \(did.isEmpty ? "なし" : did.joined(separator: "、"))
                対応する人は応答してください: detour ack \(incident.id)
                """
        }
        return """
            [Detour] \(channelName) (\(incident.channel)) is down since \(day(since)) \(time(since)).
            Why: \(reason)
            Already done: \(did.isEmpty ? "nothing yet" : did.joined(separator: ", "))
            To take it, acknowledge: detour ack \(incident.id)
            """
    }

    /// The incident so far, for a ticket's description: what, since when, why, every step and how it stands.
    public var details: String {
        let since = incident.outageStart
        var lines =
            japanese
            ? ["\(channelName)（\(incident.channel)）が\(day(since)) \(time(since))から停止しています。", "原因: \(incident.reason)", "インシデント: \(incident.id)", "", "手順:"]
            : [
                "\(channelName) (\(incident.channel)) is down since \(day(since)) \(time(since)).", "Why: \(incident.reason)", "Incident: \(incident.id)", "",
                "Steps:",
            ]
        for (key, record) in workspace.orderedSteps(of: incident) {
            lines.append("- \(key): \(record.outcome?.rawValue ?? "pending")\((record.error ?? record.note).map { " — \($0)" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    /// The short text a phone call reads aloud.
    public var speech: String {
        japanese
            ? "Detourからの呼び出しです。\(channelName)が\(time(incident.outageStart))から停止しています。対応する場合は、detour ack で応答してください。"
            : "This is Detour. \(channelName) is down since \(time(incident.outageStart)). To take it, acknowledge with detour ack."
    }

    /// The subject of a page by mail.
    public var subject: String {
        japanese ? "【Detour】\(channelName)が停止しています（\(incident.id)）" : "[Detour] \(channelName) is down (\(incident.id))"
    }

    /// The message sent to the people paged once the outage is over.
    public var resolved: String {
        japanese ? "【Detour】\(channelName)（\(incident.channel)）は復旧しました。\(outcome)" : "[Detour] \(channelName) (\(incident.channel)) is back up. \(outcome)"
    }

    /// Duration, money at risk and what was done, in one paragraph (a ticket's closing comment).
    public var outcome: String {
        let end = incident.recoveringAt ?? incident.resolvedAt ?? incident.openedAt
        let state = DetourState(incidents: [incident])
        let window = LostSaleReport(state: state, workspace: workspace, now: end).windows.first
        let minutes = Int((end.timeIntervalSince(incident.outageStart) / 60).rounded())
        let money = window.map { $0.moneyAtRisk.formatted } ?? "-"
        let did = done
        let acknowledged = incident.acknowledgedAt.map { at in
            japanese
                ? "\(incident.acknowledgedBy ?? "?")が\(time(at))に応答（\(Self.minutes(incident.timeToAcknowledge ?? 0))）。"
                : "Acknowledged by \(incident.acknowledgedBy ?? "?") at \(time(at)) (\(Self.minutes(incident.timeToAcknowledge ?? 0)))."
        }
        if japanese {
            return "停止 \(time(incident.outageStart))〜\(time(end))（\(minutes)分）。影響売上 \(money)。対応: \(did.isEmpty ? "なし" : did.joined(separator: "、"))。"
                + (acknowledged ?? "")
        }
        return
            "Down \(time(incident.outageStart))–\(time(end)) (\(minutes) min). Money at risk \(money). Done: \(did.isEmpty ? "nothing" : did.joined(separator: ", "))."
            + (acknowledged.map { " " + $0 } ?? "")
    }

    /// `4m30s` for a number of seconds.
    static func minutes(_ seconds: TimeInterval) -> String {
        DurationText.format(.seconds(Int64(max(0, seconds.rounded()))))
    }
}
