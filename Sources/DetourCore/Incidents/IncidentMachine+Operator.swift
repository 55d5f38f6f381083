import Foundation

/// Operator commands as pure decisions: the records each one journals, or why it is refused.
extension IncidentMachine {
    /// A channel by id, or an error that suggests the closest one.
    func channel(named id: String) throws(EngineError) -> Channel {
        if let channel = workspace.channel(id) { return channel }
        let ids = workspace.channels.map(\.id)
        throw EngineError(
            .text(
                "operator.channel.unknown",
                values: ["channel": .plain(id), "suggestion": didYouMean(id, in: ids), "channels": .plain(ids.joined(separator: ", "))]))
    }

    /// An incident by id, or an error that lists the open ones.
    func incident(named id: String) throws(EngineError) -> Incident {
        if let incident = state.incident(id) { return incident }
        let open = state.unresolvedIncidents.map(\.id)
        let list: Message = open.isEmpty ? .text("operator.none") : .text("operator.list", ["items": open.joined(separator: ", ")])
        throw EngineError(
            .text("operator.incident.unknown", values: ["incident": .plain(id), "suggestion": didYouMean(id, in: open), "open": .message(list)]))
    }

    /// `detour failover`: a manual incident, whatever the probes say.
    func failover(channel id: String, reason: String, by operatorName: String, quiet: Bool, at now: Date) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        if let open = state.openIncident(for: id) {
            throw EngineError(
                .text(
                    "operator.failover.open",
                    values: ["channel": .plain(id), "incident": .plain(open.id), "status": .message(.text(Self.statusKey(open.status)))]))
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
            throw EngineError(.text("operator.restore.none", ["channel": id]))
        }
        guard now >= incident.openedAt else {
            throw EngineError(
                description:
                    "the clock (\(LocalTime.iso8601(now, in: workspace.settings.timeZone))) is before incident \(incident.id) opened; check the system time")
        }
        let stillFailing = verdict.map { !$0.passed } ?? false
        if stillFailing, !force {
            let evidence: Message.Value = verdict?.reason.map { .plain(mask($0)) } ?? .message(.text("operator.restore.probes-fail"))
            throw EngineError(.text("operator.restore.still-failing", values: ["channel": .plain(id), "evidence": evidence]))
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
        guard incident.status != .resolved else { throw EngineError(.text("operator.retry.resolved", ["incident": id])) }
        let failed = incident.failedSteps
        let targets: [String]
        if let step {
            // `mall-down/line` or just `line`.
            guard let key = failed.first(where: { $0 == step || $0.split(separator: "/").dropFirst().first.map(String.init) == step }) else {
                let hint: Message =
                    failed.isEmpty ? .text("operator.retry.none-failed") : .text("operator.retry.failed-steps", ["steps": failed.joined(separator: ", ")])
                throw EngineError(.text("operator.retry.not-failed", values: ["step": .plain(step), "incident": .plain(id), "hint": .message(hint)]))
            }
            targets = [key]
        } else {
            guard !failed.isEmpty else { throw EngineError(.text("operator.retry.nothing", ["incident": id])) }
            targets = failed
        }
        return targets.map { .stepRetried(StepRetried(incident: id, step: $0, by: operatorName)) }
    }

    /// `detour hold`: automation paused for a channel; extending a hold keeps its reason unless a new one is given.
    func hold(channel id: String, until: Date?, reason: String?, by operatorName: String, at now: Date) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        if let until, until <= now { throw EngineError(.text("operator.hold.past")) }
        let keptReason = reason ?? state.hold(on: id, at: now)?.reason
        return [.channelHeld(ChannelHeld(channel: id, until: until, by: operatorName, reason: keptReason))]
    }

    /// `detour release`.
    func release(channel id: String, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        _ = try channel(named: id)
        guard state.holds[id] != nil else { throw EngineError(.text("operator.release.not-held", ["channel": id])) }
        return [.channelReleased(ChannelReleased(channel: id, by: operatorName))]
    }

    /// The catalog key of an incident status's word.
    static func statusKey(_ status: IncidentStatus) -> String {
        switch status {
        case .open: "words.incident.open"
        case .mitigated: "words.incident.mitigated"
        case .recovering: "words.incident.recovering"
        case .resolved: "words.incident.resolved"
        }
    }

    /// `detour approve`.
    func approve(incident id: String, by operatorName: String) throws(EngineError) -> [JournalEvent] {
        let incident = try incident(named: id)
        guard workspace.pendingApproval(of: incident) != nil else {
            throw EngineError(
                .text(
                    "operator.approve.not-waiting",
                    values: ["incident": .plain(id), "status": .message(.text(Self.statusKey(incident.status)))]))
        }
        return [.incidentApproved(IncidentApproved(incident: id, by: operatorName, automatic: false))]
    }
}
