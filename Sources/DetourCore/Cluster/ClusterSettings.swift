import Foundation

/// How many live nodes must see a channel fail before it counts as failing.
public enum ClusterQuorum: Sendable, Equatable {
    /// A fixed number of nodes.
    case count(Int)
    /// More than half of the nodes whose lease is alive (and that are not offline themselves).
    case majority

    /// The votes needed among `live` counted nodes; never less than one.
    public func needed(live: Int) -> Int {
        switch self {
        case .count(let count): max(1, count)
        case .majority: max(1, live / 2 + 1)
        }
    }
}

/// The `cluster` setting of `detour.json5`: several nodes, one decision, through etcd.
public struct ClusterSettings: Sendable {
    /// The etcd client URLs, tried in order.
    public var endpoints: [String]
    /// The etcd user, when etcd has authentication on.
    public var user: String?
    /// The etcd password, as a credential reference.
    public var password: CredentialReference?
    /// A CA bundle for https endpoints.
    public var caFile: String?
    /// The key prefix every key of this workspace lives under (no trailing slash).
    public var prefix: String
    /// This node's name.
    public var node: String
    /// How long a node's lease lives without a keep-alive.
    public var leaseTTL: Duration
    /// The votes a failure needs.
    public var quorum: ClusterQuorum
    /// How many records the shared log may hold before the leader compacts it behind a snapshot.
    public var compactAfter: Int

    /// Creates settings.
    public init(
        endpoints: [String], user: String? = nil, password: CredentialReference? = nil, caFile: String? = nil, prefix: String, node: String,
        leaseTTL: Duration = .seconds(10), quorum: ClusterQuorum = .majority, compactAfter: Int = 1000
    ) {
        self.compactAfter = compactAfter
        self.endpoints = endpoints
        self.user = user
        self.password = password
        self.caFile = caFile
        self.prefix = prefix
        self.node = node
        self.leaseTTL = leaseTTL
        self.quorum = quorum
    }

    /// This machine's host name, the default node name.
    public static var hostName: String { ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "detour" }

    /// Reads `cluster: { … }`, reporting every problem.
    static func read(_ node: JSONNode, sink: DiagnosticSink) -> ClusterSettings? {
        guard let reader = NodeReader(node, subject: "cluster", sink: sink) else { return nil }
        defer { reader.finish() }
        var endpoints: [String] = []
        var user: String?
        var password: CredentialReference?
        var caFile: String?
        if let etcdNode = reader.required("etcd", hint: "etcd: { endpoints: [\"http://10.0.0.5:2379\"] }"),
            let etcd = NodeReader(etcdNode, subject: "cluster.etcd", sink: sink)
        {
            if etcd.value("endpoints") == nil {
                sink.error("cluster.etcd is missing \"endpoints\"; add endpoints: [\"http://10.0.0.5:2379\"]", at: etcdNode.location)
            }
            for endpoint in etcd.stringArray("endpoints") ?? [] {
                let text = endpoint.value
                guard text.hasPrefix("http://") || text.hasPrefix("https://"), URL(string: text)?.host != nil else {
                    sink.error("\"\(text)\" in cluster.etcd.endpoints is not an etcd client URL; write it like \"http://10.0.0.5:2379\"", at: endpoint.location)
                    continue
                }
                endpoints.append(text.hasSuffix("/") ? String(text.dropLast()) : text)
            }
            user = etcd.string("user")
            let fields = ProviderFields(reader: etcd, sink: sink, provider: "cluster.etcd")
            password = fields.credential("password", required: false, hint: "password: \"env:ETCD_PASSWORD\"")?.reference
            if user != nil, password == nil {
                sink.error("cluster.etcd has a user but no password; add password: \"env:ETCD_PASSWORD\"", at: etcdNode.location)
            }
            caFile = etcd.string("caFile")
            etcd.finish()
        }
        let prefixNode = reader.value("prefix")
        var prefix = prefixNode.flatMap { reader.expectString($0, key: "prefix") } ?? "/detour"
        if let prefixNode, !prefix.hasPrefix("/") || prefix.count < 2 {
            sink.error("cluster.prefix \"\(prefix)\" must start with / and name this workspace; write it like \"/detour/my-shop\"", at: prefixNode.location)
        }
        while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
        let nodeName = reader.value("node")
        let name = nodeName.flatMap { reader.expectString($0, key: "node") } ?? hostName
        if let nodeName, name.isEmpty || name.contains("/") {
            sink.error("cluster.node \"\(name)\" must be a name without /; write it like \"tokyo-a\"", at: nodeName.location)
        }
        let ttl = reader.duration("leaseTTL") ?? .seconds(10)
        if let ttlNode = reader.value("leaseTTL"), ttl < .seconds(2) {
            sink.error("cluster.leaseTTL must be at least 2s; write leaseTTL: \"10s\"", at: ttlNode.location)
        }
        var quorum = ClusterQuorum.majority
        if let quorumNode = reader.value("quorum") {
            switch quorumNode.value {
            case .string("majority"): quorum = .majority
            case .number(let number) where number >= 1 && number == number.rounded() && number < 100: quorum = .count(Int(number))
            default:
                reader.typeError("quorum", quorumNode, expected: "a number of nodes (like 2) or \"majority\"")
            }
        }
        let compactAfter = reader.count("compactAfter", minimum: 10) ?? 1000
        return ClusterSettings(
            endpoints: endpoints, user: user, password: password, caFile: caFile, prefix: prefix, node: name, leaseTTL: ttl, quorum: quorum,
            compactAfter: compactAfter)
    }
}
