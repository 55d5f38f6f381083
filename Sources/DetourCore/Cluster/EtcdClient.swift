import Foundation
import Synchronization

/// What went wrong talking to etcd.
public struct EtcdError: DetourError {
    /// What is wrong and what to do.
    public var description: String
    /// True when no endpoint could be reached or none has a quorum: the node must stop acting.
    public var unavailable: Bool

    /// Creates an error.
    public init(description: String, unavailable: Bool) {
        self.description = description
        self.unavailable = unavailable
    }
}

/// One key and its value as etcd keeps it.
public struct EtcdKeyValue: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The value's bytes.
    public var value: Data
    /// The revision that created the key (the fencing token for the leader key).
    public var createRevision: Int64
    /// The revision of the last change.
    public var modRevision: Int64
    /// The lease the key is bound to, 0 for none.
    public var lease: Int64
}

/// One comparison of a transaction.
public struct EtcdCompare: Sendable {
    /// What is compared.
    public enum Target: Sendable {
        /// The key's create revision (0: the key does not exist).
        case createRevision(Int64)
        /// The key's last-change revision.
        case modRevision(Int64)
        /// The key's value.
        case value(Data)
    }

    /// The key.
    public var key: String
    /// Equal to what.
    public var target: Target

    /// The key must have this create revision (0: must not exist).
    public static func created(_ key: String, at revision: Int64) -> EtcdCompare { EtcdCompare(key: key, target: .createRevision(revision)) }
}

/// One operation of a transaction.
public enum EtcdOperation: Sendable {
    /// Writes a key, bound to a lease (0: none).
    case put(key: String, value: Data, lease: Int64)
    /// Deletes a key.
    case delete(key: String)
    /// Reads a key.
    case get(key: String)
    /// Deletes every key from `from` up to (not including) `to`.
    case deleteRange(from: String, to: String)
}

/// An endpoint's health, from `/v3/maintenance/status`.
public struct EtcdEndpointStatus: Sendable {
    /// The endpoint URL.
    public var endpoint: String
    /// The server version, when it answered.
    public var version: String?
    /// The database size in bytes.
    public var dbSize: Int64?
    /// Whether the member knows a raft leader.
    public var hasLeader: Bool
    /// Why it is unhealthy, if it is.
    public var error: String?
}

/// etcd v3 through its JSON gateway (`/v3/...`, etcd 3.4 and later) over Detour's libcurl client.
///
/// Keys and values travel as Base64. Endpoints are tried in order; a transport failure or an
/// answer saying the member has no quorum moves on to the next one.
public final class EtcdClient: Sendable {
    /// The client URLs.
    public let endpoints: [String]
    private let http: HTTPClient
    private let user: String?
    private let password: String?
    private let caFile: String?
    private let timeout: Duration
    private let token = Mutex<String?>(nil)
    /// The endpoint that answered last, tried first next time.
    private let preferred = Mutex(0)

    /// Creates a client; `password` is the resolved secret.
    public init(endpoints: [String], http: HTTPClient, user: String? = nil, password: String? = nil, caFile: String? = nil, timeout: Duration = .seconds(2)) {
        self.endpoints = endpoints
        self.http = http
        self.user = user
        self.password = password
        self.caFile = caFile
        self.timeout = timeout
    }

    // MARK: - Keys

    /// The keys at `key`, or under it when `prefix`; with the store's revision.
    public func range(_ key: String, prefix: Bool = false, from start: String? = nil, keysOnly: Bool = false, limit: Int = 0) async throws -> (
        kvs: [EtcdKeyValue], revision: Int64
    ) {
        var body: [String: Any] = ["key": Self.encode(start ?? key)]
        if prefix { body["range_end"] = Self.encode(Self.prefixEnd(key)) }
        if keysOnly { body["keys_only"] = true }
        if limit > 0 { body["limit"] = String(limit) }
        let answer = try await call("/v3/kv/range", body)
        return (Self.keyValues(answer["kvs"]), Self.int(answer["header"], "revision"))
    }

