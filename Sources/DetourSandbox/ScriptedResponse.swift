import DetourServer

/// One HTTP header field, kept as an ordered name/value pair.
public typealias SandboxHeader = ServerHeader

/// A programmed answer that a fake provider endpoint returns instead of the default `200 {}`.
public struct ScriptedResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Extra response headers, e.g. `Retry-After`; `Content-Type` defaults to `application/json`.
    public var headers: [SandboxHeader]
    /// The response body.
    public var body: String
    /// Raw body bytes, sent instead of `body` when set (a Shift_JIS or EUC-JP page).
    public var bytes: [UInt8]? = nil

    /// Creates a scripted response.
    public init(status: Int = 200, headers: [SandboxHeader] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Creates a scripted response whose body is raw bytes in any encoding.
    public init(status: Int = 200, headers: [SandboxHeader] = [], bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: "")
        self.bytes = bytes
    }

    /// Creates a scripted response carrying a `Retry-After: <seconds>` header.
    public init(status: Int, body: String = "", retryAfter seconds: Int) {
        self.init(status: status, headers: [SandboxHeader("Retry-After", String(seconds))], body: body)
    }

    /// The default provider answer: 200 with an empty JSON object.
    public static let ok = ScriptedResponse(status: 200, body: "{}")
}
