import DetourCore
import Foundation

/// `detour cluster status|resign|import`: look at and manage the nodes that share one decision through etcd.
struct ClusterAdminCommand: Command {
    static let name = "cluster"
    static let abstract =
        "A cluster of nodes: 'status' shows nodes, leader and verdicts; 'resign' hands leadership on; 'import' moves a single node's journal in"
    static let discussion = """
        Needs a cluster setting in detour.json5 (see docs/cluster.md). 'status' lists the nodes whose
        lease is alive, the leader and its fencing token, each node's last verdict per channel and the
        etcd endpoints' health. 'resign' makes the leader step aside for two lease lifetimes; another
        node takes over. 'import' copies this state folder's journal into an empty shared log: run it
        once, with every node stopped, before starting the nodes.
        """
    static let options: [any OptionDeclaration] = [CLI.json]
    static let arguments = [ArgumentSpec(name: "ACTION", help: "status, resign or import")]

    let action: String
    let json: Bool

    init(_ parsed: ParsedArguments) {
        action = parsed.positionals[0]
        json = parsed.flag(CLI.json)
    }

    func validate() throws(UsageError) {
        guard ["status", "resign", "import"].contains(action) else {
            throw UsageError(description: "unknown action '\(action)'; write 'detour cluster status', 'detour cluster resign' or 'detour cluster import'")
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        guard let settings = session.workspace.settings.cluster else {
            context.console.err(
                "error: \(session.workspace.root)/detour.json5 has no cluster setting; add cluster: { etcd: { endpoints: [\"http://10.0.0.5:2379\"] }, prefix: \"/detour/my-shop\" } (see docs/cluster.md)"
            )
            return .invalidWorkspace
        }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        guard let etcd = ClusterOperator.etcd(session, settings, http: http) else { return .failure }
        switch action {
        case "resign": return try await resign(context, settings, etcd)
        case "import": return try await importJournal(context, session, settings, etcd)
        default: return try await status(context, session, settings, etcd)
        }
    }

    private func status(_ context: CommandContext, _ session: WorkspaceSession, _ settings: ClusterSettings, _ etcd: EtcdClient) async throws -> ExitCode {
        let endpoints = await etcd.status()
        let view: ClusterView
        do {
            view = try await ClusterNode.view(etcd: etcd, prefix: settings.prefix)
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
        let zone = session.workspace.settings.timeZone
        if json {
            let document = JSONValue.object([
                ("prefix", .string(settings.prefix)),
                ("leader", view.leader.map(JSONValue.string) ?? .null),
                ("fencingToken", view.leaderToken.map { .number(Double($0)) } ?? .null),
                (
                    "nodes",
                    .array(
                        view.nodes.map { node in
                            .object([
                                ("node", .string(node.node)), ("pid", .number(Double(node.pid))), ("since", .string(LocalTime.iso8601(node.since, in: zone))),
                                ("offline", .bool(node.offline)), ("leader", .bool(node.node == view.leader)),
                                ("lease", node.lease.map { .string(String($0, radix: 16)) } ?? .null),
                                ("mirrored", node.mirrored.map { .number(Double($0)) } ?? .null),
                            ])
                        })
                ),
                (
                    "verdicts",
                    .array(
                        view.observations.map { observation in
                            .object([
                                ("channel", .string(observation.channel)), ("node", .string(observation.node)), ("passed", .bool(observation.passed)),
                                ("at", .string(LocalTime.iso8601(observation.at, in: zone))), ("transport", .bool(observation.transport)),
                                ("failure", observation.failure.map { .string($0.rawValue) } ?? .null),
                                ("reason", observation.reason.map(JSONValue.string) ?? .null),
                            ])
                        })
                ),
                (
                    "endpoints",
                    .array(
                        endpoints.map { endpoint in
                            .object([
                                ("endpoint", .string(endpoint.endpoint)), ("healthy", .bool(endpoint.error == nil)),
                                ("version", endpoint.version.map(JSONValue.string) ?? .null), ("dbSize", endpoint.dbSize.map { .number(Double($0)) } ?? .null),
                                ("error", endpoint.error.map(JSONValue.string) ?? .null),
                            ])
                        })
                ),
                ("sharedRecords", .number(Double(view.logRecords))), ("pendingCommands", .number(Double(view.pendingCommands))),
                ("compactedThrough", view.snapshot.map { .number(Double($0.compactedThrough)) } ?? .null),
            ])
            context.console.document(document.jsonText + "\n")
            return .ok
        }
        context.console.out("leader: \(view.leader.map { "\($0) (fencing token \(view.leaderToken ?? 0))" } ?? "none")")
        var nodes = [["node", "pid", "since", "lease", "network"]]
        for node in view.nodes {
            nodes.append([
                node.node + (node.node == view.leader ? " (leader)" : ""), String(node.pid), LocalTime.clock(node.since, in: zone),
                node.lease.map { String($0, radix: 16) } ?? "",
                node.offline ? "offline (left out of the count)" : "ok",
            ])
        }
        context.console.raw(TextTable.render(nodes))
        var verdicts = [["channel", "node", "verdict", "at", "why"]]
        for channel in session.workspace.channels {
            let seen = view.observations.filter { $0.channel == channel.id }.sorted { $0.node < $1.node }
            let failing = seen.filter { !$0.passed }.count
            // A node that sees otherwise than most is marked, so a broken route stands out.
            let majorityFails = failing * 2 > seen.count
            for observation in seen {
                let dissents = observation.passed == majorityFails && seen.count > 1
                verdicts.append([
                    channel.id, observation.node,
                    (observation.passed ? "up" : observation.transport ? "failed (transport)" : "failed") + (dissents ? " (dissent)" : ""),
                    LocalTime.clock(observation.at, in: zone), observation.reason ?? "",
                ])
            }
        }
        context.console.out("")
        context.console.raw(TextTable.render(verdicts))
        var health = [["etcd endpoint", "health", "version", "db size"]]
        for endpoint in endpoints {
            health.append([
                endpoint.endpoint, endpoint.error.map { "unhealthy: \($0)" } ?? "ok", endpoint.version ?? "", endpoint.dbSize.map { "\($0 / 1024) KB" } ?? "",
            ])
        }
        context.console.out("")
        context.console.raw(TextTable.render(health))
        let compacted = view.snapshot.map { " (records up to \($0.compactedThrough) compacted; snapshot at record \($0.seq), \($0.bytes) bytes)" } ?? ""
        context.console.out("\nshared journal: \(view.logRecords) records in etcd\(compacted); \(view.pendingCommands) operator commands waiting")
        return .ok
    }

    private func resign(_ context: CommandContext, _ settings: ClusterSettings, _ etcd: EtcdClient) async throws -> ExitCode {
        guard let leader = try await ClusterNode.handOn(etcd: etcd, settings: settings) else {
            context.console.out("no node leads the cluster now; nothing to hand on")
            return .ok
        }
        context.console.out("\(leader) stepped down; it will not lead again for \(DurationText.format(settings.leaseTTL * 2)); another node takes over")
        return .ok
    }

    private func importJournal(_ context: CommandContext, _ session: WorkspaceSession, _ settings: ClusterSettings, _ etcd: EtcdClient) async throws
        -> ExitCode
    {
        guard let lock = try await session.lock(patience: .zero) else {
            context.console.err("error: \(session.lockHolder()) holds the run lock; stop detour on this machine before importing")
            return .failure
        }
        defer { lock.release() }
        let store = try StateStore(directory: session.stateDirectory)
        let records = try store.records().records
        let node = ClusterNode(settings: settings, etcd: etcd, now: Date())
        let count = try await node.importRecords(records)
        let position = try store.loadState().journalPosition
        try ClusterLocalState(
            node: settings.node, seq: Int64(count), segment: position.segment, offset: position.offset, role: "following", leader: nil, noQuorumSince: nil,
            updatedAt: Date()
        ).save(in: session.stateDirectory)
        context.console.out("imported \(count) records from \(store.journalDescription) into \(settings.prefix)/log/; start the nodes now")
        return .ok
    }
}

/// Operator commands on a cluster node: written to etcd for the leader, which carries them out.
enum ClusterOperator {
    /// An etcd client for the workspace's cluster; nil (after saying why) when the password cannot be read.
    static func etcd(_ session: WorkspaceSession, _ settings: ClusterSettings, http: HTTPClient) -> EtcdClient? {
        var password: String?
        if let reference = settings.password {
            do {
                password = try session.secrets.resolve(reference)
            } catch {
                session.context.console.err("error: cluster.etcd.password in detour.json5: \(error.message)")
                return nil
            }
        }
        return EtcdClient(endpoints: settings.endpoints, http: http, user: settings.user, password: password, caFile: settings.caFile)
    }

    /// Writes the command, then waits (up to `patience`) for the leader's outcome, and prints it.
    static func submit(
        kind: ClusterCommand.Kind, target: String, detail: String? = nil, reason: String?, by: String, _ session: WorkspaceSession, _ settings: ClusterSettings,
        patience: Duration = .seconds(30)
    ) async throws -> ExitCode {
        let http = makeHTTPClient()
        defer { http.shutdown() }
        guard let etcd = etcd(session, settings, http: http) else { return .failure }
        let sent = try await send(kind: kind, target: target, detail: detail, reason: reason, by: by, settings, etcd: etcd, patience: patience)
        session.context.console.out(sent.summary)
        return sent.outcome?.ok == false ? .failure : .ok
    }

    /// A command written to etcd and what became of it within the wait.
    struct Sent {
        /// The command as written.
        let command: ClusterCommand
        /// The leader's outcome; nil when none came within the wait.
        let outcome: ClusterCommandOutcome?
        /// The leader when the wait ended without an outcome.
        let leader: String?

        /// The outcome with the node that carried it out, or which node will.
        var summary: String {
            if let outcome { return "\(outcome.message) (carried out by \(outcome.node))" }
            return "\(command.kind.rawValue) \(command.target) is written to etcd as command \(command.id); "
                + "\(leader.map { "\($0), the leader," } ?? "the next leader") carries it out when it next runs"
        }
    }

    /// Writes the command to `<prefix>/commands/` and waits (up to `patience`, zero for none) for the leader's outcome.
    static func send(
        kind: ClusterCommand.Kind, target: String, detail: String? = nil, reason: String?, by: String, _ settings: ClusterSettings, etcd: EtcdClient,
        patience: Duration
    ) async throws -> Sent {
        let node = ClusterNode(settings: settings, etcd: etcd, now: Date())
        let command = ClusterCommand(
            id: "\(Int(Date().timeIntervalSince1970 * 1000))-\(settings.node)-\(UUID().uuidString.prefix(8).lowercased())", kind: kind, target: target,
            detail: detail, reason: reason, by: by, node: settings.node, at: Date())
        try await node.submit(command)
        let deadline = ContinuousClock.now + patience
        while ContinuousClock.now < deadline {
            if let outcome = try await node.outcome(of: command.id) { return Sent(command: command, outcome: outcome, leader: outcome.node) }
            try await Task.sleep(for: .milliseconds(100))
        }
        let leader = try? await etcd.range(node.leaderKey).kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
        return Sent(command: command, outcome: nil, leader: leader)
    }
}
