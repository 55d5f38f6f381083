import Foundation

extension Engine {
    /// Journals a change in the workspace's validity; the caller holds the run lock.
    ///
    /// `workspace.invalid` is journaled once per set of errors (by fingerprint) and starts the
    /// `workspace-invalid` playbooks of the workspace that runs (the last good one), so the
    /// operator hears of it; `workspace.valid` is journaled once when the errors are gone.
    /// Pass nil when the workspace loaded without errors.
    public func noteWorkspace(_ invalid: WorkspaceInvalid?, running workspace: Workspace, at now: Date) async throws {
        try refresh()
        guard let invalid else {
            if let known = state.workspaceInvalid { try await record(.workspaceValid(WorkspaceValid(fixed: known.fingerprint)), at: now) }
            return
        }
        guard state.workspaceInvalid?.fingerprint != invalid.fingerprint else { return }
        // The `workspace-invalid` notices follow from the journaled record (IncidentMachine.noticesDue),
        // each playbook once per set of errors, with the first channel it applies to.
        try await record(.workspaceInvalid(invalid), at: now)
    }
}