    /// Writes a key, bound to a lease (0: none).
    public func put(_ key: String, _ value: Data, lease: Int64 = 0) async throws {
        var body: [String: Any] = ["key": Self.encode(key), "value": value.base64EncodedString()]
        if lease != 0 { body["lease"] = String(lease) }
        _ = try await call("/v3/kv/put", body)
    }

    /// Deletes a key, or every key under it when `prefix`.
    public func delete(_ key: String, prefix: Bool = false) async throws {
        var body: [String: Any] = ["key": Self.encode(key)]
        if prefix { body["range_end"] = Self.encode(Self.prefixEnd(key)) }
        _ = try await call("/v3/kv/deleterange", body)
    }

    /// Runs `success` when every comparison holds, `failure` otherwise; whether they held, and what the gets read.
    public func txn(_ compares: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) async throws -> (
        succeeded: Bool, read: [EtcdKeyValue]
    ) {
        let body: [String: Any] = [
            "compare": compares.map(Self.json), "success": success.map(Self.json), "failure": failure.map(Self.json),
        ]
        let answer = try await call("/v3/kv/txn", body)
        let responses = answer["responses"] as? [[String: Any]] ?? []
        let read = responses.flatMap { Self.keyValues(($0["response_range"] as? [String: Any])?["kvs"]) }
        return ((answer["succeeded"] as? Bool) ?? false, read)
    }

    // MARK: - Leases

    /// A new lease of `ttl`; its id.
    public func grantLease(ttl: Duration) async throws -> Int64 {
        let answer = try await call("/v3/lease/grant", ["TTL": String(max(1, ttl.components.seconds))])
        let id = Self.int(answer, "ID")
        guard id != 0 else { throw EtcdError(description: "etcd granted no lease: \(answer["error"] ?? "no ID")", unavailable: false) }
        return id
    }

    /// Renews a lease; the seconds it has left, 0 when it has expired.
    public func keepAlive(_ lease: Int64) async throws -> Int64 {
        let answer = try await call("/v3/lease/keepalive", ["ID": String(lease)])
        return Self.int(answer["result"], "TTL")
    }

    /// Ends a lease at once, deleting its keys.
    public func revoke(_ lease: Int64) async throws {
        _ = try await call("/v3/lease/revoke", ["ID": String(lease)])
    }

    // MARK: - Health

    /// Each endpoint's status, asked of that endpoint only.
    public func status() async -> [EtcdEndpointStatus] {
        var result: [EtcdEndpointStatus] = []
        for endpoint in endpoints {
            do {
                let answer = try await exchange(endpoint, "/v3/maintenance/status", [:])
                let leader = Self.int(answer, "leader")
                result.append(
                    EtcdEndpointStatus(
                        endpoint: endpoint, version: answer["version"] as? String, dbSize: Self.int(answer, "dbSize"), hasLeader: leader != 0,
                        error: leader == 0 ? "no raft leader" : nil))
            } catch {
                result.append(EtcdEndpointStatus(endpoint: endpoint, version: nil, dbSize: nil, hasLeader: false, error: error.message))
            }
        }
        return result
    }

    // MARK: - Transport

    /// Posts to the endpoints in turn until one answers.
    private func call(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        let first = preferred.withLock { $0 }
        var problems: [String] = []
        for offset in 0..<endpoints.count {
            let index = (first + offset) % endpoints.count
            do {
                let answer = try await exchange(endpoints[index], path, body)
                preferred.withLock { $0 = index }
                return answer
            } catch let error as EtcdError where error.unavailable {
                problems.append(error.description)
            }
        }
        throw EtcdError(
            description: "no etcd endpoint answered with a quorum (\(problems.joined(separator: "; "))); check that etcd runs and cluster.etcd.endpoints",
            unavailable: true)
    }

