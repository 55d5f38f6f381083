/// Why a request could not be read; each case maps to the status answered (if any).
public enum ServerReadError: Error, Equatable, Sendable {
    /// The peer closed or went silent before sending anything: answer nothing.
    case closedEarly
    /// The request line, a header or the body framing is invalid: 400.
    case malformed(String)
    /// The head or the body exceeded its limit: 431 or 413.
    case tooLarge(status: Int)
    /// The peer stopped sending mid-request: 408.
    case timedOut
    /// A `Transfer-Encoding` other than chunked: 501.
    case unsupportedEncoding
}

/// How the body of a request is delimited.
public enum ServerBodyFraming: Equatable, Sendable {
    /// No body.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// A chunked body follows the head.
    case chunked
}

/// The request line and header fields of an HTTP/1.x request.
public struct ServerRequestHead: Equatable, Sendable {
    /// The method token, e.g. `GET`.
    public var method: String
    /// The raw request target as sent.
    public var target: String
    /// The protocol version, e.g. `HTTP/1.1`.
    public var version: String
    /// Header fields in the order received, names as sent.
    public var headers: [ServerHeader]

    /// Creates a head from its parts.
    public init(method: String, target: String, version: String, headers: [ServerHeader]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// Whether the client wants the connection kept open after this exchange (HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    public var wantsKeepAlive: Bool {
        let tokens = (header("Connection") ?? "").lowercased().split(separator: ",").map(\.trimmingSpaces)
        if version == "HTTP/1.1" { return !tokens.contains("close") }
        return tokens.contains("keep-alive")
    }

    /// All values of the header named `name` (case-insensitive), joined with ", ".
    public func header(_ name: String) -> String? {
        let values = headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The headers keyed by lowercased name, repeated fields joined with ", ".
    public var headerDictionary: [String: String] {
        var result: [String: String] = [:]
        for field in headers {
            let key = field.name.lowercased()
            if let existing = result[key] {
                result[key] = existing + ", " + field.value
            } else {
                result[key] = field.value
            }
        }
        return result
    }

    /// Whether the client asked for `100 Continue` before sending the body.
    public var expectsContinue: Bool {
        header("Expect")?.lowercased() == "100-continue"
    }

    /// The body framing declared by `Transfer-Encoding` / `Content-Length`.
    public func bodyFraming(limit: Int) throws(ServerReadError) -> ServerBodyFraming {
        if let encoding = header("Transfer-Encoding") {
            let codings = encoding.split(separator: ",").map { $0.trimmingSpaces.lowercased() }
            // Chunked must be the final coding; anything else would need decoding we do not offer.
            guard codings.last == "chunked" else { throw .unsupportedEncoding }
            guard codings.allSatisfy({ $0 == "chunked" || $0 == "identity" }) else { throw .unsupportedEncoding }
            return .chunked
        }
        guard let declared = header("Content-Length") else { return .none }
        let values = Set(declared.split(separator: ",", omittingEmptySubsequences: false).map(\.trimmingSpaces))
        guard values.count == 1, let text = values.first, !text.isEmpty, text.count <= 18,
            text.allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(text)
        else { throw .malformed("invalid Content-Length") }
        guard length <= limit else { throw .tooLarge(status: 413) }
        return length == 0 ? .none : .length(length)
    }

    /// Parses the bytes before the blank line: a request line then `name: value` lines, CRLF-separated.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ServerReadError) -> ServerRequestHead {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        // RFC 9112 §2.2: ignore at least one empty line before the request line.
        while lines.first?.isEmpty == true { lines = lines.dropFirst() }
        guard let requestLine = lines.popFirst() else { throw .malformed("empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("bad request line") }
        let method = String(parts[0]), target = String(parts[1]), version = String(parts[2])
        guard !method.isEmpty, method.unicodeScalars.allSatisfy(isTokenScalar) else { throw .malformed("bad method") }
        guard !target.isEmpty, target.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { throw .malformed("bad request target") }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw .malformed("unsupported version") }

        var headers: [ServerHeader] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header without colon") }
            let name = line[..<colon]
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenScalar) else { throw .malformed("bad header name") }
            let value = line[line.index(after: colon)...].trimmingSpaces
            guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) else {
                throw .malformed("control character in header value")
            }
            headers.append(ServerHeader(String(name), value))
        }
        return ServerRequestHead(method: method, target: target, version: version, headers: headers)
    }

    private static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII, scalar.value > 0x20, scalar.value < 0x7F else { return false }
        return !"\"(),/:;<=>?@[\\]{}".unicodeScalars.contains(scalar)
    }
}

/// A fully read request: head, parsed target and body.
public struct ServerRequest: Sendable {
    /// The request line and headers.
    public var head: ServerRequestHead
    /// The decoded body bytes.
    public var body: [UInt8]
    /// The peer's address (`127.0.0.1`, `::1`), as the socket reports it; empty when unknown.
    public var clientAddress: String = ""

    /// Creates a request from its head and body.
    public init(head: ServerRequestHead, body: [UInt8], clientAddress: String = "") {
        self.head = head
        self.body = body
        self.clientAddress = clientAddress
    }

    /// The request method.
    public var method: String { head.method }

    /// The target split into host (absolute form only), path and query.
    public var target: RequestTarget { RequestTarget(head.target) }

