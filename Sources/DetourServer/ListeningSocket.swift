import Glibc

/// Accepting on a listening socket, shared by the server and the sandbox.
public enum ListeningSocket {
    /// The next accepted connection (close-on-exec), retrying interrupted and transient failures;
    /// nil once the socket is shut down (`isStopping`) or on an error accepting cannot recover from.
    ///
    /// `address` receives the peer's address when given.
    public static func accept(_ listenFD: Int32, address: UnsafeMutablePointer<sockaddr_storage>? = nil, isStopping: () -> Bool) -> Int32? {
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd =
                if let address {
                    address.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listenFD, $0, &length) }
                } else {
                    Glibc.accept(listenFD, nil, nil)
                }
            if fd >= 0 {
                // Keep sockets out of child processes (tests spawn the detour binary).
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return fd
            }
            let code = errno
            if isStopping() { return nil }
            switch code {
            case EINTR, ECONNABORTED, EPROTO:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors or memory: back off instead of spinning.
                usleep(50_000)
                continue
            default:
                return nil
            }
        }
    }
}
