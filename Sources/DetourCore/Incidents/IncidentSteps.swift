import Foundation

extension Workspace {
    /// An incident's step keys in the order they run: playbook by playbook, step by step, then the
    /// undo steps in reverse, then recovery. Steps the workspace no longer has (a playbook edited
    /// since) follow, by key.
    public func stepOrder(of incident: Incident) -> [String] {
        var keys = IncidentPlan(workspace: self, incident: incident).orderedKeys(for: incident)
        let known = Set(keys)
        keys += incident.steps.keys.filter { !known.contains($0) }.sorted()
        return keys
    }

    /// The incident's recorded steps in the order they run.
    public func orderedSteps(of incident: Incident) -> [(key: String, step: StepRecord)] {
        stepOrder(of: incident).compactMap { key in incident.steps[key].map { (key, $0) } }
    }

    /// The steps of the incident's current phase not yet done with, in the order they run.
    public func pendingSteps(of incident: Incident) -> [String] {
        guard incident.status != .resolved else { return [] }
        let plan = IncidentPlan(workspace: self, incident: incident)
        let phase = incident.recoveringAt == nil ? plan.failover : plan.undo(after: incident) + plan.recovery
        return phase.map(\.key).filter { !(incident.steps[$0]?.isSettled ?? false) }
    }
}
