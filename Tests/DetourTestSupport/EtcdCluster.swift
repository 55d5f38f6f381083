import DetourCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real etcd cluster on free 127.0.0.1 ports in a temporary folder, for the cluster tests.
///
/// Members can be stopped and started one by one; everything is stopped and removed on deinit.
public final class EtcdCluster: @unchecked Sendable {
    // @unchecked: driven by one test task at a time; `processes` is only touched under `lock`.
    /// The etcd binary, nil when etcd is not installed.
    public static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/etcd" } + ["/usr/bin/etcd", "/usr/local/bin/etcd"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The members' client URLs, in order.
    public let clientURLs: [String]
    private let peerURLs: [String]
    private let names: [String]
    private let folder: String
    private let lock = NSLock()
    private var processes: [Process?]

    /// Starts `members` members and waits until the cluster answers.
    public init(members: Int = 3) async throws {
        guard Self.binary != nil else { throw EtcdClusterError(description: "etcd is not installed") }
        folder = NSTemporaryDirectory() + "detour-etcd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ports = try FreePorts.take(members * 2)
        names = (0..<members).map { "m\($0)" }
        clientURLs = (0..<members).map { "http://127.0.0.1:\(ports[$0 * 2])" }
        peerURLs = (0..<members).map { "http://127.0.0.1:\(ports[$0 * 2 + 1])" }
        processes = Array(repeating: nil, count: members)
        for index in 0..<members { try launch(index) }
        try await waitUntilHealthy()
    }

    deinit {
        for index in 0..<names.count { stop(index) }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func launch(_ index: Int) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        let initial = zip(names, peerURLs).map { "\($0)=\($1)" }.joined(separator: ",")
        process.arguments = [
            "--name", names[index], "--data-dir", "\(folder)/\(names[index])", "--listen-client-urls", clientURLs[index],
            "--advertise-client-urls", clientURLs[index], "--listen-peer-urls", peerURLs[index], "--initial-advertise-peer-urls", peerURLs[index],
            "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "detour-test",
            "--heartbeat-interval", "100", "--election-timeout", "1000", "--logger", "zap", "--log-outputs", "\(folder)/\(names[index]).log",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes[index] = process }
    }

    /// Stops one member (SIGKILL: as if its machine died).
    public func stop(_ index: Int) {
        let process = lock.withLock {
            defer { processes[index] = nil }
            return processes[index]
        }
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Starts a stopped member again with its data.
    public func start(_ index: Int) throws {
        guard lock.withLock({ processes[index] }) == nil else { return }
        try launch(index)
    }

    /// Turns authentication on: a root user, and `user` with read and write access under `prefix` only.
    public func enableAuthentication(user: String, password: String, prefix: String) async throws {
        let http = HTTPClient(maxConcurrent: 2)
        defer { http.shutdown() }
        let encode = { (text: String) in Data(text.utf8).base64EncodedString() }
        var end = Array(prefix.utf8)
        end[end.count - 1] += 1
        let calls: [(String, String)] = [
            ("/v3/auth/user/add", #"{"name":"root","password":"root-password"}"#),
            ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#),
            ("/v3/auth/role/add", #"{"name":"detour"}"#),
            (
                "/v3/auth/role/grant",
                #"{"name":"detour","perm":{"permType":"READWRITE","key":"\#(encode(prefix))","range_end":"\#(Data(end).base64EncodedString())"}}"#
            ),
            ("/v3/auth/user/add", #"{"name":"\#(user)","password":"\#(password)"}"#),
            ("/v3/auth/user/grant", #"{"user":"\#(user)","role":"detour"}"#),
            ("/v3/auth/enable", "{}"),
        ]
        for (path, body) in calls {
            let request = HTTPRequest(method: "POST", url: clientURLs[0] + path, body: Array(body.utf8), timeout: .seconds(5), followRedirects: false)
            guard case .success(let response) = await http.send(request), response.status == 200 else {
                throw EtcdClusterError(description: "etcd refused \(path)")
            }
        }
    }

    /// Waits until a majority of the members answer with a leader.
    public func waitUntilHealthy(within limit: Duration = .seconds(30)) async throws {
        let http = HTTPClient(maxConcurrent: 4)
        defer { http.shutdown() }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var healthy = 0
            for url in clientURLs {
                let request = HTTPRequest(method: "GET", url: url + "/health", timeout: .seconds(1), followRedirects: false)
                if case .success(let response) = await http.send(request), String(decoding: response.body, as: UTF8.self).contains("\"true\"") {
                    healthy += 1
                }
            }
            if healthy * 2 > clientURLs.count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EtcdClusterError(description: "etcd did not become healthy in \(limit); logs in \(folder)")
    }
}

/// Why the test etcd cluster could not start.
public struct EtcdClusterError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}

/// Free TCP ports on 127.0.0.1, found by binding port 0.
public enum FreePorts {
    /// `count` distinct free ports.
    public static func take(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw EtcdClusterError(description: "cannot open a socket") }
            sockets.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
            }
            guard bound else { throw EtcdClusterError(description: "cannot bind a free port") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
