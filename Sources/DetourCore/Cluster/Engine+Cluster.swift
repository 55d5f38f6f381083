import Foundation

/// The parts of a pass a cluster member runs one by one: probing, the decided advance, mirroring.
extension Engine {
    /// Channels the engine's own schedule has due now.
    public func dueChannels(at now: Date) -> [Channel] {
        PassPlanner(workspace: workspace, state: state).due(at: now)
    }

    /// Channels that may be probed at all (not held, not in a planned window).
    public func probeableChannels(at now: Date) -> [Channel] {
        PassPlanner(workspace: workspace, state: state).probeable(at: now)
    }

    /// Probes `channels` and returns their verdicts, recording nothing.
    public func probe(_ channels: [Channel], at now: Date) async -> [ChannelVerdict] {
        channels.isEmpty ? [] : await ProbeRound(dependencies: dependencies).run(channels, now: now)
    }

    /// Starts a decided pass: the pass clock and planned windows.
    public func beginDecidedPass(at now: Date) async throws {
        try refresh()
        startPass(at: now)
        try await advanceMaintenance(at: now)
    }

    /// Finishes a decided pass: health from the quorum's verdicts, incidents, scheduled runs, steps, snapshot.
    public func finishDecidedPass(with verdicts: [ChannelVerdict], at now: Date) async throws {
        try await advance(with: verdicts, at: now)
        try store.saveSnapshot(state)
    }

    /// Appends records the leader committed to the local journal and applies them.
    public func mirror(_ records: [JournalRecord]) throws {
        try refresh()
        for record in records {
            let position = try store.append(record)
            machine.apply(record)
            machine.setJournalPosition(position)
            dependencies.observer(.journaled(record))
        }
        if !records.isEmpty { try store.saveSnapshot(state) }
    }

    /// Takes the cluster's snapshot as this node's state (its journal lacks the records compacted out of the shared log).
    ///
    /// The state is saved as the state folder's snapshot at the journal's current end, so the state is
    /// read from it, plus what is mirrored after it, from now on.
    public func start(from snapshot: DetourState) throws {
        try refresh()
        var adopted = snapshot
        adopted.journalPosition = state.journalPosition
        machine = IncidentMachine(workspace: workspace, state: adopted)
        try store.saveSnapshot(adopted)
    }

    /// The state encoded for the cluster's snapshot, resolved incidents included.
    public func encodedState() throws -> Data {
        try JSONEncoder.detour.encode(state)
    }

    /// Tells the engine which shared journal its records commit to (nil: none, only the local one).
    public func setJournalSink(_ sink: (any JournalSink)?) {
        dependencies.journalSink = sink
    }
}
