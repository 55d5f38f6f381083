import Foundation

/// Why this node may not write or act: deposed, or out of reach of an etcd quorum.
public struct ClusterError: DetourError {
    /// What happened.
    public var description: String
    /// True when running again cannot help until someone acts (a state folder that needs `detour cluster import`).
    public var needsOperator: Bool

    /// Creates an error.
    public init(description: String, needsOperator: Bool = false) {
        self.description = description
        self.needsOperator = needsOperator
    }
}

/// What a node writes about itself to `<prefix>/nodes/<node>`, under its lease.
public struct ClusterNodeInfo: Sendable, Codable, Equatable {
    /// The node's name.
    public var node: String
    /// The process.
    public var pid: Int32
    /// When it joined.
    public var since: Date
    /// True when its own probes all failed in transport in its last round (left out of the count).
    public var offline: Bool
    /// When it last wrote its verdicts.
    public var seen: Date
    /// The etcd lease its key is bound to, as read back (not written).
    public var lease: Int64? = nil
    /// The last shared record its local journal holds: the leader compacts the log only below every live node's mark.
    public var mirrored: Int64? = nil
}

/// What `<prefix>/snapshot` says: the shared state up to a record, which the log no longer holds in full.
///
/// The state itself (the encoded `DetourState`, as in a state folder's `state.json`) is kept in parts of
/// at most 512 KiB under `<prefix>/snapshot/<seq>/`, since etcd refuses larger values.
public struct ClusterSnapshot: Sendable, Codable, Equatable {
    /// The last shared record the state includes.
    public var seq: Int64
    /// Records up to this number are deleted from the log (at most `seq`).
    public var compactedThrough: Int64
    /// How many parts the state is split into.
    public var parts: Int
    /// The state's size in bytes.
    public var bytes: Int
    /// The leader that wrote it.
    public var node: String
    /// When.
    public var at: Date
}

/// What etcd holds about the cluster at one moment.
public struct ClusterView: Sendable {
    /// The nodes whose lease is alive.
    public var nodes: [ClusterNodeInfo]
    /// The leader's name, if one holds the key.
    public var leader: String?
    /// The leader key's create revision: the fencing token.
    public var leaderToken: Int64?
    /// Every node's latest verdict per channel.
    public var observations: [Observation]
    /// The number of records in the shared log, and the newest one's number.
    public var logRecords: Int
    /// The newest record's number.
    public var logEnd: Int64
    /// Operator commands waiting for the leader.
    public var pendingCommands: Int
    /// The snapshot the log was last compacted behind, nil while it never was.
    public var snapshot: ClusterSnapshot? = nil
}

/// An operator's command, written to `<prefix>/commands/<id>` for the leader to carry out.
public struct ClusterCommand: Sendable, Codable, Equatable {
    /// The command.
    public enum Kind: String, Sendable, Codable {
        case failover, restore, hold, release, approve, retry
        /// Acknowledges an incident's page.
        case ack
        /// A heartbeat channel's check-in, matched by its token on the node that received it; `detail` says how (`cli`, `http`).
        case checkin
    }

    /// A unique id.
    public var id: String
    /// What to do.
    public var kind: Kind
    /// The channel, incident or step it names.
    public var target: String
    /// Optional step (retry) or end (hold, ISO-8601).
    public var detail: String?
    /// Why, as the operator wrote it.
    public var reason: String?
    /// Who asked.
    public var by: String
    /// The node it was given on.
    public var node: String
    /// When.
    public var at: Date

    /// Creates a command.
    public init(id: String, kind: Kind, target: String, detail: String?, reason: String?, by: String, node: String, at: Date) {
        self.id = id
        self.kind = kind
        self.target = target
        self.detail = detail
        self.reason = reason
        self.by = by
        self.node = node
        self.at = at
    }
}

/// What the leader did with a command, written to `<prefix>/outcomes/<id>`.
public struct ClusterCommandOutcome: Sendable, Codable, Equatable {
    /// The command's id.
    public var id: String
    /// Whether it was carried out.
    public var ok: Bool
    /// What happened, in one line.
    public var message: String
    /// The node that carried it out.
    public var node: String
    /// When.
    public var at: Date
}

