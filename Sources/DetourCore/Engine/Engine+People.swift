import Foundation

extension Engine {
    /// Acknowledges an incident's page (`detour ack`): escalation stops; other work goes on.
    @discardableResult
    public func acknowledge(incident id: String, by operatorName: String) async throws -> Incident {
        try refresh()
        let now = dependencies.clock.now()
        let events = try machine.acknowledge(incident: id, by: operatorName)
        startPass(at: now)
        for event in events { try await record(event, at: now) }
        try await drive()
        try store.saveSnapshot(state)
        guard let incident = state.incident(id) else { throw EngineError(description: "incident \(id) was not recorded") }
        return incident
    }
}
