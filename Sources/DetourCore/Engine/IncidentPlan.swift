/// One step to run in one phase, with the key its records are kept under.
struct PlannedStep: Sendable {
    /// `playbook/step`, `playbook/step/undo` or `playbook/step/recovery`.
    var key: String
    var phase: StepPhase
    var step: Step
    var action: StepAction
}

/// The steps an incident of a channel runs, derived from the workspace's playbooks.
struct IncidentPlan {
    /// Failover steps in order: each `down` playbook (by id), its steps in order.
    let failover: [PlannedStep]
    /// Recovery steps: each `down` playbook's `recovery`, then `up` playbooks' steps.
    let recovery: [PlannedStep]

    init(workspace: Workspace, incident: Incident) {
        if let id = incident.playbook {
            // A scheduled run: that playbook's steps, nothing to undo or announce after.
            let playbook = workspace.playbooks.first { $0.id == id }
            failover = (playbook?.steps ?? []).map { PlannedStep(key: "\(id)/\($0.id)", phase: .failover, step: $0, action: $0.action) }
            recovery = []
            return
        }
        let channel = incident.channel
        let down = workspace.playbooks(for: .down, channel: channel)
        failover = down.flatMap { playbook in
            playbook.steps.map { PlannedStep(key: "\(playbook.id)/\($0.id)", phase: .failover, step: $0, action: $0.action) }
        }
        let up = workspace.playbooks(for: .up, channel: channel)
        recovery =
            down.flatMap { playbook in
                playbook.recovery.map { PlannedStep(key: "\(playbook.id)/\($0.id)/recovery", phase: .recovery, step: $0, action: $0.action) }
            }
            + up.flatMap { playbook in
                playbook.steps.map { PlannedStep(key: "\(playbook.id)/\($0.id)/recovery", phase: .recovery, step: $0, action: $0.action) }
            }
    }

    /// Undo steps, in reverse order, for failover steps that ran (or may have run).
    func undo(after incident: Incident) -> [PlannedStep] {
        failover.reversed().compactMap { planned in
            guard let undo = planned.step.undo, let record = incident.steps[planned.key],
                record.outcome == .succeeded || record.isUncertain
            else { return nil }
            return PlannedStep(key: planned.key + "/undo", phase: .undo, step: planned.step, action: undo)
        }
    }
}
