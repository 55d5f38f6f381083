import Foundation

/// The response manual (`detour runbook`), generated from the workspace and `oncall.json5`: per
/// channel, the signs of failure, the internal contact flow, the customer templates, the switch
/// procedures, the commands to run by hand and the marketplace's own contacts; then a sale-day
/// checklist. `RunbookMarkdown` and `RunbookHTML` render it.
public struct Runbook: Sendable {
    /// Japanese or English: the language every message is in.
    public typealias Language = DetourCore.Language

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
        let l10n = Localizer(language)
        let zone = workspace.settings.timeZone
        let local = { (date: Date) in String(LocalTime.iso8601(date, in: zone).prefix(16)).replacingOccurrences(of: "T", with: " ") }
        generated = local(now) + " (\(zone.identifier))"
        let sample = Incident(
            id: "\(workspace.channels.first?.id ?? "shop")-20261204-200120", channel: "", trigger: .probe, by: nil,
            reason: l10n.text("runbook.sample-reason"), openedAt: now)
        sections = workspace.channels.map { channel in
            let probes = channel.probes.map { probe in
                var expect = ["HTTP \(probe.expect.status.description)"]
                expect += probe.expect.bodyContains.map { l10n.text("runbook.body-contains", ["text": $0]) }
                expect += probe.expect.bodyNotContains.map { l10n.text("runbook.body-lacks", ["text": $0]) }
                if let latency = probe.expect.maxLatency { expect.append(l10n.text("runbook.within", ["duration": DurationText.format(latency)])) }
                return "\(probe.name): \(probe.method) \(probe.url) — \(expect.joined(separator: ", "))"
            }
            let schedule = channel.schedule
            var thresholds = [
                l10n.text(
                    "runbook.threshold.every",
                    ["every": DurationText.format(schedule.every), "confirm": DurationText.format(schedule.confirmEvery)]),
                l10n.text("runbook.threshold.down", ["count": "\(schedule.failAfter)"]),
                l10n.text("runbook.threshold.recovered", ["count": "\(schedule.recoverAfter)", "settle": DurationText.format(channel.settle)]),
            ]
            if let latency = channel.probes.compactMap(\.expect.maxLatency).min() {
                thresholds.append(l10n.text("runbook.threshold.degraded", ["latency": DurationText.format(latency)]))
            }
            if let sale = schedule.duringSales {
                thresholds.append(
                    l10n.text("runbook.threshold.sale", ["every": DurationText.format(sale.every), "confirm": DurationText.format(sale.confirmEvery)]))
            }
            let plan = IncidentPlan(workspace: workspace, channel: channel.id)
            var escalation: [String] = []
            var duties: [Duty] = []
            var rotations: [String] = []
            for planned in plan.failover {
                guard let page = planned.action.action as? PageAction, let levels = workspace.escalationPolicy(page.escalation) else { continue }
                for level in levels {
                    let wait =
                        level.wait.map { l10n.text("runbook.escalation.wait", ["duration": DurationText.format($0)]) } ?? ""
                    escalation.append("\(level.notify) — \(level.via.map(\.rawValue).joined(separator: ", "))\(wait)")
                    if workspace.oncall?.rotation(level.notify) != nil, !rotations.contains(level.notify) { rotations.append(level.notify) }
                }
            }
            if let schedule = workspace.oncall {
                let oncall = OnCall(schedule: schedule)
                for rotation in rotations {
                    guard let shift = oncall.shift(of: rotation, at: now) else { continue }
                    let reason = shift.override.map { l10n.text("runbook.override", ["reason": $0.reason]) } ?? ""
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
                    step: planned.key, provider: planned.action.provider, change: Self.change(planned.action, l10n),
                    undo: planned.step.undo.map { Self.undo($0, of: planned.action, l10n) })
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
            workspace.channels.map { l10n.text("runbook.checklist.drill", ["name": $0.name, "channel": $0.id]) }
            + [l10n.text("runbook.checklist.oncall")]
        for override in workspace.oncall?.overrides ?? [] where override.to > now {
            let name = workspace.oncall?.person(override.person)?.name ?? override.person
            checklist.append(
                l10n.text(
                    "runbook.checklist.override",
                    [
                        "name": name, "rotation": override.rotation, "from": local(override.from), "to": local(override.to),
                        "reason": override.reason,
                    ]))
        }
        for sale in workspace.settings.calendar.sales where sale.to > now {
            checklist.append(l10n.text("runbook.checklist.sale", ["name": sale.name, "from": local(sale.from), "to": local(sale.to)]))
        }
        for window in workspace.plannedMaintenance where window.to > now {
            let name = workspace.channel(window.channel)?.name ?? window.channel
            checklist.append(
                l10n.text("runbook.checklist.maintenance", ["name": name, "from": local(window.from), "to": local(window.to), "note": window.note]))
        }
        self.checklist = checklist
    }

    /// How a step is undone on recovery, in words.
    static func undo(_ undo: StepAction, of action: StepAction, _ l10n: Localizer) -> String {
        if case .provider(let provider) = action, provider is any ClosesOnUndo { return l10n.text("runbook.undo.ticket") }
        if case .http(let request) = undo { return "\(request.method) \(request.url.source)" }
        return l10n.text("runbook.undo.provider", ["provider": undo.provider])
    }

    /// What an action changes, in words.
    static func change(_ action: StepAction, _ l10n: Localizer) -> String {
        switch action {
        case .http(let request): return "\(request.method) \(request.url.source)"
        case .provider(let provider):
            if provider is PageAction { return l10n.text("runbook.change.page") }
            if provider is any ClosesOnUndo { return l10n.text("runbook.change.ticket") }
            if provider.isEffect { return l10n.text("runbook.change.effect") }
            if provider.isPublicNotice { return l10n.text("runbook.change.customers") }
            return l10n.text("runbook.change.team")
        }
    }
}
