/// One step to run in one phase, with the key its records are kept under.
struct PlannedStep: Sendable {
    /// `playbook/step`, `playbook/step/undo` or `playbook/step/recovery`.
    var key: String
    var phase: StepPhase
    var step: Step
    var action: StepAction
    /// The playbook the step belongs to (approval, cooldown).
    var playbook: Playbook
    /// The event the step answers (`down` or `up`), for `when`.
    var event: String
    /// For undo steps: the key of the step they reverse (its outputs are used).
    var reverses: String? = nil

    /// The shared effect this step holds, if any (failover steps and the undo steps that end them).
    var holdKey: String? {
        switch step.holds {
        case .none: nil
        case .named(let name): name
        // A switch with an undo (a discount, a promotion turned on by `http`) is shared; a
        // one-off call (a notice, a webhook) is each incident's own.
        case .automatic: action.action.isEffect && step.undo != nil ? "\(playbook.id)/\(step.id)" : nil
        }
    }
}

/// The steps an incident of a channel runs, derived from the workspace's playbooks.
struct IncidentPlan {
    /// Failover steps in order: each `down` playbook (by id), its steps in order.
    let failover: [PlannedStep]
    /// Recovery steps: each `down` playbook's `recovery`, then `up` playbooks' steps.
    let recovery: [PlannedStep]

    /// The plan of an incident: a scheduled run's one playbook, or the outage plan of its channel.
    init(workspace: Workspace, incident: Incident) {
        if let id = incident.playbook {
            // A scheduled run: that playbook's steps, nothing to undo or announce after.
            let playbook = workspace.playbooks.first { $0.id == id }
            failover = (playbook?.steps ?? []).map {
                PlannedStep(key: "\(id)/\($0.id)", phase: .failover, step: $0, action: $0.action, playbook: playbook!, event: playbook!.event.rawValue)
            }
            recovery = []
            return
        }
        self = IncidentPlan(workspace: workspace, channel: incident.channel)
    }

    /// The plan of an outage of a channel: its `down` playbooks' steps, then undo and recovery.
    init(workspace: Workspace, channel: String) {
        let down = workspace.playbooks(for: .down, channel: channel)
        failover = down.flatMap { playbook in
            playbook.steps.map {
                PlannedStep(key: "\(playbook.id)/\($0.id)", phase: .failover, step: $0, action: $0.action, playbook: playbook, event: "down")
            }
        }
        let up = workspace.playbooks(for: .up, channel: channel)
        recovery =
            down.flatMap { playbook in
                playbook.recovery.map {
                    PlannedStep(key: "\(playbook.id)/\($0.id)/recovery", phase: .recovery, step: $0, action: $0.action, playbook: playbook, event: "up")
                }
            }
            + up.flatMap { playbook in
                playbook.steps.map {
                    PlannedStep(key: "\(playbook.id)/\($0.id)/recovery", phase: .recovery, step: $0, action: $0.action, playbook: playbook, event: "up")
                }
            }
    }

    /// Undo steps, in reverse order, for failover steps that ran (or may have run).
    func undo(after incident: Incident) -> [PlannedStep] {
        failover.reversed().compactMap { planned in
            guard let undo = planned.step.undo, let record = incident.steps[planned.key],
                record.outcome == .succeeded || record.isUncertain
            else { return nil }
            var step = planned.step
            // Undo steps run one by one, in reverse order.
            step.parallel = nil
            step.when = nil
            return PlannedStep(
                key: planned.key + "/undo", phase: .undo, step: step, action: undo, playbook: planned.playbook, event: "up", reverses: planned.key)
        }
    }

    /// The failover steps of each playbook, in playbook order: playbooks run side by side, so one
    /// waiting for approval or a retry never holds back another.
    var failoverByPlaybook: [[PlannedStep]] {
        var result: [[PlannedStep]] = []
        for planned in failover {
            if let last = result.last?.last, last.playbook.id == planned.playbook.id {
                result[result.count - 1].append(planned)
            } else {
                result.append([planned])
            }
        }
        return result
    }

    /// Every step key in the order the steps run: failover, undo (reversed), recovery.
    func orderedKeys(for incident: Incident) -> [String] {
        (failover + undo(after: incident) + recovery).map(\.key)
    }

    /// Whether any failover step waits for an approval the incident does not have.
    func awaitsApproval(_ incident: Incident) -> ApprovalRule? {
        guard incident.approvedAt == nil, incident.recoveringAt == nil else { return nil }
        return failover.lazy.compactMap { $0.playbook.approval }.first { $0.required }
    }

    /// Runs of steps that go together: one step, or consecutive steps sharing a `parallel` group.
    static func groups(_ steps: [PlannedStep]) -> [[PlannedStep]] {
        var groups: [[PlannedStep]] = []
        for planned in steps {
            if let name = planned.step.parallel, let last = groups.last?.last, last.step.parallel == name, last.playbook.id == planned.playbook.id {
                groups[groups.count - 1].append(planned)
            } else {
                groups.append([planned])
            }
        }
        return groups
    }
}

extension Workspace {
    /// The approval rule an open incident waits for, if any (for `status` and `approve`).
    public func pendingApproval(of incident: Incident) -> ApprovalRule? {
        IncidentPlan(workspace: self, channel: incident.channel).awaitsApproval(incident)
    }
}
