import DetourServer
import Dispatch
import Foundation
import Glibc

/// One listening session of the sandbox, from `start()` to `stop()`: the listening socket,
/// the accept thread and the connection threads.
///
/// `@unchecked Sendable` because its mutable fields (`stopping`, `connections`) are only touched
/// while `condition` is locked; it is shared by the server, the accept thread and connection threads.
final class SandboxRun: @unchecked Sendable {
    /// The bound port.
    let port: UInt16
    private let listenFD: Int32
    private let condition = NSCondition()
    private var stopping = false
    private var connections: Set<Int32> = []
    private let acceptDone = DispatchSemaphore(value: 0)
    private let inFlight = DispatchGroup()

    private init(listenFD: Int32, port: UInt16) {
        self.listenFD = listenFD
        self.port = port
    }

    /// Binds and listens on 127.0.0.1:`port` (0 picks a free port) with `SO_REUSEADDR`.
    static func listen(port: UInt16) throws(SandboxError) -> SandboxRun {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("cannot create socket", errno: errno) }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: in_addr_t(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw .posix("cannot listen on 127.0.0.1:\(port)", errno: code)
        }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw .posix("cannot read bound address", errno: code)
        }
        return SandboxRun(listenFD: fd, port: UInt16(bigEndian: address.sin_port))
    }

    /// Starts the accept thread; each accepted socket is served by `handler` on its own thread,
    /// and closed afterwards.
    func startAccepting(_ handler: @escaping @Sendable (Int32, SandboxRun) -> Void) {
        let thread = Thread { [self] in
            acceptLoop(handler)
            acceptDone.signal()
        }
        thread.name = "DetourSandbox.accept.\(port)"
        thread.start()
    }

    /// Whether `stop()` has begun.
    var isStopping: Bool {
        condition.withLock { stopping }
    }

    /// Waits for `duration`; returns false early when the run is stopped meanwhile.
    func sleep(for duration: Duration) -> Bool {
        condition.sleep(for: duration) { stopping }
    }

    /// Closes the listener, wakes sleeping handlers, shuts down open connections and waits
    /// (bounded) for their threads to end. Idempotent.
    func stop() {
        let alreadyStopping = condition.withLock {
            defer { stopping = true }
            condition.broadcast()
            return stopping
        }
        guard !alreadyStopping else { return }
        // shutdown() wakes a thread blocked in accept(); closing first could race with fd reuse.
        shutdown(listenFD, Int32(SHUT_RDWR))
        acceptDone.wait()
        close(listenFD)
        condition.withLock {
            // Under the lock so a handler cannot close (and the kernel reuse) one of these fds meanwhile.
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        _ = inFlight.wait(timeout: .now() + .seconds(5))
    }

    private func acceptLoop(_ handler: @escaping @Sendable (Int32, SandboxRun) -> Void) {
        while true {
            guard let fd = ListeningSocket.accept(listenFD, isStopping: { isStopping }) else { return }
            let accepted = condition.withLock {
                guard !stopping else { return false }
                connections.insert(fd)
                return true
            }
            guard accepted else {
                close(fd)
                return
            }
            inFlight.enter()
            let thread = Thread { [self] in
                handler(fd, self)
                condition.withLock { _ = connections.remove(fd) }
                close(fd)
                inFlight.leave()
            }
            thread.name = "DetourSandbox.connection"
            thread.start()
        }
    }
}
