import Foundation

/// Operator commands as pure decisions: the records each one journals, or why it is refused.
extension IncidentMachine {
    /// A channel by id, or an error that suggests the closest one.
    func channel(named id: String) throws(EngineError) -> Channel {
        if let channel = workspace.channel(id) { return channel }
        let ids = workspace.channels.map(\.id)
        let suggestion = closestMatch(to: id, in: ids).map { "did you mean \"\($0)\"? " } ?? ""
        throw EngineError(description: "unknown channel \"\(id)\"; \(suggestion)channels: \(ids.joined(separator: ", "))")
    }

    /// An incident by id, or an error that lists the open ones.
    func incident(named id: String) throws(EngineError) -> Incident {
        if let incident = state.incident(id) { return incident }
        let open = state.unresolvedIncidents.map(\.id)
        let suggestion = closestMatch(to: id, in: open).map { "did you mean \"\($0)\"? " } ?? ""
        throw EngineError(description: "no incident \"\(id)\"; \(suggestion)open incidents: \(open.isEmpty ? "none" : open.joined(separator: ", "))")
    }

    /// `detour failover`: a manual incident, whatever the probes say.
    func failover(channel id: String, reason: String, by operatorName: String, quiet: Bool, at now: Date) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        if let open = state.openIncident(for: id) {
            throw EngineError(description: "channel \"\(id)\" already has incident \(open.id) (\(open.status.rawValue)); see detour status")
        }
        var opened = IncidentOpened(
            incident: newIncidentID(channel: id, at: now), channel: id, trigger: .manual, by: operatorName, reason: reason, firstFailureAt: nil,
            lastSuccessAt: nil, quiet: quiet ? true : nil)
        recordRevenue(&opened, at: now)
        return [.incidentOpened(opened)]
    }

    /// `detour restore`: ends a channel's incident, given a fresh probe of it (nil: not probed, as in a drill).
    ///
    /// While the channel still fails, restoring would switch the failover off while customers still
    /// cannot buy, so it is refused unless `force`. Either way the channel's health starts afresh,
    /// so one still down is confirmed again and opens a new incident that follows this one.
    func restore(
        channel id: String, reason: String?, by operatorName: String, force: Bool, probe verdict: ChannelVerdict?, mask: (String) -> String,
        at now: Date
    ) throws(EngineError) -> [JournalEvent] {
        let channel = try channel(named: id)
        guard let incident = state.openIncident(for: id) else {
            throw EngineError(description: "channel \"\(id)\" has no open incident; nothing to restore")
        }
        guard now >= incident.openedAt else {
            throw EngineError(
                description:
                    "the clock (\(LocalTime.iso8601(now, in: workspace.settings.timeZone))) is before incident \(incident.id) opened; check the system time")
        }
        let stillFailing = verdict.map { !$0.passed } ?? false
        if stillFailing, !force {
            let evidence = mask(verdict?.reason ?? "its probes fail")
            throw EngineError(
                description: """
                    \(id) still fails: \(evidence)
                    Restoring now would undo the failover while customers still cannot buy there.
                    To restore anyway, run: detour restore \(id) --force
                    (Detour then confirms the outage again and opens a new incident if it goes on.)
                    """)
        }
        // Health starts afresh first: a run killed between the two records leaves a healthy channel
        // with its incident still open (finished by probes or by running restore again), never a
        // down channel without an incident.
        var health = ChannelHealth()
        health.lastSuccessAt = stillFailing ? state.channels[id]?.lastSuccessAt : now
        health.lastProbeAt = now
        health.nextDueAt = stillFailing ? now : now.addingTimeInterval(workspace.schedule(for: channel, at: now).every.timeInterval)
        var events: [JournalEvent] = [
            .channelHealth(ChannelHealthChanged(channel: id, health: health, change: .restored, evidence: verdict?.reason.map(mask)))
        ]
        if incident.recoveringAt == nil || incident.restoredBy == nil {
            events.append(
                .incidentRecovering(
                    IncidentRecovering(
                        incident: incident.id, trigger: .manual, recoveredAt: incident.recoveringAt ?? now, by: operatorName, reason: reason,
                        forced: stillFailing ? true : nil)))
        }
        return events
    }

    /// `detour retry`: failed steps of an incident are sent again; attempts go on counting.
    func retry(incident id: String, step: String?, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        let incident = try incident(named: id)
        guard incident.status != .resolved else { throw EngineError(description: "incident \(id) is resolved; nothing to retry") }
        let failed = incident.failedSteps
        let targets: [String]
        if let step {
            // `mall-down/line` or just `line`.
            guard let key = failed.first(where: { $0 == step || $0.split(separator: "/").dropFirst().first.map(String.init) == step }) else {
                let hint = failed.isEmpty ? "no step of it failed" : "failed steps: \(failed.joined(separator: ", "))"
                throw EngineError(description: "step \"\(step)\" of incident \(id) has not failed; \(hint)")
            }
            targets = [key]
        } else {
            guard !failed.isEmpty else { throw EngineError(description: "no step of incident \(id) failed; nothing to retry") }
            targets = failed
        }
        return targets.map { .stepRetried(StepRetried(incident: id, step: $0, by: operatorName)) }
    }

    /// `detour hold`: automation paused for a channel; extending a hold keeps its reason unless a new one is given.
    func hold(channel id: String, until: Date?, reason: String?, by operatorName: String, at now: Date) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        if let until, until <= now { throw EngineError(description: "--until must be in the future") }
        let keptReason = reason ?? state.hold(on: id, at: now)?.reason
        return [.channelHeld(ChannelHeld(channel: id, until: until, by: operatorName, reason: keptReason))]
    }

    /// `detour release`.
    func release(channel id: String, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        guard state.holds[id] != nil else { throw EngineError(description: "channel \"\(id)\" is not held; nothing to release") }
        return [.channelReleased(ChannelReleased(channel: id, by: operatorName))]
    }

    /// `detour approve`.
    func approve(incident id: String, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        let incident = try incident(named: id)
        guard workspace.pendingApproval(of: incident) != nil else {
            throw EngineError(description: "incident \(id) is not waiting for approval (\(incident.status.rawValue)); see detour status")
        }
        return [.incidentApproved(IncidentApproved(incident: id, by: operatorName, automatic: false))]
    }
}
