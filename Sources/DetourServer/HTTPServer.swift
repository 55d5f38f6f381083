import Dispatch
import Foundation
import Glibc

/// An HTTP/1.1 server for the daemon's console and status page: one thread per connection,
/// keep-alive, limits on time, size and connections, streamed bodies and a graceful shutdown.
///
/// `@unchecked Sendable` because its mutable fields (`stopping`, `connections`, `rejecting`) are only
/// touched while `condition` is locked; it is shared by its owner, the accept thread and connection threads.
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request; called on the connection's thread, so it must not block for long.
    public typealias Handler = @Sendable (ServerRequest) -> ServerResponse

    /// The bound address (with the port the system picked when 0 was asked).
    public let address: ListenAddress
    /// The limits in force.
    public let limits: ServerLimits
    private let listenFD: Int32
    private let handler: Handler
    private let condition = NSCondition()
    private var stopping = false
    /// Open connections, and whether each is between requests (idle) or busy with one.
    private var connections: [Int32: Bool] = [:]
    private var rejecting = 0
    private let acceptDone = DispatchSemaphore(value: 0)
    private let inFlight = DispatchGroup()

    private init(listenFD: Int32, address: ListenAddress, limits: ServerLimits, handler: @escaping Handler) {
        self.listenFD = listenFD
        self.address = address
        self.limits = limits
        self.handler = handler
    }

    /// Binds `address` (port 0 picks a free port), starts accepting, and returns the running server.
    public static func start(
        _ address: ListenAddress, limits: ServerLimits = ServerLimits(), handler: @escaping Handler
    ) throws(ServerError) -> HTTPServer {
        let (fd, port) = try bind(address)
        let server = HTTPServer(listenFD: fd, address: ListenAddress(host: address.host, port: port), limits: limits, handler: handler)
        let thread = Thread { [server] in
            server.acceptLoop()
            server.acceptDone.signal()
        }
        thread.name = "DetourServer.accept.\(port)"
        thread.start()
        return server
    }

    /// The bound port.
    public var port: UInt16 { address.port }

    /// Whether `shutdown()` has begun.
    public var isStopping: Bool {
        condition.withLock { stopping }
    }

    /// How many connections are open now.
    public var openConnections: Int {
        condition.withLock { connections.count }
    }

    /// Waits for `duration`; returns false early when the server begins stopping.
    public func sleep(for duration: Duration) -> Bool {
        condition.sleep(for: duration) { stopping }
    }

    /// Stops accepting, closes idle connections, lets requests in flight finish (streams are told to
    /// end) for up to `limits.shutdownGrace`, then cuts off what is left. Idempotent.
    public func shutdown() {
        let alreadyStopping = condition.withLock {
            defer { stopping = true }
            condition.broadcast()
            return stopping
        }
        guard !alreadyStopping else { return }
        // shutdown() wakes a thread blocked in accept(); closing first could race with fd reuse.
        Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
        acceptDone.wait()
        close(listenFD)
        condition.withLock {
            // Under the lock so a handler cannot close (and the kernel reuse) one of these fds meanwhile.
            for (fd, idle) in connections where idle { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
        if inFlight.wait(timeout: .now() + Self.dispatchInterval(limits.shutdownGrace)) == .timedOut {
            condition.withLock {
                for fd in connections.keys { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
            }
            _ = inFlight.wait(timeout: .now() + .seconds(2))
        }
    }

    // MARK: - Accepting

    private func acceptLoop() {
        while true {
            var storage = sockaddr_storage()
            guard let fd = ListeningSocket.accept(listenFD, address: &storage, isStopping: { isStopping }) else { return }
            let client = Self.numericHost(&storage)
            enum Admission { case serve, reject, drop }
            let admission = condition.withLock { () -> Admission in
                if stopping { return .drop }
                if connections.count >= limits.maxConnections {
                    guard rejecting < limits.maxConnections else { return .drop }
                    rejecting += 1
                    return .reject
                }
                connections[fd] = false
                return .serve
            }
            switch admission {
            case .drop:
                close(fd)
                if isStopping { return }
            case .reject:
                inFlight.enter()
                spawn("DetourServer.reject") { [self] in
                    let connection = ServerConnection(fd: fd, ioTimeout: .seconds(1))
                    var response = ServerResponse.text(503, "Service Unavailable: too many connections\n")
                    response.headers.append(ServerHeader("Retry-After", "1"))
                    connection.send(response.serialized())
                    connection.finish()
                    close(fd)
                    condition.withLock { rejecting -= 1 }
                    inFlight.leave()
                }
            case .serve:
                inFlight.enter()
                spawn("DetourServer.connection") { [self] in
                    serve(fd: fd, client: client)
                    condition.withLock { _ = connections.removeValue(forKey: fd) }
                    close(fd)
                    inFlight.leave()
                }
            }
        }
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    // MARK: - Serving

    /// Serves requests on one connection until the client or a limit ends it.
    private func serve(fd: Int32, client: String) {
        let connection = ServerConnection(fd: fd, maxHeadBytes: limits.maxHeadBytes, ioTimeout: limits.ioTimeout)
        var served = 0
        while true {
            guard markIdle(fd, true) else { return }
            guard connection.waitForRequest(timeout: served == 0 ? limits.headTimeout : limits.idleTimeout) else { return }
            guard markIdle(fd, false) else { return }
            var request: ServerRequest
            do {
                request = try connection.readRequest(
                    maxBody: limits.maxBodyBytes, headTimeout: limits.headTimeout, bodyTimeout: limits.bodyTimeout)
            } catch {
                if let response = ServerResponse.forReadError(error) { connection.send(response.serialized()) }
                connection.finish()
                return
            }
            request.clientAddress = client
            served += 1
            let response = handler(request)
            let http11 = request.head.version == "HTTP/1.1"
            let keepAlive =
                request.head.wantsKeepAlive && response.stream == nil && served < limits.maxRequestsPerConnection && !isStopping
            let withBody = request.method != "HEAD"
            guard connection.send(response.serialized(includeBody: withBody, keepAlive: keepAlive, chunked: http11)) else { return }
            if withBody, let stream = response.stream {
                let writer = ServerStreamWriter(
                    connection: connection, chunked: http11 && stream.length == nil,
                    stopping: { [self] in isStopping }, pause: { [self] in sleep(for: $0) })
                stream.write(writer)
                guard writer.end() else { return }
            }
            if !keepAlive {
                connection.finish()
                return
            }
        }
    }

    /// Records whether the connection waits between requests; false when the server is stopping.
    private func markIdle(_ fd: Int32, _ idle: Bool) -> Bool {
        condition.withLock {
            guard !stopping else { return false }
            connections[fd] = idle
            return true
        }
    }

    // MARK: - Sockets

    private static func bind(_ address: ListenAddress) throws(ServerError) -> (Int32, UInt16) {
        guard let family = ListenAddress.family(of: address.host) else {
            throw ServerError("cannot listen on \(address): not a numeric IP address")
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("cannot create socket", errno: errno) }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        var length: socklen_t
        if family == AF_INET {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = address.port.bigEndian
            _ = inet_pton(AF_INET, address.host, &v4.sin_addr)
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v4) { raw.copyMemory(from: $0) } }
        } else {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = address.port.bigEndian
            _ = inet_pton(AF_INET6, address.host, &v6.sin6_addr)
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in withUnsafeBytes(of: v6) { raw.copyMemory(from: $0) } }
        }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            throw .posix("cannot listen on \(address)", errno: code)
        }
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw .posix("cannot read the bound address", errno: code)
        }
        // sin_port and sin6_port sit at the same offset, right after the family.
        let port = withUnsafeBytes(of: storage) { raw in UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)) }
        return (fd, port)
    }

    private static func numericHost(_ storage: inout sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        let ok = withUnsafePointer(to: &storage) { pointer -> Bool in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var addr = v4.pointee.sin_addr
                    return inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var addr = v6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil
            }
        }
        guard ok, let end = text.firstIndex(of: 0) else { return "" }
        return String(decoding: text[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        return .milliseconds(Int(seconds) * 1_000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