    /// The `Host` header without its port, lowercased; empty when absent.
    public var hostHeaderHost: String {
        guard let host = head.header("Host")?.trimmingSpaces, !host.isEmpty else { return "" }
        return RequestTarget.stripPort(host).lowercased()
    }

    /// The body decoded as UTF-8, repairing invalid sequences.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A request target split into its parts.
public struct RequestTarget: Equatable, Sendable {
    /// The host from an absolute-form target (`http://host/…`), lowercased and without port.
    public var host: String?
    /// The path, always starting with `/` (or `*` for `OPTIONS *`).
    public var path: String
    /// The query without `?`, or nil when absent.
    public var query: String?

    /// Splits an origin-form or absolute-form target.
    public init(_ raw: String) {
        var rest = Substring(raw)
        host = nil
        for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            host = RequestTarget.stripPort(String(rest[..<end])).lowercased()
            rest = rest[end...]
            break
        }
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        } else {
            query = nil
        }
        if rest.isEmpty {
            path = "/"
        } else {
            path = String(rest)
        }
    }

    /// Whether the path is usable: origin form (`/…`) or the asterisk form.
    public var isValid: Bool { path.hasPrefix("/") || path == "*" }

    /// Removes a trailing `:port` from an authority, keeping bracketed IPv6 literals intact.
    public static func stripPort(_ authority: String) -> String {
        var authority = Substring(authority)
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
        return String(authority)
    }
}

/// A response: status, headers and a body given whole or written in pieces (`stream`).
public struct ServerResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Headers other than `Content-Length` and `Connection`, which are always added by `serialized`.
    public var headers: [ServerHeader]
    /// The body bytes.
    public var body: [UInt8]
    /// A body written in pieces after the head instead of `body` (server-sent events, drip-feed, huge pages).
    public var stream: ServerStream? = nil

    /// Creates a response with a text body.
    public init(status: Int, headers: [ServerHeader] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = Array(body.utf8)
    }

    /// An HTML response.
    public static func html(_ status: Int, _ body: String, headers: [ServerHeader] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [ServerHeader("Content-Type", "text/html; charset=utf-8")] + headers, body: body)
    }

    /// A plain-text response.
    public static func text(_ status: Int, _ body: String, headers: [ServerHeader] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [ServerHeader("Content-Type", "text/plain; charset=utf-8")] + headers, body: body)
    }

    /// A JSON response.
    public static func json(_ status: Int, _ body: String, headers: [ServerHeader] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [ServerHeader("Content-Type", "application/json")] + headers, body: body)
    }

    /// An empty `204 No Content`.
    public static let noContent = ServerResponse(status: 204)

    /// The plain-text error response for a read failure, or nil when nothing should be answered.
    public static func forReadError(_ error: ServerReadError) -> ServerResponse? {
        switch error {
        case .closedEarly: nil
        case .malformed(let why): .text(400, "Bad Request: \(why)\n")
        case .tooLarge(let status): .text(status, "\(reasonPhrase(status))\n")
        case .timedOut: .text(408, "Request Timeout\n")
        case .unsupportedEncoding: .text(501, "Not Implemented: unsupported Transfer-Encoding\n")
        }
    }

    /// The wire bytes of the head and (unless HEAD, 204 or 304) the whole body.
    ///
    /// Adds `Content-Length` (or `Transfer-Encoding: chunked` for a stream of unknown length when
    /// `chunked`), and `Connection: keep-alive` or `close`; those three are never taken from `headers`.
    public func serialized(includeBody: Bool = true, keepAlive: Bool = false, chunked: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(ServerResponse.reasonPhrase(status))\r\n"
        for field in headers {
            let lower = field.name.lowercased()
            guard lower != "content-length", lower != "connection", lower != "transfer-encoding" else { continue }
            // A header name or value with CR/LF would let a script forge the response framing.
            let name = field.name.filter { $0 != "\r" && $0 != "\n" }
            let value = field.value.filter { $0 != "\r" && $0 != "\n" }
            head += "\(name): \(value)\r\n"
        }
        // RFC 9110 §8.6 forbids Content-Length on 1xx and 204 responses.
        if status >= 200, status != 204 {
            if let stream {
                if let length = stream.length {
                    head += "Content-Length: \(length)\r\n"
                } else if chunked {
                    head += "Transfer-Encoding: chunked\r\n"
                }
            } else {
                head += "Content-Length: \(body.count)\r\n"
            }
        }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody, stream == nil, status != 204, status != 304 { bytes += body }
        return bytes
    }

    /// The standard reason phrase for common codes, "Status" otherwise.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status"
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    public var trimmingSpaces: String {
        let scalars = String(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[start...end])
    }
}

/// One HTTP header field, kept as an ordered name/value pair.
public struct ServerHeader: Sendable, Equatable, Codable {
    /// The header name as it will be written.
    public var name: String
    /// The header value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A response body written in pieces after the head.
public struct ServerStream: Sendable {
    /// The total length when known in advance (sent as `Content-Length`); nil: chunked, or until close.
    public var length: Int?
    /// Writes the pieces; returns when done, when a write fails, or when the writer says the server is stopping.
    public var write: @Sendable (ServerStreamWriter) -> Void

    /// Creates a stream of `length` bytes (nil: unknown) written by `write`.
    public init(length: Int? = nil, write: @escaping @Sendable (ServerStreamWriter) -> Void) {
        self.length = length
        self.write = write
    }
}
