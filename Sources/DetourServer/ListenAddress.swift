import Glibc

/// Where the server listens: an IP address (v4 or v6) and a port, as written `HOST:PORT`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// The numeric host, e.g. `127.0.0.1` or `::1` (without brackets).
    public var host: String
    /// The port; 0 lets the system pick a free one.
    public var port: UInt16

    /// Creates an address from a numeric host and a port.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[V6]:PORT` or a bare `PORT` (meaning 127.0.0.1); `localhost` means 127.0.0.1.
    /// Nil when it is none of these.
    public init?(parsing text: String) {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            guard text.firstIndex(of: ":") == colon else { return nil }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText), Self.family(of: host) != nil else { return nil }
        self.init(host: host, port: port)
    }

    /// Whether only this machine can connect (127.0.0.0/8 or ::1).
    public var isLoopback: Bool {
        host == "::1" || (Self.family(of: host) == AF_INET && host.hasPrefix("127."))
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `AF_INET` or `AF_INET6` for a numeric host, nil when it is not one.
    static func family(of host: String) -> Int32? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return AF_INET }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return AF_INET6 }
        return nil
    }
}