/// This node's membership, leadership and share of the cluster's keys in etcd.
///
/// Holds the node's lease and, while it leads, the fencing token (the leader key's create
/// revision). Every record it commits to the shared log is a transaction that compares that token,
/// so a deposed leader's write is refused; it also refuses to act once its lease may have run out
/// by its own clock, whatever etcd says later.
public actor ClusterNode: JournalSink {
    /// The settings.
    public nonisolated let settings: ClusterSettings
    /// The etcd client.
    public nonisolated let etcd: EtcdClient
    private let since: Date
    private var lease: Int64 = 0
    private var leaseValidUntil = ContinuousClock.now
    private var token: Int64?
    /// The leader as last seen.
    public private(set) var leader: String?
    /// The number of the last shared record this node's journal holds.
    public private(set) var seq: Int64 = 0
    /// Since when etcd has been out of reach, nil while it answers.
    public private(set) var noQuorumSince: Date?
    private var offline = false
    /// Whether the node key names this process.
    private var announced = false
    /// The `seq` the node key last said this node had mirrored.
    private var announcedSeq: Int64?
    /// What etcd refused when it last refused this node (not a lost quorum), nil otherwise.
    public private(set) var refusal: EtcdError?

    /// Creates a node that has not joined yet.
    public init(settings: ClusterSettings, etcd: EtcdClient, now: Date) {
        self.settings = settings
        self.etcd = etcd
        since = now
    }

    // MARK: - Keys

    /// `<prefix>/leader`.
    public nonisolated var leaderKey: String { settings.prefix + "/leader" }
    /// `<prefix>/nodes/`.
    public nonisolated var nodesPrefix: String { settings.prefix + "/nodes/" }
    /// `<prefix>/obs/`.
    public nonisolated var observationsPrefix: String { settings.prefix + "/obs/" }
    /// `<prefix>/log/`.
    public nonisolated var logPrefix: String { settings.prefix + "/log/" }
    /// `<prefix>/commands/`.
    public nonisolated var commandsPrefix: String { settings.prefix + "/commands/" }
    /// `<prefix>/outcomes/`.
    public nonisolated var outcomesPrefix: String { settings.prefix + "/outcomes/" }
    /// `<prefix>/snapshot`: what the compacted log's records added up to.
    public nonisolated var snapshotKey: String { settings.prefix + "/snapshot" }
    /// `<prefix>/snapshot/`: the parts of the snapshots' states.
    public nonisolated var snapshotPartsPrefix: String { settings.prefix + "/snapshot/" }
    /// `<prefix>/resigned`: a node that handed leadership on waits before it runs again.
    public nonisolated var resignedKey: String { settings.prefix + "/resigned" }

    /// The key of shared record number `seq` (zero-padded, so keys sort in order).
    public nonisolated func logKey(_ seq: Int64) -> String {
        let digits = String(seq)
        return logPrefix + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    // MARK: - Membership

    /// Whether this node leads now, by what it last saw.
    public var isLeading: Bool { token != nil }

    /// The fencing token while leading.
    public var fencingToken: Int64? { token }

    /// The lease this node holds, nil before it joined.
    public var leaseID: Int64? { lease == 0 ? nil : lease }

    /// Takes up a lease an earlier process of this node held; the next keep-alive tells whether it still lives.
    public func adopt(lease id: Int64) {
        guard lease == 0 else { return }
        lease = id
        leaseValidUntil = ContinuousClock.now
        announced = false
    }

    /// Sets the number of the last shared record the local journal holds.
    public func setSeq(_ value: Int64) { seq = value }

    /// Keeps the lease alive, or takes a new one (and writes the node key); false when etcd is out of reach.
    @discardableResult
    public func keepAlive(at now: Date) async -> Bool {
        do {
            if lease != 0 {
                let sent = ContinuousClock.now
                let left = try await etcd.keepAlive(lease)
                if left > 0 {
                    leaseValidUntil = sent + .seconds(left)
                    // A lease taken up from an earlier process: say who holds it now.
                    if !announced { try await writeInfo(at: now) }
                    announced = true
                    noQuorumSince = nil
                    refusal = nil
                    return true
                }
                // Expired while we were away: whatever we led, we lead no more.
                lease = 0
                token = nil
            }
            let sent = ContinuousClock.now
            let granted = try await etcd.grantLease(ttl: settings.leaseTTL)
            lease = granted
            leaseValidUntil = sent + settings.leaseTTL
            try await writeInfo(at: now)
            announced = true
            noQuorumSince = nil
            refusal = nil
            return true
        } catch let error as EtcdError where !error.unavailable {
            // etcd answered, and said no (a wrong password, no permission): waiting will not help.
            refusal = error
            token = nil
            return false
        } catch {
            lostQuorum(at: now)
            return false
        }
    }

    /// Notes that etcd is out of reach (since the first time) and stops leading.
    public func lostQuorum(at now: Date) {
        if noQuorumSince == nil { noQuorumSince = now }
        token = nil
    }

    private func writeInfo(at now: Date) async throws {
        let info = ClusterNodeInfo(node: settings.node, pid: getpid(), since: since, offline: offline, seen: now, lease: nil, mirrored: seq)
        try await etcd.put(nodesPrefix + settings.node, try JSONEncoder.detour.encode(info), lease: lease)
        announcedSeq = seq
    }

    /// Says in the node key how far this node's journal holds the shared log, when that changed.
    public func announceMirrored(at now: Date) async throws {
        guard lease != 0, announcedSeq != seq else { return }
        try await writeInfo(at: now)
    }

    /// Takes the leader key if it is free, or sees who holds it; whether this node leads now.
    public func campaign(at now: Date) async throws -> Bool {
        guard lease != 0 else { return false }
        do {
            let resigned = try await etcd.range(resignedKey).kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
            let leave = resigned == settings.node
            let result = try await etcd.txn(
                [.created(leaderKey, at: 0)],
                success: leave ? [.get(key: leaderKey)] : [.put(key: leaderKey, value: Data(settings.node.utf8), lease: lease), .get(key: leaderKey)],
                failure: [.get(key: leaderKey)])
            let holder = result.read.first
            leader = holder.map { String(decoding: $0.value, as: UTF8.self) }
            if let holder, holder.lease == lease, leader == settings.node {
                token = holder.createRevision
            } else {
                token = nil
            }
            return token != nil
        } catch let error as EtcdError where error.unavailable {
            lostQuorum(at: now)
            throw error
        }
    }

    /// Makes the current leader step aside for two lease lifetimes; its name, nil when nobody leads.
    ///
    /// Deletes the leader key (compared by its create revision, so only that leadership ends) and
    /// writes `<prefix>/resigned`, which keeps that node from campaigning again meanwhile.
    public static func handOn(etcd: EtcdClient, settings: ClusterSettings) async throws -> String? {
        let leaderKey = settings.prefix + "/leader"
        guard let holder = try await etcd.range(leaderKey).kvs.first else { return nil }
        let name = String(decoding: holder.value, as: UTF8.self)
        let aside = try await etcd.grantLease(ttl: settings.leaseTTL * 2)
        _ = try await etcd.txn(
            [.created(leaderKey, at: holder.createRevision)],
            success: [.delete(key: leaderKey), .put(key: settings.prefix + "/resigned", value: Data(name.utf8), lease: aside)])
        return name
    }

    // MARK: - Observations

    /// Writes this node's verdicts (and whether it is offline) under its lease.
    public func publish(_ observations: [Observation], offline: Bool, at now: Date) async throws {
        guard lease != 0 else { return }
        do {
            if offline != self.offline {
                self.offline = offline
                try await writeInfo(at: now)
            }
            for observation in observations {
                try await etcd.put(observationsPrefix + observation.channel + "/" + settings.node, try JSONEncoder.detour.encode(observation), lease: lease)
            }
        } catch let error as EtcdError where error.unavailable {
            lostQuorum(at: now)
            throw error
        }
    }

    /// Every node's latest verdict per channel.
    public func observations() async throws -> [Observation] {
        try await etcd.range(observationsPrefix, prefix: true).kvs.compactMap { try? JSONDecoder.detour.decode(Observation.self, from: $0.value) }
    }

    /// What etcd holds now: nodes, leader, verdicts, the log's length and the commands waiting.
    public func view() async throws -> ClusterView {
        try await Self.view(etcd: etcd, prefix: settings.prefix)
    }

    /// What etcd holds under `prefix`, for any process (`detour cluster status` too).
    public static func view(etcd: EtcdClient, prefix: String) async throws -> ClusterView {
        let decoder = JSONDecoder.detour
        let nodes = try await etcd.range(prefix + "/nodes/", prefix: true).kvs.compactMap { kv -> ClusterNodeInfo? in
            guard var info = try? decoder.decode(ClusterNodeInfo.self, from: kv.value) else { return nil }
            info.lease = kv.lease
            return info
        }
        let leaderKey = try await etcd.range(prefix + "/leader").kvs.first
        let observations = try await etcd.range(prefix + "/obs/", prefix: true).kvs.compactMap { try? decoder.decode(Observation.self, from: $0.value) }
        let log = try await etcd.range(prefix + "/log/", prefix: true, keysOnly: true).kvs
        let commands = try await etcd.range(prefix + "/commands/", prefix: true, keysOnly: true).kvs
        let snapshot = try await etcd.range(prefix + "/snapshot").kvs.first.flatMap { try? decoder.decode(ClusterSnapshot.self, from: $0.value) }
        return ClusterView(
            nodes: nodes, leader: leaderKey.map { String(decoding: $0.value, as: UTF8.self) }, leaderToken: leaderKey?.createRevision,
            observations: observations, logRecords: log.count, logEnd: log.last.flatMap { Int64($0.key.split(separator: "/").last ?? "") } ?? 0,
            pendingCommands: commands.count, snapshot: snapshot)
    }

    // MARK: - The shared log

    /// The shared records after number `after`, in order.
    public func sharedRecords(after: Int64) async throws -> [(seq: Int64, record: JournalRecord)] {
        var result: [(Int64, JournalRecord)] = []
        var next = after + 1
        while true {
            let page = try await etcd.range(logPrefix, prefix: true, from: logKey(next), limit: 500).kvs
            for kv in page {
                guard let number = Int64(kv.key.dropFirst(logPrefix.count)) else { continue }
                guard number == next else {
                    throw ClusterError(
                        description: "the shared log jumps from record \(next - 1) to \(number) under \(logPrefix); it was compacted past this node's journal")
                }
                result.append((number, try JournalCoding.decode(kv.value)))
                next += 1
            }
            if page.count < 500 { return result }
        }
    }

    /// Commits one record to the shared log, fenced by the leader key's create revision.
    public func commit(_ record: JournalRecord) async throws {
        guard let token, ContinuousClock.now < leaseValidUntil else {
            throw ClusterError(description: "not acting: \(settings.node) does not lead the cluster now")
        }
        let key = logKey(seq + 1)
        let line = try JournalCoding.encode(record)
        let result: (succeeded: Bool, read: [EtcdKeyValue])
        do {
            result = try await etcd.txn([.created(leaderKey, at: token), .created(key, at: 0)], success: [.put(key: key, value: Data(line.utf8), lease: 0)])
        } catch let error as EtcdError where error.unavailable {
            lostQuorum(at: Date())
            throw error
        }
        guard result.succeeded else {
            self.token = nil
            throw ClusterError(description: "write refused: \(settings.node) no longer leads the cluster (fencing token \(token) is stale)")
        }
        seq += 1
    }

    /// Throws unless the lease surely still holds by this node's own clock.
    public func confirmActing() async throws {
        // A margin for the clocks of etcd's members, which may run a little ahead of ours.
        guard token != nil, ContinuousClock.now + .milliseconds(500) < leaseValidUntil else {
            token = nil
            throw ClusterError(description: "not acting: \(settings.node)'s lease may have run out; the next leader carries on")
        }
    }

    // MARK: - Compaction

    /// The snapshot, nil while the log was never compacted.
    public func snapshot() async throws -> ClusterSnapshot? {
        try await etcd.range(snapshotKey).kvs.first.map { try JSONDecoder.detour.decode(ClusterSnapshot.self, from: $0.value) }
    }

    /// The encoded state a snapshot names, its parts put together.
    public func snapshotState(_ snapshot: ClusterSnapshot) async throws -> Data {
        let parts = try await etcd.range(snapshotPartsPrefix + Self.padded(snapshot.seq) + "/", prefix: true).kvs
        let data = parts.reduce(into: Data()) { $0.append($1.value) }
        guard parts.count == snapshot.parts, data.count == snapshot.bytes else {
            throw ClusterError(
                description:
                    "the snapshot under \(snapshotPartsPrefix) is incomplete (\(parts.count) of \(snapshot.parts) parts); the next compaction writes a new one")
        }
        return data
    }

    /// Writes the state up to record `seq` as the snapshot and deletes the log's records up to `mark`, fenced like every commit.
    ///
    /// The parts go first, one fenced write each (etcd limits a request's size); the snapshot key, the
    /// deletion of the records and of the previous snapshot's parts then commit in one transaction.
    public func compact(state: Data, covering seq: Int64, through mark: Int64, at now: Date) async throws -> ClusterSnapshot {
        guard let token, ContinuousClock.now < leaseValidUntil else {
            throw ClusterError(description: "not acting: \(settings.node) does not lead the cluster now")
        }
        let base = snapshotPartsPrefix + Self.padded(seq) + "/"
        let size = 512 * 1024
        var parts = 0
        var offset = 0
        repeat {
            let chunk = state.subdata(in: offset..<min(offset + size, state.count))
            try await fenced(token, [.put(key: base + Self.padded(Int64(parts)), value: chunk, lease: 0)])
            parts += 1
            offset += size
        } while offset < state.count
        let snapshot = ClusterSnapshot(seq: seq, compactedThrough: min(mark, seq), parts: parts, bytes: state.count, node: settings.node, at: now)
        try await fenced(
            token,
            [
                .put(key: snapshotKey, value: try JSONEncoder.detour.encode(snapshot), lease: 0),
                .deleteRange(from: logPrefix, to: logKey(snapshot.compactedThrough + 1)),
                .deleteRange(from: snapshotPartsPrefix, to: base),
            ])
        return snapshot
    }

    private func fenced(_ token: Int64, _ operations: [EtcdOperation]) async throws {
        let result: (succeeded: Bool, read: [EtcdKeyValue])
        do {
            result = try await etcd.txn([.created(leaderKey, at: token)], success: operations)
        } catch let error as EtcdError where error.unavailable {
            lostQuorum(at: Date())
            throw error
        }
        guard result.succeeded else {
            self.token = nil
            throw ClusterError(description: "write refused: \(settings.node) no longer leads the cluster (fencing token \(token) is stale)")
        }
    }

    private static func padded(_ number: Int64) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    /// Appends records to the shared log as they are (moving a single node's journal in); refused unless the log is empty.
    public func importRecords(_ records: [JournalRecord]) async throws -> Int {
        guard try await etcd.range(logPrefix, prefix: true, keysOnly: true, limit: 1).kvs.isEmpty, try await etcd.range(snapshotKey).kvs.isEmpty else {
            throw ClusterError(description: "the shared log under \(logPrefix) already holds records; import only into a new prefix")
        }
        var count = 0
        for record in records {
            let key = logKey(Int64(count + 1))
            let result = try await etcd.txn([.created(key, at: 0)], success: [.put(key: key, value: Data(try JournalCoding.encode(record).utf8), lease: 0)])
            guard result.succeeded else { throw ClusterError(description: "another process writes to \(logPrefix); stop every node before importing") }
            count += 1
        }
        return count
    }

    // MARK: - Operator commands

    /// Writes an operator's command for the leader.
    public nonisolated func submit(_ command: ClusterCommand) async throws {
        try await etcd.put(commandsPrefix + command.id, try JSONEncoder.detour.encode(command))
    }

    /// The commands waiting, oldest first.
    public func pendingCommands() async throws -> [ClusterCommand] {
        try await etcd.range(commandsPrefix, prefix: true).kvs.compactMap { try? JSONDecoder.detour.decode(ClusterCommand.self, from: $0.value) }
            .sorted { $0.at < $1.at }
    }

    /// Records what became of a command and removes it, only while this node leads.
    public func finish(_ outcome: ClusterCommandOutcome) async throws {
        guard let token else { return }
        _ = try await etcd.txn(
            [.created(leaderKey, at: token)],
            success: [
                .put(key: outcomesPrefix + outcome.id, value: try JSONEncoder.detour.encode(outcome), lease: 0), .delete(key: commandsPrefix + outcome.id),
            ])
    }

    /// The outcome of a command, once the leader has written it.
    public nonisolated func outcome(of id: String) async throws -> ClusterCommandOutcome? {
        try await etcd.range(outcomesPrefix + id).kvs.first.flatMap { try? JSONDecoder.detour.decode(ClusterCommandOutcome.self, from: $0.value) }
    }
}
