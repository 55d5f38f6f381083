import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which redirects a request may follow, so a page a stranger serves cannot turn a probe against the merchant.
///
/// Whatever the policy, a redirect only goes to `http` or `https`, and one to another origin (scheme, host or
/// port) drops every header the request set.
public struct RedirectPolicy: Sendable, Equatable {
    /// Whether an `https` page may send the probe on to plain `http`.
    public var allowInsecure: Bool
    /// Whether a public address may send the probe on to a loopback, link-local or private one.
    public var allowPrivate: Bool
    /// How the first address counts, instead of what it is; lets tests on 127.0.0.1 play a public shop.
    var originScope: AddressScope? = nil

    /// Creates a policy; the default refuses downgrades and public-to-private redirects.
    public init(allowInsecure: Bool = false, allowPrivate: Bool = false) {
        self.allowInsecure = allowInsecure
        self.allowPrivate = allowPrivate
    }

    /// Why the hop from `current` to `target` must not be taken (scheme rules only), or nil when it may.
    func refusal(from current: String, to target: String) -> String? {
        let from = Self.scheme(current)
        guard let scheme = Self.scheme(target), scheme == "http" || scheme == "https" else {
            return "redirect to \(target) refused: only http and https addresses are followed"
        }
        if from == "https", scheme == "http", !allowInsecure {
            return "redirect from https to plain http (\(target)) refused; "
                + "if the shop really sends visitors there, set allowInsecureRedirect: true on the probe"
        }
        return nil
    }

    /// Why a hop to `target` may not connect to `address`, or nil when it may.
    static func addressRefusal(target: String, address: String, scope: AddressScope) -> String {
        "redirect to \(target) refused: it leads to \(address), a \(scope.description) address, from a public one; "
            + "if the shop really sends visitors there, set allowPrivateRedirect: true on the probe"
    }

    /// Whether two URLs differ in scheme, host or port (default ports filled in).
    static func isCrossOrigin(_ first: String, _ second: String) -> Bool {
        origin(first) != origin(second)
    }

    /// `scheme://host:port`, with the default port filled in. Read by hand rather than with URLComponents, which
    /// gives up on hosts and paths in Japanese that curl sends as they are.
    private static func origin(_ url: String) -> String {
        guard let scheme = scheme(url), let start = url.range(of: "://") else { return url }
        var authority = url[start.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        var port = scheme == "https" ? "443" : "80"
        let hostEnd = authority.hasPrefix("[") ? authority.firstIndex(of: "]").map { authority.index(after: $0) } : authority.firstIndex(of: ":")
        if let hostEnd, hostEnd < authority.endIndex {
            host = authority[..<hostEnd]
            let written = authority[hostEnd...].dropFirst()
            if !written.isEmpty { port = String(written) }
        }
        return "\(scheme)://\(host.lowercased()):\(port)"
    }

    /// The URL's scheme, lowercased; nil when it has none.
    private static func scheme(_ url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let scheme = url[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return scheme.lowercased()
    }
}

/// Where an IP address leads: the public internet, or somewhere only the monitor's own network reaches.
public enum AddressScope: Sendable, Equatable, CustomStringConvertible {
    /// Anywhere on the internet.
    case `public`
    /// This machine: 127.0.0.0/8, ::1.
    case loopback
    /// The local link: 169.254.0.0/16 (where cloud metadata services answer), fe80::/10.
    case linkLocal
    /// A private network: 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier NAT), fc00::/7.
    case `private`
    /// "This host" in any form: 0.0.0.0/8, ::, which Linux connects to itself.
    case unspecified

    /// The scope of an address written as text (`203.0.113.9`, `::1`, `::ffff:10.0.0.1`); text that is not an
    /// address counts as `.unspecified`, so it is never taken for public.
    public static func of(_ address: String) -> AddressScope {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return ipv4(withUnsafeBytes(of: v4.s_addr) { Array($0) })
        }
        var v6 = in6_addr()
        // Zone ids (`fe80::1%eth0`) are not part of the address.
        let plain = String(address.prefix { $0 != "%" })
        guard inet_pton(AF_INET6, plain, &v6) == 1 else { return .unspecified }
        return ipv6(withUnsafeBytes(of: v6) { Array($0) })
    }

    private static func ipv4(_ bytes: [UInt8]) -> AddressScope {
        switch (bytes[0], bytes[1]) {
        case (0, _): .unspecified
        case (127, _): .loopback
        case (169, 254): .linkLocal
        case (10, _), (192, 168): .private
        case (172, 16...31): .private
        case (100, 64...127): .private
        default: .public
        }
    }

    private static func ipv6(_ bytes: [UInt8]) -> AddressScope {
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? .loopback : .unspecified }
        // IPv4-mapped (::ffff:a.b.c.d) reaches the IPv4 address inside.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return ipv4(Array(bytes[12..<16])) }
        if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return .linkLocal }
        if bytes[0] & 0xFE == 0xFC { return .private }
        return .public
    }

    /// How the scope is said in messages.
    public var description: String {
        switch self {
        case .public: "public"
        case .loopback: "loopback"
        case .linkLocal: "link-local"
        case .private: "private"
        case .unspecified: "unspecified"
        }
    }
}
