import Foundation

// MARK: - Operator commands: the machine decides, the engine journals and drives

extension Engine {
    /// Opens a manual incident and runs its failover steps, whatever the probes say.
    ///
    /// A manual failover announces regardless of cooldown; `quiet` sends no public notice at all.
    @discardableResult
    public func failover(channel id: String, reason: String, by operatorName: String, quiet: Bool = false) async throws -> Incident {
        try refresh()
        let now = dependencies.clock.now()
        let events = try machine.failover(channel: id, reason: dependencies.secrets.redactor.mask(reason), by: operatorName, quiet: quiet, at: now)
        return try await act(events, at: now, on: events.incidentIDs.first ?? "")
    }

    /// Ends a channel's incident: undo and recovery steps run now. The channel is probed first
    /// (unless `probe` is false, as in a drill); see `IncidentMachine.restore`.
    @discardableResult
    public func restore(channel id: String, reason: String?, by operatorName: String, force: Bool = false, probe: Bool = true) async throws -> Incident {
        try refresh()
        let channel = try machine.channel(named: id)
        let now = dependencies.clock.now()
        let verdict = probe ? await ProbeRound(dependencies: dependencies).run([channel], now: now).first : nil
        if let verdict { dependencies.observer(.probed(verdict, at: now)) }
        let events = try machine.restore(
            channel: id, reason: reason, by: operatorName, force: force, probe: verdict, mask: dependencies.secrets.redactor.mask, at: now)
        return try await act(events, at: now, on: state.openIncident(for: id)?.id ?? "")
    }

    /// Sends failed steps of an incident again, under their idempotency keys; attempts go on counting.
    @discardableResult
    public func retry(incident id: String, step: String?, by operatorName: String) async throws -> Incident {
        try refresh()
        return try await act(try machine.retry(incident: id, step: step, by: operatorName), at: dependencies.clock.now(), on: id)
    }

    /// Releases an incident's approval gate and runs its failover steps now.
    @discardableResult
    public func approve(incident id: String, by operatorName: String) async throws -> Incident {
        try refresh()
        return try await act(try machine.approve(incident: id, by: operatorName), at: dependencies.clock.now(), on: id)
    }

    /// Pauses automation for a channel until a time (or a release).
    public func hold(channel id: String, until: Date?, reason: String?, by operatorName: String) async throws {
        try refresh()
        let now = dependencies.clock.now()
        for event in try machine.hold(channel: id, until: until, reason: reason, by: operatorName, at: now) { try await record(event, at: now) }
        try store.saveSnapshot(state)
    }

    /// Resumes automation for a channel.
    public func release(channel id: String, by operatorName: String) async throws {
        try refresh()
        let now = dependencies.clock.now()
        for event in try machine.release(channel: id, by: operatorName) { try await record(event, at: now) }
        try store.saveSnapshot(state)
    }

    /// Journals an operator's records, drives every incident, and returns the one acted on.
    private func act(_ events: [JournalEvent], at now: Date, on incidentID: String) async throws -> Incident {
        startPass(at: now)
        for event in events { try await record(event, at: now) }
        try await drive()
        try store.saveSnapshot(state)
        guard let incident = state.incident(incidentID) else { throw EngineError(description: "incident \(incidentID) was not recorded") }
        return incident
    }
}

extension [JournalEvent] {
    /// The incidents these records open.
    var incidentIDs: [String] {
        compactMap { if case .incidentOpened(let opened) = $0 { opened.incident } else { nil } }
    }
}