    /// One POST to one endpoint, authenticating first when a user is set.
    private func exchange(_ endpoint: String, _ path: String, _ body: [String: Any], retryAuth: Bool = true) async throws -> [String: Any] {
        var headers: [HTTPHeader] = [HTTPHeader("Content-Type", "application/json")]
        if user != nil, path != "/v3/auth/authenticate" {
            let current = try await authToken(endpoint)
            headers.append(HTTPHeader("Authorization", current))
        }
        let data = try JSONSerialization.data(withJSONObject: body)
        let request = HTTPRequest(
            method: "POST", url: endpoint + path, headers: headers, body: [UInt8](data), timeout: timeout, followRedirects: false, freshConnection: false,
            caBundlePath: caFile)
        let response: HTTPResponse
        switch await http.send(request) {
        case .success(let answer): response = answer
        case .failure(let failure): throw EtcdError(description: "\(endpoint): \(failure.message)", unavailable: true)
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let message = (json["message"] as? String) ?? (json["error"] as? String)
        if let message, json["header"] == nil, json["result"] == nil {
            if retryAuth, user != nil, message.contains("token") {
                token.withLock { $0 = nil }
                return try await exchange(endpoint, path, body, retryAuth: false)
            }
            // No leader, timeouts, a stopped member: another endpoint may have the quorum.
            let unavailable = response.status >= 500 || message.contains("leader") || message.contains("timed out") || message.contains("stopped")
            throw EtcdError(description: "\(endpoint): \(message)", unavailable: unavailable)
        }
        guard (200..<300).contains(response.status) else {
            throw EtcdError(description: "\(endpoint) answered \(response.status) to \(path)", unavailable: response.status >= 500)
        }
        return json
    }

    /// The auth token, fetched once with the user and password.
    private func authToken(_ endpoint: String) async throws -> String {
        if let current = token.withLock({ $0 }) { return current }
        let answer: [String: Any]
        do {
            answer = try await exchange(endpoint, "/v3/auth/authenticate", ["name": user ?? "", "password": password ?? ""])
        } catch let error as EtcdError where !error.unavailable {
            throw EtcdError(description: "\(error.description); check cluster.etcd.user and the password it references in detour.json5", unavailable: false)
        }
        guard let fresh = answer["token"] as? String else {
            throw EtcdError(
                description: "etcd refused user \(user ?? "") at \(endpoint); check cluster.etcd.user and the password it references in detour.json5",
                unavailable: false)
        }
        token.withLock { $0 = fresh }
        return fresh
    }

    // MARK: - Encoding

    static func encode(_ key: String) -> String { Data(key.utf8).base64EncodedString() }

    /// The first key after every key that starts with `prefix`.
    static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\0"
    }

    static func int(_ object: Any?, _ key: String) -> Int64 {
        let value = (object as? [String: Any])?[key]
        if let text = value as? String { return Int64(text) ?? 0 }
        if let number = value as? NSNumber { return number.int64Value }
        return 0
    }

    static func keyValues(_ list: Any?) -> [EtcdKeyValue] {
        (list as? [[String: Any]] ?? []).map { item in
            EtcdKeyValue(
                key: String(decoding: Data(base64Encoded: item["key"] as? String ?? "") ?? Data(), as: UTF8.self),
                value: Data(base64Encoded: item["value"] as? String ?? "") ?? Data(), createRevision: int(item, "create_revision"),
                modRevision: int(item, "mod_revision"), lease: int(item, "lease"))
        }
    }

    static func json(_ compare: EtcdCompare) -> [String: Any] {
        var object: [String: Any] = ["key": encode(compare.key), "result": "EQUAL"]
        switch compare.target {
        case .createRevision(let revision):
            object["target"] = "CREATE"
            object["create_revision"] = String(revision)
        case .modRevision(let revision):
            object["target"] = "MOD"
            object["mod_revision"] = String(revision)
        case .value(let data):
            object["target"] = "VALUE"
            object["value"] = data.base64EncodedString()
        }
        return object
    }

    static func json(_ operation: EtcdOperation) -> [String: Any] {
        switch operation {
        case .put(let key, let value, let lease):
            var put: [String: Any] = ["key": encode(key), "value": value.base64EncodedString()]
            if lease != 0 { put["lease"] = String(lease) }
            return ["request_put": put]
        case .delete(let key): return ["request_delete_range": ["key": encode(key)]]
        case .get(let key): return ["request_range": ["key": encode(key)]]
        case .deleteRange(let from, let to): return ["request_delete_range": ["key": encode(from), "range_end": encode(to)]]
        }
    }
}
