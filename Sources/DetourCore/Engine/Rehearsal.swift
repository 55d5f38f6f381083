import Foundation

/// One request of a rehearsed outage, rendered but not sent.
public struct RehearsedStep: Sendable {
    /// Failover, undo or recovery.
    public var phase: StepPhase
    /// `playbook/step` (with `/undo` or `/recovery`).
    public var key: String
    /// The action name.
    public var provider: String
    /// The request, when the step sends one.
    public var request: RenderedRequest?
    /// What else to know: a `log` line, a gate, a condition, or why it cannot be rendered.
    public var note: String?
}

/// Renders every request an outage of a channel would send: failover steps, undo in reverse, recovery.
public struct Rehearsal: Sendable {
    /// The workspace (filtered to one playbook by the caller if wanted).
    public var workspace: Workspace
    /// Credentials; values are masked wherever they are shown.
    public var secrets: SecretResolver

    /// Creates a rehearsal.
    public init(workspace: Workspace, secrets: SecretResolver) {
        self.workspace = workspace
        self.secrets = secrets
    }

    /// The steps of an outage of `channel` starting at `start`, in the order they would run.
    public func steps(channel: Channel, start: Date) -> [RehearsedStep] {
        let plan = IncidentPlan(workspace: workspace, channel: channel.id)
        let incident = Incident(
            id: "drill-\(channel.id)", channel: channel.id, trigger: .manual, by: "drill", reason: "drill: rehearsal of an outage", openedAt: start)
        let context = TemplateContext(workspace: workspace, channel: channel, incident: incident)
        var ran = incident
        for planned in plan.failover { ran.steps[planned.key] = StepRecord(phase: .failover, outcome: .succeeded, idempotencyKey: "") }
        let runner = RequestRenderer(secrets: secrets, redirect: nil)
        let all = plan.failover + plan.undo(after: ran) + plan.recovery
        return all.flatMap { planned in
            if let page = planned.action.action as? PageAction {
                return rehearsePage(planned, page: page, incident: incident, context: context, runner: runner)
            }
            return render(planned, incident: incident, context: context, runner: runner)
        }
    }

    /// A page: each level's messages to whoever is on call at the start, as they would be sent.
    private func rehearsePage(_ planned: PlannedStep, page: PageAction, incident: Incident, context: TemplateContext, runner: RequestRenderer)
        -> [RehearsedStep]
    {
        guard let schedule = workspace.oncall, let levels = workspace.escalationPolicy(page.escalation) else {
            return [
                RehearsedStep(
                    phase: planned.phase, key: planned.key, provider: "page", request: nil, note: "no escalation \"\(page.escalation)\" in oncall.json5")
            ]
        }
        let summary = IncidentSummary(workspace: workspace, incident: incident)
        var result: [RehearsedStep] = []
        var after = Duration.zero
        for (index, level) in levels.enumerated() {
            let person = OnCall(schedule: schedule).person(for: level.notify, at: incident.openedAt.addingTimeInterval(after.timeInterval))
            let when = index == 0 ? "at once" : "after \(DurationText.format(after)) without detour ack"
            for way in level.via {
                let key = "\(planned.key)/\(index + 1)/\(way.rawValue)"
                guard let person, let address = person.address(for: way) else {
                    result.append(
                        RehearsedStep(phase: planned.phase, key: key, provider: "page.\(way.rawValue)", request: nil, note: "nobody to page by \(way.rawValue)")
                    )
                    continue
                }
                let transport = PageTransport(
                    way: way, address: address, message: summary.page, speech: summary.speech, subject: summary.subject, extra: page.text?.template,
                    resolves: false, transports: schedule.transports, japanese: summary.japanese)
                let sub = PlannedStep(
                    key: key, phase: planned.phase, step: planned.step, action: .provider(transport), playbook: planned.playbook, event: planned.event)
                result += render(sub, incident: incident, context: context, runner: runner).map { step in
                    var step = step
                    step.note = ["\(person.name) (\(level.notify)), \(when)", step.note].compactMap { $0 }.joined(separator: "; ")
                    return step
                }
            }
            after += level.wait ?? .zero
        }
        return result
    }

    private func render(_ planned: PlannedStep, incident: Incident, context: TemplateContext, runner: RequestRenderer) -> [RehearsedStep] {
        let action = planned.action.action
        var notes: [String] = []
        if let rule = planned.playbook.approval, rule.required, planned.phase == .failover {
            notes.append("waits for detour approve\(rule.autoAfter.map { " (or runs on its own after \(DurationText.format($0)))" } ?? "")")
        }
        if planned.step.when != nil { notes.append("runs only when its when condition holds") }
        let key = "\(incident.id)/\(planned.key)"
        // Stand-ins for ids only the provider can give (a status page incident created by an earlier step).
        var outputs = [
            "statuspageIncidentId": "STATUSPAGE_INCIDENT_ID", "key": "TICKET_KEY", "url": "TICKET_URL", "number": "ISSUE_NUMBER", "sysId": "SYS_ID",
        ]
        var result: [RehearsedStep] = []
        for _ in 0..<5 {
            let environment = CallEnvironment(
                context: context, secrets: secrets, providers: workspace.settings.providers, idempotencyKey: key, incidentID: incident.id,
                outputs: outputs)
            do {
                guard let call = try action.call(environment) else {
                    let line = (try? action.localEffect(environment))?.note
                    notes.append("journal only: \(secrets.redactor.mask(line ?? ""))")
                    result.append(
                        RehearsedStep(phase: planned.phase, key: planned.key, provider: action.name, request: nil, note: notes.joined(separator: "; ")))
                    return result
                }
                let rendered = runner.render(call, timeout: planned.step.timeout)
                if let refusal = rendered.refusal { notes.append("fails: \(secrets.redactor.mask(refusal))") }
                result.append(
                    RehearsedStep(
                        phase: planned.phase, key: planned.key, provider: action.name, request: rendered,
                        note: notes.isEmpty ? nil : notes.joined(separator: "; ")))
                guard let more = action.rehearsalOutputs(after: call) else { return result }
                outputs.merge(more) { $1 }
            } catch {
                result.append(
                    RehearsedStep(phase: planned.phase, key: planned.key, provider: action.name, request: nil, note: secrets.redactor.mask(error.message)))
                return result
            }
        }
        return result
    }
}
