/// Why a request could not be read; each case maps to the status answered (if any).
enum HTTPReadError: Error, Equatable {
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
enum HTTPBodyFraming: Equatable {
    /// No body.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// A chunked body follows the head.
    case chunked
}

/// The request line and header fields of an HTTP/1.x request.
struct HTTPRequestHead: Equatable {
    /// The method token, e.g. `GET`.
    var method: String
    /// The raw request target as sent.
    var target: String
    /// The protocol version, e.g. `HTTP/1.1`.
    var version: String
    /// Header fields in the order received, names as sent.
    var headers: [SandboxHeader]

    /// All values of the header named `name` (case-insensitive), joined with ", ".
    func header(_ name: String) -> String? {
        let values = headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The headers keyed by lowercased name, repeated fields joined with ", ".
    var headerDictionary: [String: String] {
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
    var expectsContinue: Bool {
        header("Expect")?.lowercased() == "100-continue"
    }

    /// The body framing declared by `Transfer-Encoding` / `Content-Length`.
    func bodyFraming(limit: Int) throws(HTTPReadError) -> HTTPBodyFraming {
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
    static func parse(_ bytes: some Collection<UInt8>) throws(HTTPReadError) -> HTTPRequestHead {
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

        var headers: [SandboxHeader] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header without colon") }
            let name = line[..<colon]
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(isTokenScalar) else { throw .malformed("bad header name") }
            let value = line[line.index(after: colon)...].trimmingSpaces
            guard !value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) else {
                throw .malformed("control character in header value")
            }
            headers.append(SandboxHeader(String(name), value))
        }
        return HTTPRequestHead(method: method, target: target, version: version, headers: headers)
    }

    private static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII, scalar.value > 0x20, scalar.value < 0x7F else { return false }
        return !"\"(),/:;<=>?@[\\]{}".unicodeScalars.contains(scalar)
    }
}

/// A fully read request: head, parsed target and body.
struct HTTPRequest {
    /// The request line and headers.
    var head: HTTPRequestHead
    /// The decoded body bytes.
    var body: [UInt8]

    /// The request method.
    var method: String { head.method }

    /// The target split into host (absolute form only), path and query.
    var target: RequestTarget { RequestTarget(head.target) }

    /// The `Host` header without its port, lowercased; empty when absent.
    var hostHeaderHost: String {
        guard let host = head.header("Host")?.trimmingSpaces, !host.isEmpty else { return "" }
        return RequestTarget.stripPort(host).lowercased()
    }

    /// The body decoded as UTF-8, repairing invalid sequences.
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A request target split into its parts.
struct RequestTarget: Equatable {
    /// The host from an absolute-form target (`http://host/…`), lowercased and without port.
    var host: String?
    /// The path, always starting with `/` (or `*` for `OPTIONS *`).
    var path: String
    /// The query without `?`, or nil when absent.
    var query: String?

    /// Splits an origin-form or absolute-form target.
    init(_ raw: String) {
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
    var isValid: Bool { path.hasPrefix("/") || path == "*" }

    /// Removes a trailing `:port` from an authority, keeping bracketed IPv6 literals intact.
    static func stripPort(_ authority: String) -> String {
        var authority = Substring(authority)
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[...close])
        }
        if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
        return String(authority)
    }
}

/// A response to be written once, followed by closing the connection.
struct HTTPResponse {
    /// The status code.
    var status: Int
    /// Headers other than `Content-Length` and `Connection`, which are always added by `serialized`.
    var headers: [SandboxHeader]
    /// The body bytes.
    var body: [UInt8]
    /// A body written in pieces after the head instead of `body` (drip-feed, huge pages).
    var stream: StreamedBody? = nil

    /// Creates a response with a text body.
    init(status: Int, headers: [SandboxHeader] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = Array(body.utf8)
    }

    /// An HTML response.
    static func html(_ status: Int, _ body: String, headers: [SandboxHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [SandboxHeader("Content-Type", "text/html; charset=utf-8")] + headers, body: body)
    }

    /// A plain-text response.
    static func text(_ status: Int, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [SandboxHeader("Content-Type", "text/plain; charset=utf-8")], body: body)
    }

    /// A JSON response.
    static func json(_ status: Int, _ body: String, headers: [SandboxHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: [SandboxHeader("Content-Type", "application/json")] + headers, body: body)
    }

    /// An empty `204 No Content`.
    static let noContent = HTTPResponse(status: 204)

    /// The plain-text error response for a read failure, or nil when nothing should be answered.
    static func forReadError(_ error: HTTPReadError) -> HTTPResponse? {
        switch error {
        case .closedEarly: nil
        case .malformed(let why): .text(400, "Bad Request: \(why)\n")
        case .tooLarge(let status): .text(status, "\(reasonPhrase(status))\n")
        case .timedOut: .text(408, "Request Timeout\n")
        case .unsupportedEncoding: .text(501, "Not Implemented: unsupported Transfer-Encoding\n")
        }
    }

    /// The wire bytes: status line, headers, `Content-Length`, `Connection: close`, body (unless HEAD).
    func serialized(includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        for field in headers {
            let lower = field.name.lowercased()
            guard lower != "content-length", lower != "connection", lower != "transfer-encoding" else { continue }
            // A header name or value with CR/LF would let a script forge the response framing.
            let name = field.name.filter { $0 != "\r" && $0 != "\n" }
            let value = field.value.filter { $0 != "\r" && $0 != "\n" }
            head += "\(name): \(value)\r\n"
        }
        // RFC 9110 §8.6 forbids Content-Length on 1xx and 204 responses.
        let length = stream.map { $0.chunk.count * $0.count } ?? body.count
        if status >= 200, status != 204 { head += "Content-Length: \(length)\r\n" }
        head += "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody, status != 204, status != 304 { bytes += body }
        return bytes
    }

    /// The standard reason phrase for common codes, "Status" otherwise.
    static func reasonPhrase(_ status: Int) -> String {
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
    var trimmingSpaces: String {
        let scalars = String(self).unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[start...end])
    }
}
