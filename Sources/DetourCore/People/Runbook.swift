import Foundation

/// The response manual (`detour runbook`), generated from the workspace and `oncall.json5`: per
/// channel, the signs of failure, the internal contact flow, the customer templates, the switch
/// procedures, the commands to run by hand and the marketplace's own contacts; then a sale-day
/// checklist. `RunbookMarkdown` and `RunbookHTML` render it.
public struct Runbook: Sendable {
    /// Japanese or English.
    public enum Language: String, Sendable, CaseIterable {
        case ja, en
    }

    /// A customer-facing text rendered with example values and measured against its platform's limit.
    public struct Template: Sendable, Equatable {
        /// `mall-down/line` (`/recovery` for recovery notices).
        public var step: String
        /// `line.broadcast`.
        public var provider: String
        /// The text with example values.
        public var text: String
        /// Its length as the platform counts.
        public var length: Int
        /// The limit, in words.
        public var limit: String
        /// Whether it fits.
        public var fits: Bool
    }

    /// One failover step: what it changes and how it is undone.
    public struct SwitchStep: Sendable, Equatable {
        /// `mall-down/promo`.
        public var step: String
        /// `shopify.discount`.
        public var provider: String
        /// What it changes, in words.
        public var change: String
        /// Its undo on recovery, if any.
        public var undo: String?
    }

    /// Who a rotation reaches now and next.
    public struct Duty: Sendable, Equatable {
        /// The rotation.
        public var rotation: String
        /// Who is on call now (with the override's reason, if one applies).
        public var now: String
        /// Who is next, and from when.
        public var next: String
    }

    /// Everything about one channel.
    public struct Section: Sendable {
        /// The channel.
        public var channel: Channel
        /// What is probed, one line each.
        public var probes: [String]
        /// The thresholds, in words.
        public var thresholds: [String]
        /// The escalation levels the channel's `page` steps use, in order, one line each.
        public var escalation: [String]
        /// Who is on call now and next.
        public var duties: [Duty]
        /// Every customer text.
        public var templates: [Template]
        /// The failover steps in order.
        public var switchSteps: [SwitchStep]
        /// The commands to run by hand.
        public var commands: [String]
    }

    /// The language.
    public var language: Language
    /// The shop's sections, in workspace order.
    public var sections: [Section]
    /// The sale-day checklist.
    public var checklist: [String]
    /// When it was generated, in words.
    public var generated: String

