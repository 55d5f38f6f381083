import Foundation

/// What this node was doing in the cluster after a pass.
public enum ClusterRole: Sendable, Equatable {
    /// It leads: it decides and acts, fenced by `token`.
    case leading(token: Int64)
    /// It follows `leader` (nil while nobody leads): it probes and mirrors the shared journal.
    case following(leader: String?)
    /// It cannot reach an etcd quorum: it probes but neither decides nor acts.
    case notActing(since: Date)
}

/// What a node keeps about its place in the cluster, in `<state>/cluster.json`.
///
/// `seq` is the number of the last shared record the local journal held at `segment`/`offset`;
/// records the journal holds beyond that point (written just before a crash) are counted on start.
/// `role`, `leader` and `noQuorumSince` are for `detour status`.
public struct ClusterLocalState: Sendable, Codable, Equatable {
    /// The node's name.
    public var node: String
    /// The last shared record the local journal holds.
    public var seq: Int64
    /// The journal segment at that point.
    public var segment: String
    /// The byte offset at that point.
    public var offset: Int
    /// `leading`, `following` or `not acting`.
    public var role: String
    /// The leader as last seen.
    public var leader: String?
    /// Since when etcd has been out of reach.
    public var noQuorumSince: Date?
    /// When this was written.
    public var updatedAt: Date
    /// The node's etcd lease, taken up again by the next process on this state folder while it lives (a cron tick, a restart).
    public var lease: Int64?

    /// Creates the record.
    public init(
        node: String, seq: Int64, segment: String, offset: Int, role: String, leader: String?, noQuorumSince: Date?, updatedAt: Date,
        lease: Int64? = nil
    ) {
        self.lease = lease
        self.node = node
        self.seq = seq
        self.segment = segment
        self.offset = offset
        self.role = role
        self.leader = leader
        self.noQuorumSince = noQuorumSince
        self.updatedAt = updatedAt
    }

    /// The file in a state folder.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/cluster.json" }

    /// Reads the file, nil when there is none (or it cannot be read).
    public static func load(from stateDirectory: String) -> ClusterLocalState? {
        guard let data = FileManager.default.contents(atPath: path(in: stateDirectory)) else { return nil }
        return try? JSONDecoder.detour.decode(ClusterLocalState.self, from: data)
    }

    /// Writes the file atomically.
    public func save(in stateDirectory: String) throws {
        let data = try JSONEncoder.detour.encode(self)
        let path = Self.path(in: stateDirectory)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: NSNumber(value: 0o600)]) else {
            throw ClusterError(description: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw ClusterError(description: "cannot replace \(path)") }
    }
}

/// Something a cluster member did, for whoever is watching.
public enum ClusterEvent: Sendable {
    /// Its role changed.
    case role(ClusterRole)
    /// The quorum decided a channel this way, where this node alone would have decided otherwise.
    case dissent(QuorumOutcome)
    /// An operator's command was carried out (or refused).
    case command(ClusterCommand, ClusterCommandOutcome)
    /// The leader compacted the shared log behind a new snapshot.
    case compacted(ClusterSnapshot)
    /// This node's journal lacked records compacted out of the shared log: it started from the snapshot.
    case startedFromSnapshot(ClusterSnapshot, previous: Int64)
}

