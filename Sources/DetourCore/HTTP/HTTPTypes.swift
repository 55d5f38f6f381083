import Foundation

/// One HTTP header field, with the name spelled as sent or received.
public struct HTTPHeader: Sendable, Equatable {
    /// The field name, case as written.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension HTTPHeader {
    /// Why the field cannot go out as one header line (a CR, LF or NUL in its name or value), or nil when it can.
    ///
    /// A line break in a value would let whoever wrote the text (a page title, an operator's reason) add headers of
    /// their own, so such a field is refused, never cleaned up and sent.
    public var injectionProblem: String? {
        func forbidden(_ text: String) -> String? {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\r": return "a line break (CR)"
                case "\n": return "a line break (LF)"
                case "\0": return "a NUL character"
                default: continue
                }
            }
            return nil
        }
        if let what = forbidden(name) { return "header name \"\(Self.printable(name))\" contains \(what); a header must stay on one line" }
        if let what = forbidden(value) { return "header \(Self.printable(name)) contains \(what); a header must stay on one line" }
        return nil
    }

    /// The text with control characters written as `\xNN`, safe to print.
    private static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += String(format: "\\x%02x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// A request for `HTTPClient`: what to send and how to measure it.
public struct HTTPRequest: Sendable {
    /// The method: "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" (others are sent verbatim).
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// Headers sent in addition to curl's own; a header named here replaces curl's default of that name.
    public var headers: [HTTPHeader]
    /// The request body, sent as is; set a `Content-Type` header for it (curl otherwise says form-urlencoded).
    public var body: [UInt8]?
    /// Limit on the whole transfer, redirects included.
    public var timeout: Duration
    /// Whether to follow `Location` on 3xx responses.
    public var followRedirects: Bool
    /// Most redirects followed before failing with a protocol error.
    public var maxRedirects: Int
    /// Opens a new connection and closes it afterwards, so a probe measures what a new visitor sees.
    public var freshConnection: Bool
    /// Whether to read the server certificate's expiry into `HTTPResponse.certificateExpiry`.
    public var captureCertificate: Bool
    /// Most body bytes kept; the transfer stops there and the response is flagged truncated.
    public var maxBodyBytes: Int
    /// A PEM file of CA certificates to verify the server against instead of the system store.
    public var caBundlePath: String?
    /// Where redirects may lead; only read when `followRedirects` is set.
    public var redirectPolicy = RedirectPolicy()
    /// Refuses to connect anywhere but a public address (set on redirect hops from a public origin).
    var publicAddressesOnly = false

    /// Creates a request; the defaults suit a health probe.
    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10),
        followRedirects: Bool = true,
        maxRedirects: Int = 5,
        freshConnection: Bool = true,
        captureCertificate: Bool = false,
        maxBodyBytes: Int = 4 << 20,
        caBundlePath: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.followRedirects = followRedirects
        self.maxRedirects = maxRedirects
        self.freshConnection = freshConnection
        self.captureCertificate = captureCertificate
        self.maxBodyBytes = maxBodyBytes
        self.caBundlePath = caBundlePath
    }
}

/// Phase timings of one transfer, each measured from its start as curl reports them (so they only grow).
public struct HTTPTimings: Sendable, Equatable {
    /// Until the name was resolved.
    public var dns: Duration
    /// Until the TCP connection was established.
    public var connect: Duration
    /// Until the TLS handshake finished; zero for plain `http`.
    public var tls: Duration
    /// Until the first response byte arrived.
    public var firstByte: Duration
    /// The whole transfer, redirects included.
    public var total: Duration

    /// Creates timings.
    public init(dns: Duration, connect: Duration, tls: Duration, firstByte: Duration, total: Duration) {
        self.dns = dns
        self.connect = connect
        self.tls = tls
        self.firstByte = firstByte
        self.total = total
    }

    /// All phases zero: for failures that never reached the network.
    init() {
        self.init(dns: .zero, connect: .zero, tls: .zero, firstByte: .zero, total: .zero)
    }
}

/// A completed HTTP exchange, whatever its status code.
public struct HTTPResponse: Sendable {
    /// The status code of the last response.
    public var status: Int
    /// Headers of the last response when redirects were followed, names as the server sent them.
    public var headers: [HTTPHeader]
    /// The (decompressed) body, at most `HTTPRequest.maxBodyBytes` long.
    public var body: [UInt8]
    /// Whether the body was cut at `maxBodyBytes` and the rest not read.
    public var bodyTruncated: Bool
    /// The URL finally fetched, after redirects.
    public var effectiveURL: String
    /// How many redirects were followed.
    public var redirectCount: Int
    /// Phase timings.
    public var timings: HTTPTimings
    /// The leaf certificate's notAfter, when `captureCertificate` was set and the URL was `https`.
    public var certificateExpiry: Date?
    /// The IP address the last connection went to, as text.
    var primaryAddress = ""
    /// Where the `Location` of a 3xx answer points, made absolute; empty when there is none.
    var redirectURL = ""

    /// Creates a response.
    public init(
        status: Int,
        headers: [HTTPHeader],
        body: [UInt8],
        bodyTruncated: Bool,
        effectiveURL: String,
        redirectCount: Int,
        timings: HTTPTimings,
        certificateExpiry: Date?
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.effectiveURL = effectiveURL
        self.redirectCount = redirectCount
        self.timings = timings
        self.certificateExpiry = certificateExpiry
    }

    /// The value of the last header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.last(where: { $0.name.lowercased() == wanted })?.value
    }

    /// The body decoded as UTF-8, invalid bytes replaced.
    public var bodyText: String { String(decoding: utf8Body, as: UTF8.self) }

    /// The body in UTF-8, converted from the page's declared charset (Shift_JIS, EUC-JP, …).
    public var utf8Body: [UInt8] { BodyText.utf8(body, contentType: header("content-type")) }
}

/// What kind of failure stopped a transfer, for alerting and statistics.
public enum HTTPErrorClass: String, Sendable, Codable {
    /// The host (or proxy) name did not resolve.
    case dns
    /// The TCP connection was refused or could not be made.
    case connect
    /// The TLS handshake or certificate verification failed.
    case tls
    /// The transfer ran out of time.
    case timeout
    /// The server's reply was missing, malformed or cut short.
    case protocolError = "protocol"
    /// Anything else, including a bad URL and client shutdown.
    case other
}

/// A transfer that produced no HTTP response.
public struct HTTPFailure: Error, Sendable, Equatable {
    /// The kind of failure.
    public var errorClass: HTTPErrorClass
    /// curl's own description of what went wrong.
    public var message: String
    /// How far the transfer got before failing.
    public var timings: HTTPTimings
    /// The address a redirect hop refused to connect to, with its scope.
    var refusedAddress: String? = nil

    /// Creates a failure.
    public init(errorClass: HTTPErrorClass, message: String, timings: HTTPTimings) {
        self.errorClass = errorClass
        self.message = message
        self.timings = timings
    }

    /// The failure of a request whose task was cancelled before the answer came.
    public static let cancelled = HTTPFailure(errorClass: .other, message: "cancelled before an answer came", timings: HTTPTimings())

    /// Whether this is the failure of a cancelled request.
    public var isCancellation: Bool { self == .cancelled }
}
