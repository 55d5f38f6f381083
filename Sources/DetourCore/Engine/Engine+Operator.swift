import Foundation

/// What an operator command left behind, for the command's exit status and message.
public struct OperatorOutcome: Sendable {
    /// The incident acted on.
    public var incident: Incident
    /// Steps of it that failed for good (`detour retry` sends them again).
    public var failedSteps: [String] { incident.failedSteps }
}

// MARK: - Operator commands: failover, restore, hold, release, approve, retry

extension Engine {
    /// Opens a manual incident and runs its failover steps, whatever the probes say.
    ///
    /// A manual failover announces regardless of cooldown; `quiet` sends no public notice at all.
    @discardableResult
    public func failover(channel id: String, reason: String, by operatorName: String, quiet: Bool = false) async throws -> Incident {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        if let open = state.openIncident(for: id) {
            throw EngineError(description: "channel \"\(id)\" already has incident \(open.id) (\(open.status.rawValue)); see detour status")
        }
        let now = dependencies.clock.now()
        startPass(at: now)
        let incidentID = machine.newIncidentID(channel: id, at: now)
        try record(
            .incidentOpened(
                IncidentOpened(
                    incident: incidentID, channel: id, trigger: .manual, by: operatorName, reason: dependencies.secrets.redactor.mask(reason),
                    firstFailureAt: nil, lastSuccessAt: nil, quiet: quiet ? true : nil)), at: now)
        try await drive()
        try store.saveSnapshot(state)
        guard let incident = state.incident(incidentID) else { throw EngineError(description: "incident \(incidentID) was not recorded") }
        return incident
    }

    /// Ends a channel's incident: undo and recovery steps run now.
    ///
    /// The channel is probed first: while it still fails, restoring would switch the failover off
    /// while customers still cannot buy, so it is refused unless `force`. Either way the channel's
    /// health starts afresh, so a channel that is still down is confirmed again and opens a new
    /// incident that follows this one. A drill, whose outage is make-believe, passes `probe: false`.
    @discardableResult
    public func restore(channel id: String, reason: String?, by operatorName: String, force: Bool = false, probe: Bool = true) async throws -> Incident {
        guard let channel = workspace.channel(id) else { throw unknownChannel(id) }
        try refresh()
        guard let incident = state.openIncident(for: id) else {
            throw EngineError(description: "channel \"\(id)\" has no open incident; nothing to restore")
        }
        let now = dependencies.clock.now()
        guard now >= incident.openedAt else {
            throw EngineError(
                description:
                    "the clock (\(LocalTime.iso8601(now, in: workspace.settings.timeZone))) is before incident \(incident.id) opened; check the system time")
        }
        startPass(at: now)
        let verdict = probe ? await ProbeRound(dependencies: dependencies).run([channel], now: now).first : nil
        if let verdict { dependencies.observer(.probed(verdict, at: now)) }
        let stillFailing = verdict.map { !$0.passed } ?? false
        if stillFailing, !force {
            let evidence = dependencies.secrets.redactor.mask(verdict?.reason ?? "its probes fail")
            throw EngineError(
                description: """
                    \(id) still fails: \(evidence)
                    Restoring now would undo the failover while customers still cannot buy there.
                    To restore anyway, run: detour restore \(id) --force
                    (Detour then confirms the outage again and opens a new incident if it goes on.)
                    """)
        }
        let recovering = incident.recoveringAt == nil || incident.restoredBy == nil
        if recovering {
            try record(
                .incidentRecovering(
                    IncidentRecovering(
                        incident: incident.id, trigger: .manual, recoveredAt: incident.recoveringAt ?? now, by: operatorName, reason: reason,
                        forced: stillFailing ? true : nil)), at: now)
        }
        // Health starts afresh: never "down" without an open incident.
        var health = ChannelHealth()
        health.lastSuccessAt = stillFailing ? state.channels[id]?.lastSuccessAt : now
        health.lastProbeAt = now
        health.nextDueAt = stillFailing ? now : now.addingTimeInterval(workspace.schedule(for: channel, at: now).every.timeInterval)
        try record(.channelHealth(ChannelHealthChanged(channel: id, health: health, change: "restored", evidence: verdict?.reason)), at: now)
        try await drive()
        try store.saveSnapshot(state)
        return state.incident(incident.id) ?? incident
    }

