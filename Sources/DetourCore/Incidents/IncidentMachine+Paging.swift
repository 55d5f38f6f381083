import Foundation

/// Pages as decisions: `Escalation` says which level is due, `OnCall` who it reaches; the machine
/// turns them into `incident.paged` records and one step call per level and way
/// (`mall-down/page/2/phone`), so every message is journaled, keyed and sent at most once.
extension IncidentMachine {
    /// The `page` step in a failover sequence: page level 1, and finish once its messages are settled.
    func pageStep(_ planned: PlannedStep, page: PageAction, of incident: Incident, channel: Channel, at now: Date) -> StepDecision {
        guard let levels = workspace.escalationPolicy(page.escalation), !levels.isEmpty else {
            return .journal([
                finished(
                    planned, incident: incident.id, attempt: 0, outcome: .failed,
                    error: "step \(planned.key) (page): escalation \"\(page.escalation)\" is not in oncall.json5; add it, then run detour retry \(incident.id)")
            ])
        }
        let pages = pagesOf(planned, in: incident)
        guard let first = pages.first else {
            if let paged = paged(planned, level: 0, levels: levels, incident: incident, at: now) { return .journal([paged]) }
            return .journal([
                finished(
                    planned, incident: incident.id, attempt: 0, outcome: .failed,
                    error: "step \(planned.key) (page): nobody is on call for \"\(levels[0].notify)\"; check oncall.json5 (detour oncall)")
            ])
        }
        switch level(first, of: planned, page: page, incident: incident, channel: channel, at: now) {
        case .work(.journal(let events)): return .journal(events)
        case .work(.send(let calls)): return .sendAll(calls)
        case .wait(let until): return .wait(until)
        default:
            let delivered = first.via.filter { incident.steps["\(planned.key)/1/\($0)"]?.outcome == .succeeded }
            let note = "paged \(first.name) (\(first.target)) by \(delivered.isEmpty ? "nothing: every way failed" : delivered.joined(separator: ", "))"
            if delivered.isEmpty {
                return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .failed, error: "step \(planned.key) (page): \(note)")])
            }
            return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .succeeded, note: note)])
        }
    }

    /// Later levels: once the `page` step is done, each pass pages the next level when its wait has
    /// passed without an acknowledgement, and finishes the levels already paged.
    func escalate(_ incident: Incident, plan: IncidentPlan, channel: Channel, at now: Date) -> SequenceProgress {
        var wake: Date?
        for planned in plan.failover {
            guard let page = planned.action.action as? PageAction, incident.steps[planned.key]?.isSettled == true,
                let levels = workspace.escalationPolicy(page.escalation)
            else { continue }
            let pages = pagesOf(planned, in: incident)
            for record in pages where record.level > 1 {
                switch level(record, of: planned, page: page, incident: incident, channel: channel, at: now) {
                case .work(let work): return .work(work)
                case .wait(let until): wake = min(wake ?? until, until)
                default: continue
                }
            }
            let decision = Escalation(levels: levels).next(
                paged: pages.map(\.at), acknowledged: incident.acknowledgedAt != nil, over: incident.recoveringAt != nil, at: now)
            switch decision {
            case .page(let index):
                if let paged = paged(planned, level: index, levels: levels, incident: incident, at: now) { return .work(.journal([paged])) }
            case .wait(let until): wake = min(wake ?? until, until)
            case .done: continue
            }
        }
        return wake.map { .wait($0) } ?? .done
    }

    /// After recovery: a "resolved" message to each person paged, by each way that reached them.
    func pageResolutions(_ incident: Incident, plan: IncidentPlan, channel: Channel, at now: Date) -> SequenceProgress {
        guard let pages = incident.pages, !pages.isEmpty else { return .done }
        var seen: Set<String> = []
        var sends: [StepCall] = []
        var wake: Date?
        let summary = IncidentSummary(workspace: workspace, incident: incident)
        for record in pages {
            guard let planned = plan.failover.first(where: { $0.key == record.step }), planned.action.action is PageAction else { continue }
            for word in record.via where seen.insert("\(record.step) \(record.person) \(word)").inserted {
                guard let way = PageWay(rawValue: word), incident.steps["\(record.step)/\(record.level)/\(word)"]?.outcome == .succeeded,
                    let person = workspace.oncall?.person(record.person), let address = person.address(for: way), let transports = workspace.oncall?.transports
                else { continue }
                // Nobody is rung at night to hear that all is well: a call's "resolved" goes as a text.
                let transport = PageTransport(
                    way: way == .phone ? .sms : way, address: address, message: summary.resolved, speech: summary.resolved, subject: summary.resolved,
                    extra: nil, resolves: true,
                    transports: transports, japanese: summary.japanese)
                let sub = subStep(planned, key: "\(record.step)/resolved/\(record.person)/\(word)", phase: .recovery, transport: transport)
                switch decide(sub, of: incident, channel: channel, at: now) {
                case .journal(let events): return .work(.journal(events))
                case .send(let call): sends.append(call)
                case .sendAll(let calls): sends += calls
                case .wait(let until): wake = min(wake ?? until, until)
                default: continue
                }
            }
        }
        if !sends.isEmpty { return .work(.send(sends)) }
        return wake.map { .wait($0) } ?? .done
    }

    /// `detour ack`: someone takes the incident; escalation stops.
    func acknowledge(incident id: String, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        let incident = try incident(named: id)
        if let at = incident.acknowledgedAt {
            throw EngineError(
                description:
                    "incident \(id) was already acknowledged by \(incident.acknowledgedBy ?? "?") at \(LocalTime.iso8601(at, in: workspace.settings.timeZone)); nothing to do"
            )
        }
        guard incident.status != .resolved else { throw EngineError(description: "incident \(id) is resolved; nothing to acknowledge") }
        return [.incidentAcknowledged(IncidentAcknowledged(incident: id, by: operatorName))]
    }

    // MARK: - Levels

    /// The levels of a page step journaled so far, in order.
    private func pagesOf(_ planned: PlannedStep, in incident: Incident) -> [PageRecord] {
        (incident.pages ?? []).filter { $0.step == planned.key }.sorted { $0.level < $1.level }
    }

    /// The `incident.paged` record of a level (0-based), with the person on call now; nil when nobody is.
    private func paged(_ planned: PlannedStep, level index: Int, levels: [EscalationLevel], incident: Incident, at now: Date) -> JournalEvent? {
        guard let schedule = workspace.oncall, levels.indices.contains(index) else { return nil }
        let level = levels[index]
        guard let person = OnCall(schedule: schedule).person(for: level.notify, at: now) else { return nil }
        return .incidentPaged(
            IncidentPaged(
                incident: incident.id, step: planned.key, level: index + 1, person: person.id, name: person.name, target: level.notify,
                via: level.via.map(\.rawValue)))
    }

    /// The calls of one level: its ways' messages, each a step of its own.
    private func level(_ record: PageRecord, of planned: PlannedStep, page: PageAction, incident: Incident, channel: Channel, at now: Date) -> SequenceProgress
    {
        let summary = IncidentSummary(workspace: workspace, incident: incident)
        var sends: [StepCall] = []
        var wake: Date?
        for word in record.via {
            let key = "\(planned.key)/\(record.level)/\(word)"
            let sub: PlannedStep
            if let way = PageWay(rawValue: word), let transports = workspace.oncall?.transports,
                let address = workspace.oncall?.person(record.person)?.address(for: way)
            {
                let transport = PageTransport(
                    way: way, address: address, message: summary.page, speech: summary.speech, subject: summary.subject, extra: page.text?.template,
                    resolves: false, transports: transports, japanese: summary.japanese)
                sub = subStep(planned, key: key, phase: .failover, transport: transport)
            } else {
                guard incident.steps[key] == nil else { continue }
                let missing = PlannedStep(
                    key: key, phase: .failover, step: planned.step, action: planned.action, playbook: planned.playbook, event: planned.event)
                return .work(
                    .journal([
                        finished(
                            missing, incident: incident.id, attempt: 0, outcome: .failed,
                            error: "step \(key): \(record.name) (\(record.person)) has no \(word) address in oncall.json5 any more")
                    ]))
            }
            switch decide(sub, of: incident, channel: channel, at: now) {
            case .journal(let events): return .work(.journal(events))
            case .send(let call): sends.append(call)
            case .sendAll(let calls): sends += calls
            case .wait(let until): wake = min(wake ?? until, until)
            default: continue
            }
        }
        if !sends.isEmpty { return .work(.send(sends)) }
        return wake.map { .wait($0) } ?? .done
    }

    /// A message of a page as a step of its own: the page step's retry settings, never gated again.
    private func subStep(_ planned: PlannedStep, key: String, phase: StepPhase, transport: PageTransport) -> PlannedStep {
        var step = planned.step
        step.when = nil
        step.parallel = nil
        step.holds = .none
        return PlannedStep(key: key, phase: phase, step: step, action: .provider(transport), playbook: planned.playbook, event: planned.event)
    }
}
