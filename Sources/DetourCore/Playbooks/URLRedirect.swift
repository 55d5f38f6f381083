/// Sends every outgoing request to one local server instead, keeping the original host in the
/// path: `https://api.line.me/v2/x` → `http://127.0.0.1:8080/ext/api.line.me/v2/x`.
/// `detour demo` uses it to run a real workspace against the sandbox.
public struct URLRedirect: Sendable {
    /// The local base URL (`http://127.0.0.1:PORT`).
    public var base: String

    /// Creates a redirect to a base URL.
    public init(base: String) { self.base = base }

    /// The redirected URL; URLs already on the base are kept.
    public func apply(_ url: String) -> String {
        if url.hasPrefix(base) { return url }
        guard let schemeEnd = url.range(of: "://") else { return url }
        return base + "/ext/" + url[schemeEnd.upperBound...]
    }
}