    /// Builds the runbook at a time.
    public init(workspace: Workspace, language: Language? = nil, now: Date) {
        let language = language ?? (IncidentSummary.isJapanese(workspace) ? .ja : .en)
        self.language = language
        let ja = language == .ja
        let zone = workspace.settings.timeZone
        let local = { (date: Date) in String(LocalTime.iso8601(date, in: zone).prefix(16)).replacingOccurrences(of: "T", with: " ") }
        generated = local(now) + " (\(zone.identifier))"
        let sample = Incident(
            id: "\(workspace.channels.first?.id ?? "shop")-20261204-200120", channel: "", trigger: .probe, by: nil,
            reason: ja ? "商品ページ: HTTP 503" : "item page: HTTP 503", openedAt: now)
        sections = workspace.channels.map { channel in
            let probes = channel.probes.map { probe in
                var expect = ["HTTP \(probe.expect.status.description)"]
                expect += probe.expect.bodyContains.map { ja ? "本文に「\($0)」" : "body contains \"\($0)\"" }
                expect += probe.expect.bodyNotContains.map { ja ? "本文に「\($0)」がない" : "body lacks \"\($0)\"" }
                if let latency = probe.expect.maxLatency { expect.append(ja ? "\(DurationText.format(latency))以内" : "within \(DurationText.format(latency))") }
                return "\(probe.name): \(probe.method) \(probe.url) — \(expect.joined(separator: ", "))"
            }
            let schedule = channel.schedule
            var thresholds =
                ja
                ? [
                    "通常は\(DurationText.format(schedule.every))ごとに確認し、失敗したら\(DurationText.format(schedule.confirmEvery))ごとに確かめます。",
                    "「停止 (down)」: \(schedule.failAfter)回続けて失敗したとき。インシデントが開き、切り替え手順が動きます。",
                    "「復旧」: \(schedule.recoverAfter)回続けて成功し、さらに\(DurationText.format(channel.settle))安定したとき。元に戻す手順と復旧のお知らせが動きます。",
                ]
                : [
                    "Probed every \(DurationText.format(schedule.every)); after a failure, every \(DurationText.format(schedule.confirmEvery)) to confirm.",
                    "\"Down\": \(schedule.failAfter) failed rounds in a row. An incident opens and the switch procedure runs.",
                    "\"Recovered\": \(schedule.recoverAfter) successful rounds in a row, then \(DurationText.format(channel.settle)) stable. The undo steps and the recovery notices run.",
                ]
            if let latency = channel.probes.compactMap(\.expect.maxLatency).min() {
                thresholds.append(
                    ja
                        ? "「遅延 (degraded)」: 応答はあるが\(DurationText.format(latency))より遅いとき。degraded のプレイブックだけが動きます。"
                        : "\"Degraded\": answering, but slower than \(DurationText.format(latency)). Only degraded playbooks run.")
            }
            if let sale = schedule.duringSales {
                thresholds.append(
                    ja
                        ? "セール中は\(DurationText.format(sale.every))ごと（確認は\(DurationText.format(sale.confirmEvery))ごと）。"
                        : "During sales: every \(DurationText.format(sale.every)) (confirming every \(DurationText.format(sale.confirmEvery))).")
            }
            let plan = IncidentPlan(workspace: workspace, channel: channel.id)
            var escalation: [String] = []
            var duties: [Duty] = []
            var rotations: [String] = []
            for planned in plan.failover {
                guard let page = planned.action.action as? PageAction, let levels = workspace.escalationPolicy(page.escalation) else { continue }
                for level in levels {
                    let wait =
                        level.wait.map {
                            ja ? "、\(DurationText.format($0))応答がなければ次へ" : ", then after \(DurationText.format($0)) without an acknowledgement the next"
                        } ?? ""
                    escalation.append("\(level.notify) — \(level.via.map(\.rawValue).joined(separator: ", "))\(wait)")
                    if workspace.oncall?.rotation(level.notify) != nil, !rotations.contains(level.notify) { rotations.append(level.notify) }
                }
            }
            if let schedule = workspace.oncall {
                let oncall = OnCall(schedule: schedule)
                for rotation in rotations {
                    guard let shift = oncall.shift(of: rotation, at: now) else { continue }
                    let reason = shift.override.map { ja ? "（代理: \($0.reason)）" : " (override: \($0.reason))" } ?? ""
                    let next = oncall.upcoming(of: rotation, after: now, count: 1).first.map { "\($0.person.name) (\(local($0.from)))" } ?? "-"
                    duties.append(Duty(rotation: rotation, now: "\(shift.person.name)\(reason)", next: next))
                }
            }
            let context = TemplateContext(workspace: workspace, channel: channel, incident: sample)
            let resolver = SecretResolver(environment: [:], workspaceRoot: workspace.root)
            var templates: [Template] = []
            for planned in plan.failover + plan.recovery {
                let action = planned.action.action
                for (template, _, limit) in action.texts {
                    let rendered = try? template.render { path -> JSONValue in
                        if path.first == "env" { return .string("••••••••") }
                        return try context.resolve(path, secrets: resolver)
                    }
                    let text = rendered?.textValue ?? ""
                    let (length, fits) = limit.measure(text)
                    templates.append(Template(step: planned.key, provider: action.name, text: text, length: length, limit: limit.description, fits: fits))
                }
            }
            let switchSteps = plan.failover.map { planned in
                SwitchStep(
                    step: planned.key, provider: planned.action.provider, change: Self.change(planned.action, ja: ja),
                    undo: planned.step.undo.map { Self.undo($0, of: planned.action, ja: ja) })
            }
            let commands = [
                "detour failover \(channel.id) --reason \"…\"", "detour hold \(channel.id) --until 2h", "detour restore \(channel.id)",
                "detour ack \(channel.id)-YYYYMMDD-HHMMSS",
            ]
            return Section(
                channel: channel, probes: probes, thresholds: thresholds, escalation: escalation, duties: duties, templates: templates,
                switchSteps: switchSteps, commands: commands)
        }
        var checklist =
            ja
            ? workspace.channels.map { "\($0.name): detour drill \($0.id) で切り替えを予行演習する" }
                + ["detour oncall --at （セール開始時刻）で当番と代理（overrides）を確かめる"]
            : workspace.channels.map { "\($0.name): rehearse the switch with detour drill \($0.id)" }
                + ["Check who is on call and the overrides with detour oncall --at (the sale's start)"]
        for override in workspace.oncall?.overrides ?? [] where override.to > now {
            let name = workspace.oncall?.person(override.person)?.name ?? override.person
            checklist.append(
                ja
                    ? "代理: \(name)が\(override.rotation)を担当 \(local(override.from))〜\(local(override.to))（\(override.reason)）"
                    : "Override: \(name) covers \(override.rotation) from \(local(override.from)) to \(local(override.to)) (\(override.reason))")
        }
        for sale in workspace.settings.calendar.sales where sale.to > now {
            checklist.append(
                ja ? "セール「\(sale.name)」: \(local(sale.from))〜\(local(sale.to))" : "Sale \"\(sale.name)\": \(local(sale.from)) to \(local(sale.to))")
        }
        for window in workspace.plannedMaintenance where window.to > now {
            let name = workspace.channel(window.channel)?.name ?? window.channel
            checklist.append(
                ja
                    ? "計画メンテナンス \(name): \(local(window.from))〜\(local(window.to)) \(window.note)"
                    : "Planned maintenance of \(name): \(local(window.from)) to \(local(window.to)) \(window.note)")
        }
        self.checklist = checklist
    }

    /// How a step is undone on recovery, in words.
    static func undo(_ undo: StepAction, of action: StepAction, ja: Bool) -> String {
        if case .provider(let provider) = action, provider is any ClosesOnUndo {
            return ja ? "要約（停止時間・影響売上・対応）を書き込んで完了にする" : "comments the summary (duration, money at risk, what was done) and closes it"
        }
        if case .http(let request) = undo { return "\(request.method) \(request.url.source)" }
        return ja ? "\(undo.provider) で元に戻す" : "reverted with \(undo.provider)"
    }

    /// What an action changes, in words.
    static func change(_ action: StepAction, ja: Bool) -> String {
        switch action {
        case .http(let request): return "\(request.method) \(request.url.source)"
        case .provider(let provider):
            if provider is PageAction { return ja ? "当番を呼び出す（応答まで段階的に）" : "pages the person on call, escalating until acknowledged" }
            if provider is any ClosesOnUndo { return ja ? "チケットを起票する（復旧時に要約付きで完了）" : "opens a ticket (closed with the summary on recovery)" }
            if provider.isEffect { return ja ? "ショップの設定を切り替える" : "switches something on the shop" }
            if provider.isPublicNotice { return ja ? "お客様に知らせる" : "tells customers" }
            return ja ? "社内に知らせる" : "tells the team"
        }
    }
}
