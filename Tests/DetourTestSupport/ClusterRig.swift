import DetourCore
import DetourSandbox
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Three `detour watch` nodes (one workspace copy and state folder each), a real etcd cluster and the sandbox.
public final class ClusterRig: @unchecked Sendable {
    // @unchecked: driven by one test task at a time; `nodes` is only touched under `lock`.
    /// The fake storefronts and providers.
    public let sandbox = SandboxServer()
    /// The etcd cluster.
    public let etcd: EtcdCluster
    /// Each node's workspace (its state in `.detour`).
    public let workspaces: [TemporaryWorkspace]
    /// The node names, `n1`…
    public let names: [String]
    /// The key prefix this rig's cluster uses.
    public let prefix = "/detour/test-\(UUID().uuidString.prefix(8).lowercased())"
    /// The lease lifetime every node uses.
    public let leaseTTL: Duration
    /// The environment the nodes run with (provider tokens).
    public let environment: [String: String]
    private let lock = NSLock()
    private var nodes: [RunningCommand?]
    private let http = HTTPClient(maxConcurrent: 8)
    private let client: EtcdClient

    /// Writes the workspaces; `blackHoled` nodes probe a closed port instead of the storefront (a broken route);
    /// with `heartbeatToken`, a heartbeat channel `sync` (checked in hourly) takes that token, and console user `sato` can sign in;
    /// `compactAfter` sets the cluster's setting of that name; with `pingPath`, each node sends its heartbeat to the sandbox's hc-ping.com under it.
    public init(
        nodes count: Int = 3, leaseTTL: Duration = .seconds(2), blackHoled: Set<Int> = [], heartbeatToken: String? = nil, compactAfter: Int? = nil,
        pingPath: String? = nil
    ) async throws {
        etcd = try await EtcdCluster(members: 3)
        self.leaseTTL = leaseTTL
        var environment = ["LINE_TOKEN": "line-token-1", "X_TOKEN": "x-token-1"]
        if let heartbeatToken { environment["SYNC_TOKEN"] = heartbeatToken }
        try sandbox.start()
        sandbox.enableProviderFakes()
        if let pingPath { environment["HEARTBEAT_URL"] = "\(sandbox.baseURL)/ext/hc-ping.com/\(pingPath)" }
        self.environment = environment
        let base = sandbox.baseURL
        let closed = try FreePorts.take(1)[0]
        let endpoints = etcd.clientURLs.map { "\"\($0)\"" }.joined(separator: ", ")
        names = (1...count).map { "n\($0)" }
        var workspaces: [TemporaryWorkspace] = []
        for (index, name) in names.enumerated() {
            let workspace = try TemporaryWorkspace()
            try workspace.write(
                "detour.json5",
                """
                { providers: { line: "\(base)/ext/api.line.me", x: "\(base)/ext/api.x.com" },\(heartbeatToken == nil ? "" : " console: { users: [{ name: \"sato\", role: \"operator\" }] },")\(pingPath == nil ? "" : " heartbeat: { url: \"env:HEARTBEAT_URL\" },")
                  cluster: { etcd: { endpoints: [\(endpoints)] }, prefix: "\(prefix)", node: "\(name)", leaseTTL: "\(leaseTTL.components.seconds)s"\(compactAfter.map { ", compactAfter: \($0)" } ?? "") } }
                """)
            let probe = blackHoled.contains(index) ? "http://127.0.0.1:\(closed)/item" : "\(base)/store/mall/item"
            try workspace.write(
                "channels/mall.json5",
                """
                { name: "モール", kind: "mall", url: "\(base)/store/mall/", probes: [{ url: "\(probe)" }],
                  schedule: { every: "1s", confirmEvery: "1s", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "0s" }, revenue: { perHour: 60000 } }
                """)
            try workspace.write(
                "playbooks/down.json5",
                """
                { on: { event: "down", channels: ["mall"] },
                  steps: [
                    { id: "promo", do: "http", request: { url: "\(base)/promo", json: { on: true } }, undo: { request: { url: "\(base)/promo", json: { on: false } } } },
                    { id: "line", do: "http", request: { url: "\(base)/line", json: { text: "{{channel.name}}で障害" } } },
                    { id: "broadcast", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害が発生しています" },
                    { id: "tweet", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}で障害が発生しています", continueOnError: true },
                  ],
                  recovery: [{ id: "line-back", do: "http", request: { url: "\(base)/line-back", json: { text: "復旧" } } }] }
                """)
            if let heartbeatToken {
                try workspace.write(
                    "channels/sync.json5", "{ name: \"在庫連携\", kind: \"heartbeat\", heartbeat: { every: \"1h\", grace: \"1h\", token: \"env:SYNC_TOKEN\" } }")
            }
            workspaces.append(workspace)
        }
        self.workspaces = workspaces
        nodes = Array(repeating: nil, count: count)
        client = EtcdClient(endpoints: etcd.clientURLs, http: http)
    }

    deinit {
        for index in 0..<names.count { stop(index) }
        sandbox.stop()
        http.shutdown()
    }

    /// Starts node `index` (`detour watch`, with `arguments` added).
    public func start(_ index: Int, arguments: [String] = []) throws {
        let running = try DetourBinary.start(["watch"] + arguments, in: workspaces[index].root, environment: environment)
        lock.withLock { nodes[index] = running }
    }

    /// Starts every node.
    public func startAll(arguments: [String] = []) throws {
        for index in 0..<names.count { try start(index, arguments: arguments) }
    }

    /// The running node `index`, if it runs.
    public func node(_ index: Int) -> RunningCommand? { lock.withLock { nodes[index] } }

    /// Sends `signal` to node `index`.
    public func signal(_ index: Int, _ number: Int32) {
        guard let running = node(index), running.process.isRunning else { return }
        kill(running.process.processIdentifier, number)
    }

    /// Kills node `index` with SIGKILL and waits for it; its output stays readable.
    @discardableResult
    public func stop(_ index: Int) -> CommandResult? {
        guard let running = node(index) else { return nil }
        if running.process.isRunning {
            kill(running.process.processIdentifier, SIGCONT)
            kill(running.process.processIdentifier, SIGKILL)
        }
        return running.wait()
    }

    /// The leader's index, as etcd says now.
    public func leader() async -> Int? {
        guard let holder = try? await client.range(prefix + "/leader").kvs.first else { return nil }
        return names.firstIndex(of: String(decoding: holder.value, as: UTF8.self))
    }

    /// The keys under `prefix` + `under` (like `/log/`), in order.
    public func keys(under: String) async throws -> [String] {
        try await client.range(prefix + under, prefix: true, keysOnly: true).kvs.map(\.key)
    }

    /// The value of the key `prefix` + `suffix`, nil when there is none.
    public func value(_ suffix: String) async throws -> Data? {
        try await client.range(prefix + suffix).kvs.first?.value
    }

    /// The nodes whose lease is alive.
    public func liveNodes() async -> Int {
        (try? await client.range(prefix + "/nodes/", prefix: true, keysOnly: true).kvs.count) ?? 0
    }

    /// Waits until `count` nodes are live and one leads; its index.
    public func waitForLeader(nodes count: Int = 3, otherThan excluded: Int? = nil, within limit: Duration = .seconds(30)) async throws -> Int? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let leader = await leader(), leader != excluded, await liveNodes() >= count { return leader }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// How many records of `type` node `index`'s local journal holds.
    public func journaled(_ type: String, on index: Int) -> Int {
        ((try? workspaces[index].journalText()) ?? "").components(separatedBy: "\"type\":\"\(type)\"").count - 1
    }
}
