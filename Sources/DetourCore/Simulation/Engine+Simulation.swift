import Foundation

extension Engine {
    /// One pass as `runPass` makes it, with the probe answers given instead of fetched: a simulated
    /// year replays the answer the sandbox gave to the same failure, so only new answers cost a request.
    ///
    /// Returns the channels probed, or nil (having changed nothing) when the answers cannot stand in
    /// for a real round: a channel without one, a planned window starting or ending, or a round
    /// that might show the monitor's own network down. The caller then runs a real pass.
    func simulatedPass(answers: [String: ChannelVerdict]) async throws -> [String]? {
        let now = dependencies.clock.now()
        guard state.monitorOfflineSince == nil else { return nil }
        for channel in workspace.channels {
            let inWindow = workspace.maintenanceWindow(for: channel, at: now) != nil
            if inWindow != (state.channels[channel.id]?.state == .maintenance) { return nil }
        }
        let planner = PassPlanner(workspace: workspace, state: state)
        let due = planner.due(at: now)
        var verdicts: [ChannelVerdict] = []
        for channel in due {
            guard let verdict = answers[channel.id] else { return nil }
            verdicts.append(verdict)
        }
        if !verdicts.isEmpty, verdicts.allSatisfy(\.failedInTransport) {
            // A real pass would probe the others to tell an outage from the monitor's own network
            // being down; one of them answering settles it.
            let probed = Set(due.map(\.id))
            let others = planner.probeable(at: now).filter { !probed.contains($0.id) }
            guard others.contains(where: { answers[$0.id].map { !$0.failedInTransport } ?? false }) else { return nil }
        }
        startPass(at: now)
        try await advance(with: verdicts, at: now)
        return due.map(\.id)
    }

    /// Writes the snapshot, as every real pass does.
    func saveSnapshot() throws {
        try store.saveSnapshot(state)
    }
}

extension Engine {
    /// Moves through passes in which every channel due is up and answers normally, without
    /// running them: such a pass only moves the channels' probe times forward, so they are
    /// moved as the passes would have moved them, pass by pass, in memory.
    ///
    /// Stops before `limit`, before anything else has work (a step, a cron time, a sale or a
    /// planned window starting or ending, a hold ending), and at the first pass in which a channel
    /// that is not up or not in `healthy` is due; that pass is left to run for real. `tick` is the
    /// cron interval under `tick`, nil under `watch`. Returns the time of the last pass moved through.
    func fastForward(healthy: Set<String>, before limit: Date, tick: Duration?, lastPass: Date?) -> Date? {
        let now = dependencies.clock.now()
        guard state.monitorOfflineSince == nil, state.holds.isEmpty else { return nil }
        let outlook = machine.next(at: now)
        guard outlook.work == nil else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        var stops = [limit]
        stops += [outlook.wakeAt].compactMap { $0 }
        stops += workspace.playbooks.compactMap { $0.cron?.next(after: now, in: calendar) }
        stops += workspace.settings.calendar.sales.flatMap { [$0.from, $0.to] }.filter { $0 > now }
        stops += [workspace.nextMaintenanceStart(after: now)].compactMap { $0 }
        let end = stops.min() ?? limit
        let channels = workspace.channels
        var healths = channels.map { state.channels[$0.id] ?? ChannelHealth() }
        guard !healths.contains(where: { $0.state == .maintenance }) else { return nil }
        let schedules = channels.map { workspace.schedule(for: $0, at: now) }
        let skippable = channels.indices.map { healthy.contains(channels[$0].id) && healths[$0].state == .up }
        var last = lastPass
        var moved: Date?
        while true {
            var wake = Date.distantFuture
            for index in channels.indices { wake = min(wake, healths[index].nextDue(under: schedules[index]) ?? .distantPast) }
            var pass = max(wake, now)
            if let tick {
                let earliest = max(wake.addingTimeInterval(-5), last.map { $0.addingTimeInterval(tick.timeInterval) } ?? .distantPast)
                pass = max(Simulator.boundary(atOrAfter: earliest, every: tick), now)
            }
            guard pass < end else { break }
            let due = channels.indices.filter { healths[$0].isDue(at: pass, schedule: schedules[$0]) }
            guard due.allSatisfy({ skippable[$0] }) else { break }
            for index in due { _ = healths[index].record(success: true, at: pass, schedule: schedules[index]) }
            last = pass
            moved = pass
        }
        guard moved != nil else { return nil }
        for index in channels.indices { machine.setHealth(healths[index], for: channels[index].id) }
        return moved
    }
}