/// One node of a cluster, pass by pass: keeps its membership, probes, publishes its verdicts,
/// mirrors the shared journal and, while it leads, decides by quorum and acts through the engine.
public actor ClusterMember {
    /// The node's etcd side.
    public nonisolated let node: ClusterNode
    private let stateDirectory: String
    private let clock: any WallClock
    private let observer: @Sendable (ClusterEvent) -> Void
    private var role: ClusterRole?
    private var lastProbe: [String: Date] = [:]
    private var lastFailed: Set<String> = []
    /// Channels another node saw fail since this one last probed them: probed at `confirmEvery`, so a second vote comes soon.
    private var alarmed: Set<String> = []
    /// The engine whose journal position `node.seq` was reconciled with.
    private var reconciled: ObjectIdentifier?
    /// What `<state>/cluster.json` holds, as this member last wrote it.
    private var saved: ClusterLocalState?
    /// Records up to this number are compacted out of the shared log, as this member last saw.
    private var compactedThrough: Int64 = 0

    /// Creates a member over a state folder.
    public init(node: ClusterNode, stateDirectory: String, clock: any WallClock, observer: @escaping @Sendable (ClusterEvent) -> Void = { _ in }) {
        self.node = node
        self.stateDirectory = stateDirectory
        self.clock = clock
        self.observer = observer
    }

    /// The role after the last pass.
    public var currentRole: ClusterRole? { role }

    /// One pass; the caller holds the state folder's run lock. When it throws, build the engine again before the next pass.
    @discardableResult
    public func runPass(_ engine: Engine) async throws -> ClusterRole {
        let now = clock.now()
        await engine.setJournalSink(node)
        try await reconcile(engine)
        guard await node.keepAlive(at: now) else {
            if let refusal = await node.refusal {
                throw ClusterError(description: "etcd refused \(node.settings.node): \(refusal.description)", needsOperator: true)
            }
            try await probeWithoutActing(engine, at: now)
            return try await settle(.notActing(since: await node.noQuorumSince ?? now), engine)
        }
        do {
            let leading = try await node.campaign(at: now)
            try await catchUp(engine)
            let seen = try await node.observations()
            alarmed = Set(
                seen.filter { observation in
                    !observation.passed && observation.node != node.settings.node && observation.at > (lastProbe[observation.channel] ?? .distantPast)
                }.map(\.channel))
            if leading {
                try await lead(engine, at: now)
                return try await settle(.leading(token: await node.fencingToken ?? 0), engine)
            }
            let workspace = await engine.workspace
            let channels = await engine.state.channels
            let due = await engine.probeableChannels(at: now).filter { channel in
                guard let last = lastProbe[channel.id] else { return true }
                let schedule = workspace.schedule(for: channel, at: now)
                let health = channels[channel.id]?.state ?? .up
                let watchful = lastFailed.contains(channel.id) || alarmed.contains(channel.id) || !(health == .up || health == .degraded)
                return now >= last.addingTimeInterval((watchful ? schedule.confirmEvery : schedule.every).timeInterval)
            }
            try await probeAndPublish(engine, due, at: now)
            return try await settle(.following(leader: await node.leader), engine)
        } catch let error as EtcdError where error.unavailable {
            // Said once; the caller builds the engine again, since what it decided was not committed.
            await node.lostQuorum(at: now)
            _ = try await settle(.notActing(since: await node.noQuorumSince ?? now), engine)
            throw error
        }
    }

    /// When this node should run its next pass.
    public func nextWakeUp(_ engine: Engine) async -> Date {
        let now = clock.now()
        // Nodes look at etcd often (a tenth of the lease, 0.2 to 0.5 s): a takeover follows soon after a lease ends,
        // and another node's failure report soon brings this node's next probe forward.
        let beat = now.addingTimeInterval(max(0.2, min(0.5, node.settings.leaseTTL.timeInterval / 10)))
        if case .leading = role { return min(await engine.nextWakeUp(), beat) }
        let workspace = await engine.workspace
        var wake = beat
        for channel in workspace.channels {
            let schedule = workspace.schedule(for: channel, at: now)
            let watchful = lastFailed.contains(channel.id) || alarmed.contains(channel.id)
            let interval = (watchful ? schedule.confirmEvery : schedule.every).timeInterval
            wake = min(wake, (lastProbe[channel.id] ?? now).addingTimeInterval(interval))
        }
        return wake
    }

    // MARK: - Leading

    private func lead(_ engine: Engine, at now: Date) async throws {
        try await engine.beginDecidedPass(at: now)
        let planned = await engine.dueChannels(at: now)
        let workspace = await engine.workspace
        // Health only moves on the quorum's verdicts; the leader's own doubts and the others' reports
        // bring a channel's next probe forward to `confirmEvery`, as on a single node.
        let doubted = await engine.probeableChannels(at: now).filter { channel in
            guard !planned.contains(where: { $0.id == channel.id }), lastFailed.contains(channel.id) || alarmed.contains(channel.id) else { return false }
            let last = lastProbe[channel.id] ?? .distantPast
            return now >= last.addingTimeInterval(workspace.schedule(for: channel, at: now).confirmEvery.timeInterval)
        }
        let due = planned + doubted
        let verdicts = try await probeAndPublish(engine, due, at: now)
        let view = try await node.view()
        let live = Set(view.nodes.map(\.node))
        let offline = Set(view.nodes.filter(\.offline).map(\.node))
        var decided: [ChannelVerdict] = []
        for verdict in verdicts {
            guard let channel = workspace.channel(verdict.channel) else { continue }
            let freshness = workspace.schedule(for: channel, at: now).every + node.settings.leaseTTL
            let outcome = QuorumDecision(quorum: node.settings.quorum, freshness: freshness).decide(
                channel: channel.id, observations: view.observations, live: live, offline: offline, at: now)
            if outcome.failing != !verdict.passed { observer(.dissent(outcome)) }
            decided.append(Self.verdict(verdict, decidedBy: outcome, observations: view.observations, channel: channel))
        }
        try await engine.finishDecidedPass(with: decided, at: now)
        try await carryOutCommands(engine, at: now)
        try await compactIfDue(engine, nodes: view.nodes, at: now)
    }

    /// Compacts the shared log when it holds more than `compactAfter` records and every live node has
    /// mirrored at least half that many of them; writes the snapshot first, in the same fenced family.
    private func compactIfDue(_ engine: Engine, nodes: [ClusterNodeInfo], at now: Date) async throws {
        let seq = await node.seq
        let limit = Int64(node.settings.compactAfter)
        guard seq - compactedThrough > limit else { return }
        // Every live node must hold a record before it leaves etcd; a node that has not said how far it got holds none.
        let mark = nodes.filter { $0.node != node.settings.node }.map { $0.mirrored ?? 0 }.reduce(seq, min)
        guard mark - compactedThrough >= max(1, limit / 2) else { return }
        let snapshot = try await node.compact(state: try await engine.encodedState(), covering: seq, through: mark, at: now)
        compactedThrough = snapshot.compactedThrough
        observer(.compacted(snapshot))
    }

    /// The verdict the engine sees: this node's own when the quorum agrees, otherwise one stating the quorum's.
    static func verdict(_ own: ChannelVerdict, decidedBy outcome: QuorumOutcome, observations: [Observation], channel: Channel) -> ChannelVerdict {
        if outcome.failing == !own.passed { return own }
        if outcome.failing {
            let seen = observations.first { $0.channel == channel.id && outcome.failedOn.contains($0.node) && !$0.passed }
            let failure = ProbeFailure(
                kind: seen?.failure ?? .other, detail: "\(seen?.reason ?? "failed") (\(outcome.summary))", actual: seen?.status.map(String.init))
            return ChannelVerdict(
                channel: channel.id,
                results: [ProbeResult(probe: "quorum", url: channel.url, critical: true, status: seen?.status, latency: .zero, failure: failure, slow: nil)])
        }
        return ChannelVerdict(
            channel: channel.id, results: [ProbeResult(probe: "quorum", url: channel.url, critical: true, status: nil, latency: .zero, failure: nil, slow: nil)]
        )
    }

    /// Carries out the operators' commands waiting in etcd, each once, and writes what became of it.
    private func carryOutCommands(_ engine: Engine, at now: Date) async throws {
        for command in try await node.pendingCommands() {
            let message: String
            var ok = true
            do {
                message = try await Self.perform(command, on: engine)
            } catch let error as ClusterError {
                throw error
            } catch let error as EtcdError {
                throw error
            } catch {
                ok = false
                message = error.message
            }
            let outcome = ClusterCommandOutcome(id: command.id, ok: ok, message: message, node: node.settings.node, at: clock.now())
            try await node.finish(outcome)
            observer(.command(command, outcome))
        }
    }

    private static func perform(_ command: ClusterCommand, on engine: Engine) async throws -> String {
        switch command.kind {
        case .failover:
            let incident = try await engine.failover(channel: command.target, reason: command.reason ?? "", by: command.by)
            return "incident \(incident.id) opened"
        case .restore:
            let incident = try await engine.restore(channel: command.target, reason: command.reason, by: command.by, force: command.detail == "force")
            return "incident \(incident.id) restored"
        case .hold:
            let until = command.detail.flatMap { try? Date.ISO8601FormatStyle().parse($0) }
            try await engine.hold(channel: command.target, until: until, reason: command.reason, by: command.by)
            return "\(command.target) held"
        case .release:
            try await engine.release(channel: command.target, by: command.by)
            return "\(command.target) released"
        case .approve:
            let incident = try await engine.approve(incident: command.target, by: command.by)
            return "incident \(incident.id) approved"
        case .retry:
            let incident = try await engine.retry(incident: command.target, step: command.detail, by: command.by)
            return "incident \(incident.id): failed steps sent again"
        case .ack:
            let incident = try await engine.acknowledge(incident: command.target, by: command.by)
            return "incident \(incident.id) acknowledged by \(incident.acknowledgedBy ?? command.by)"
        case .checkin:
            let outcome = try await engine.checkIn(channel: command.target, via: command.detail ?? "cli")
            return outcome.recovered ? "\(outcome.channel) checked in; up again" : "\(outcome.channel) checked in"
        }
    }

    // MARK: - Probing and the shared journal

    @discardableResult
    private func probeAndPublish(_ engine: Engine, _ channels: [Channel], at now: Date) async throws -> [ChannelVerdict] {
        let verdicts = await engine.probe(channels, at: now)
        note(verdicts, at: now)
        // The offline rule: every probe failed before an HTTP answer, on at least two channels.
        let offline = verdicts.count >= 2 && verdicts.allSatisfy(\.failedInTransport)
        try await node.publish(verdicts.map { Observation(node: node.settings.node, verdict: $0, at: now) }, offline: offline, at: now)
        return verdicts
    }

    private func probeWithoutActing(_ engine: Engine, at now: Date) async throws {
        let due = await engine.probeableChannels(at: now).filter { lastProbe[$0.id].map { now.timeIntervalSince($0) >= 1 } ?? true }
        note(await engine.probe(due, at: now), at: now)
    }

    private func note(_ verdicts: [ChannelVerdict], at now: Date) {
        for verdict in verdicts {
            lastProbe[verdict.channel] = now
            if verdict.passed { lastFailed.remove(verdict.channel) } else { lastFailed.insert(verdict.channel) }
        }
    }

    /// Mirrors the shared records this node's journal lacks; from the snapshot first when some were compacted away.
    private func catchUp(_ engine: Engine) async throws {
        // Read every round: a node that was away while the leader compacted must not take the log's end for its own.
        if let snapshot = try await node.snapshot() {
            compactedThrough = max(compactedThrough, snapshot.compactedThrough)
            let seq = await node.seq
            if snapshot.compactedThrough > seq {
                let state = try JSONDecoder.detour.decode(DetourState.self, from: try await node.snapshotState(snapshot))
                try await engine.start(from: state)
                await node.setSeq(snapshot.seq)
                observer(.startedFromSnapshot(snapshot, previous: seq))
            }
        }
        let shared = try await node.sharedRecords(after: await node.seq)
        guard let last = shared.last else { return }
        try await engine.mirror(shared.map(\.record))
        await node.setSeq(last.seq)
    }

    /// Counts the records a fresh engine's journal holds beyond the last saved point (written just before a stop).
    private func reconcile(_ engine: Engine) async throws {
        let identity = ObjectIdentifier(engine)
        guard reconciled != identity else { return }
        if let saved = ClusterLocalState.load(from: stateDirectory) {
            let store = try StateStore(directory: stateDirectory)
            let beyond = try store.records(from: JournalPosition(segment: saved.segment, offset: saved.offset)).records.count
            await node.setSeq(saved.seq + Int64(beyond))
            if let lease = saved.lease, saved.node == node.settings.node { await node.adopt(lease: lease) }
        } else {
            // A node that has never mirrored must start from an empty journal, or be imported (`detour cluster import`).
            let count = try StateStore(directory: stateDirectory).records().records.count
            guard count == 0 else {
                throw ClusterError(
                    description:
                        "\(stateDirectory) holds a single node's journal (\(count) records); move it into the cluster with 'detour cluster import', or start this node with an empty state folder",
                    needsOperator: true)
            }
            await node.setSeq(0)
        }
        reconciled = identity
    }

    private func settle(_ newRole: ClusterRole, _ engine: Engine) async throws -> ClusterRole {
        if newRole != role {
            // A change of leadership is announced once; the not-acting time stays that of the first failure.
            observer(.role(newRole))
            role = newRole
        }
        if case .notActing = newRole {} else { try await node.announceMirrored(at: clock.now()) }
        let position = await engine.state.journalPosition
        let label: String
        switch newRole {
        case .leading: label = "leading"
        case .following: label = "following"
        case .notActing: label = "not acting"
        }
        var local = ClusterLocalState(
            node: node.settings.node, seq: await node.seq, segment: position.segment, offset: position.offset, role: label, leader: await node.leader,
            noQuorumSince: await node.noQuorumSince, updatedAt: saved?.updatedAt ?? clock.now(), lease: await node.leaseID)
        // Written only when something in it changed: a node looks at etcd several times a second.
        if local != saved {
            local.updatedAt = clock.now()
            try local.save(in: stateDirectory)
            saved = local
        }
        return newRole
    }
}