    /// Sends failed steps of an incident again, under their idempotency keys; attempts go on counting.
    @discardableResult
    public func retry(incident id: String, step: String?, by operatorName: String) async throws -> Incident {
        try refresh()
        guard let incident = state.incident(id) else { throw noIncident(id) }
        guard incident.status != .resolved else {
            throw EngineError(description: "incident \(id) is resolved; nothing to retry")
        }
        let failed = incident.failedSteps
        let targets: [String]
        if let step {
            let key = failed.first { $0 == step || $0.hasSuffix("/" + step) || $0.hasPrefix(step + "/") && $0.split(separator: "/").count == 2 }
            guard let key else {
                let hint = failed.isEmpty ? "no step of it failed" : "failed steps: \(failed.joined(separator: ", "))"
                throw EngineError(description: "step \"\(step)\" of incident \(id) has not failed; \(hint)")
            }
            targets = [key]
        } else {
            guard !failed.isEmpty else { throw EngineError(description: "no step of incident \(id) failed; nothing to retry") }
            targets = failed
        }
        let now = dependencies.clock.now()
        startPass(at: now)
        for key in targets { try record(.stepRetried(StepRetried(incident: id, step: key, by: operatorName)), at: now) }
        try await drive()
        try store.saveSnapshot(state)
        return state.incident(id) ?? incident
    }

    func unknownChannel(_ id: String) -> EngineError {
        let ids = workspace.channels.map(\.id)
        let suggestion = closestMatch(to: id, in: ids).map { "did you mean \"\($0)\"? " } ?? ""
        return EngineError(description: "unknown channel \"\(id)\"; \(suggestion)channels: \(ids.joined(separator: ", "))")
    }

    private func noIncident(_ id: String) -> EngineError {
        let open = state.incidents.filter { $0.status != .resolved }.map(\.id)
        let suggestion = closestMatch(to: id, in: open).map { "did you mean \"\($0)\"? " } ?? ""
        return EngineError(description: "no incident \"\(id)\"; \(suggestion)open incidents: \(open.isEmpty ? "none" : open.joined(separator: ", "))")
    }

    /// Pauses automation for a channel until a time (or a release).
    public func hold(channel id: String, until: Date?, reason: String?, by operatorName: String) throws {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        let now = dependencies.clock.now()
        if let until, until <= now { throw EngineError(description: "--until must be in the future") }
        // Extending a hold keeps its reason unless a new one is given.
        let keptReason = reason ?? state.hold(on: id, at: now)?.reason
        try record(.channelHeld(ChannelHeld(channel: id, until: until, by: operatorName, reason: keptReason)), at: now)
        try store.saveSnapshot(state)
    }

    /// Resumes automation for a channel.
    public func release(channel id: String, by operatorName: String) throws {
        guard workspace.channel(id) != nil else { throw unknownChannel(id) }
        try refresh()
        guard state.holds[id] != nil else { throw EngineError(description: "channel \"\(id)\" is not held; nothing to release") }
        try record(.channelReleased(ChannelReleased(channel: id, by: operatorName)), at: dependencies.clock.now())
        try store.saveSnapshot(state)
    }

    /// Releases an incident's approval gate and runs its failover steps now.
    @discardableResult
    public func approve(incident id: String, by operatorName: String) async throws -> Incident {
        try refresh()
        guard let incident = state.incident(id) else { throw noIncident(id) }
        guard workspace.pendingApproval(of: incident) != nil else {
            throw EngineError(description: "incident \(id) is not waiting for approval (\(incident.status.rawValue)); see detour status")
        }
        let now = dependencies.clock.now()
        startPass(at: now)
        try record(.incidentApproved(IncidentApproved(incident: id, by: operatorName, automatic: false)), at: now)
        try await drive()
        try store.saveSnapshot(state)
        return state.incident(id) ?? incident
    }

    /// Every shared effect held now, with the incidents that hold it.
    public func heldEffects() -> [(effect: String, holders: [Incident])] { machine.heldEffects() }
}
