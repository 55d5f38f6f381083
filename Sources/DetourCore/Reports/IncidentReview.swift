import Foundation

/// A post-incident review draft in Markdown (`detour review INCIDENT`): the timeline, what
/// customers were told, every step and its answers, the money, the gaps, and the questions left
/// for people. Headings carry Japanese and English, so one draft serves either team.
public struct IncidentReview: Sendable {
    /// The incident's journal story.
    public var timeline: IncidentTimeline
    /// The workspace (names, playbooks, time zone).
    public var workspace: Workspace
    /// When the draft is made (an ongoing outage counts up to here).
    public var now: Date

    /// Creates the draft's model.
    public init(timeline: IncidentTimeline, workspace: Workspace, now: Date) {
        self.timeline = timeline
        self.workspace = workspace
        self.now = now
    }

    private var incident: Incident { timeline.incident }
    private var zone: TimeZone { workspace.settings.timeZone }

    private func time(_ date: Date) -> String {
        LocalTime.iso8601(date, in: zone).replacingOccurrences(of: "T", with: " ").prefix(19).description
    }

    private func elapsed(_ date: Date?) -> String {
        guard let date else { return "" }
        return "+" + Self.duration(date.timeIntervalSince(incident.outageStart))
    }

    static func duration(_ seconds: TimeInterval) -> String {
        DurationText.format(.seconds(Int64(max(0, seconds.rounded()))))
    }

    /// The lost-sale window of the incident.
    public var window: LostSaleWindow? {
        let state = DetourState(incidents: [incident])
        return LostSaleReport(state: state, workspace: workspace, now: now).windows.first
    }

    /// Seconds from the opening to `detour ack`, if someone acknowledged.
    public var secondsToAcknowledge: TimeInterval? { incident.timeToAcknowledge }

    /// The Markdown draft.
    public func markdown() -> String {
        let name = workspace.channel(incident.channel)?.name ?? incident.channel
        var out: [String] = []
        out.append("# 事後レビュー / Post-incident review: \(incident.id)")
        out.append("")
        out.append("- チャネル / Channel: \(name) (\(incident.channel))")
        out.append("- きっかけ / Trigger: \(incident.trigger.rawValue)\(incident.by.map { " by \($0)" } ?? ""): \(incident.reason)")
        out.append("- 状態 / Status: \(incident.status.rawValue)")
        out.append("- 下書き作成 / Drafted: \(time(now)) (detour review); 下の問いに答えて完成させてください / answer the questions below to finish it")
        out.append("")
        out.append("## タイムライン / Timeline")
        out.append("")
        out.append("| | 時刻 / time | 経過 / since the first failure |")
        out.append("| --- | --- | --- |")
        let rows: [(String, Date?, String)] = [
            ("検知 / Detected (first failed probe)", incident.outageStart, ""),
            ("確認 / Confirmed (incident opened)", incident.openedAt, ""),
            ("応答 / Acknowledged", incident.acknowledgedAt, incident.acknowledgedBy.map { " by \($0)" } ?? ""),
            ("緩和 / Mitigated (every failover step done)", incident.mitigatedAt, ""),
            ("復旧 / Recovered (answering again)", incident.recoveringAt, ""),
            ("解決 / Resolved", incident.resolvedAt, ""),
        ]
        for (label, date, extra) in rows {
            out.append("| \(label) | \(date.map(time) ?? "—")\(extra) | \(elapsed(date)) |")
        }
        out.append("")
        out.append("## 呼び出し / Pages")
        out.append("")
        let pages = incident.pages ?? []
        if pages.isEmpty { out.append("- 呼び出しなし / nobody was paged") }
        for page in pages {
            let delivered = page.via.map { way in
                "\(way): \(incident.steps["\(page.step)/\(page.level)/\(way)"]?.outcome?.rawValue ?? "pending")"
            }
            out.append("- \(time(page.at)) level \(page.level): \(page.name) (\(page.target)) — \(delivered.joined(separator: ", "))")
        }
        out.append("")
        out.append("## お客様への告知 / What customers were told")
        out.append("")
        let notices = noticeAnswers()
        if notices.isEmpty { out.append("- 告知なし / no public notice was sent") }
        for (at, key, provider) in notices { out.append("- \(time(at)) \(key) (\(provider))") }
        out.append("")
        out.append("## 手順と応答 / Steps and their answers")
        out.append("")
        for entry in timeline.entries where entry.kind == .answer || entry.kind == .manual {
            out.append("- \(time(entry.time)) \(entry.text)")
        }
        out.append("")
        out.append("## 金額 / Money")
        out.append("")
        if let window {
            out.append("- 影響売上 / Money at risk: \(window.moneyAtRisk.formatted)")
            out.append("  - 緩和前 / before mitigation: \(window.moneyBeforeMitigation.formatted)")
            out.append("  - 緩和後 / after mitigation: \(window.moneyAfterMitigation.formatted)")
            out.append("- 取り戻した推定 / Recaptured (estimate): \(window.recapture.formatted)")
        }
        out.append("")
        out.append("## ギャップ / Gaps")
        out.append("")
        if let window { out.append("- 未緩和の時間 / Unmitigated: \(Self.duration(window.unmitigatedMinutes * 60))") }
        let failed = incident.failedSteps
        out.append("- 失敗した手順 / Failed steps: \(failed.isEmpty ? "なし / none" : failed.joined(separator: ", "))")
        if let mtta = secondsToAcknowledge {
            out.append("- 応答までの時間 / Time to acknowledge (MTTA): \(Self.duration(mtta))")
        } else {
            out.append("- 応答までの時間 / Time to acknowledge (MTTA): 応答なし / never acknowledged")
        }
        out.append("")
        out.append("## 振り返りの問い / Questions for the team")
        out.append("")
        for question in Self.questions { out.append("- \(question)\n  - ") }
        return out.joined(separator: "\n") + "\n"
    }

    /// The usual questions, left for people to answer.
    static let questions = [
        "何が起きたか。原因は何か。 / What happened, and why?",
        "もっと早く気づけたか。 / Could we have known sooner?",
        "呼び出しは正しい人に届いたか。応答が遅れた理由は。 / Did the page reach the right person? What delayed the acknowledgement?",
        "お客様への告知は十分だったか。 / Were customers told enough, and in time?",
        "切り替え手順で足りなかったものは。 / What was missing from the switch procedure?",
        "次に同じことが起きたら何を変えるか。担当と期限は。 / What do we change before it happens again? Who, and by when?",
    ]

    /// Public notices that were delivered: time, step key, action.
    private func noticeAnswers() -> [(Date, String, String)] {
        let plan = IncidentPlan(workspace: workspace, incident: incident)
        var actions: [String: any ProviderAction] = [:]
        for planned in plan.failover + plan.undo(after: incident) + plan.recovery { actions[planned.key] = planned.action.action }
        var result: [(Date, String, String)] = []
        for entry in timeline.entries where entry.kind == .answer && entry.text.contains(": succeeded") {
            // `← mall-down/line attempt 1: succeeded …`
            let key = entry.text.dropFirst(2).split(separator: " ").first.map(String.init) ?? ""
            guard let action = actions[key], action.isPublicNotice else { continue }
            result.append((entry.time, key, action.name))
        }
        return result
    }
}
