import DetourCore
import DetourServer
import Foundation

/// The daemon's HTTP face: the public status page, `/healthz`, `/hb/<token>` and the console.
///
/// Start it with `ConsoleServer.start(listen:publisher:backend:)`; it answers from the published
/// snapshot on its own threads, and hands actions and check-ins to the backend.
public final class ConsoleServer: Sendable {
    /// The running HTTP server.
    public let http: HTTPServer
    private let router: ConsoleRouter

    private init(http: HTTPServer, router: ConsoleRouter) {
        self.http = http
        self.router = router
    }

    /// Listens on `address` and serves until `shutdown()`.
    public static func start(
        listen address: ListenAddress, publisher: ConsolePublisher, backend: any ConsoleBackend, limits: ServerLimits = ServerLimits()
    ) throws(ServerError) -> ConsoleServer {
        let router = ConsoleRouter(publisher: publisher, backend: backend)
        let http = try HTTPServer.start(address, limits: limits) { request in router.respond(to: request) }
        router.boundAddress.withLock { $0 = http.address }
        return ConsoleServer(http: http, router: router)
    }

    /// `http://HOST:PORT` as bound.
    public var baseURL: String { "http://\(http.address)" }

    /// Ends event streams, then shuts the server down gracefully.
    public func shutdown() {
        router.publisher.close()
        http.shutdown()
    }
}

/// Turns requests into answers; shared by every connection thread.
final class ConsoleRouter: Sendable {
    let publisher: ConsolePublisher
    let backend: any ConsoleBackend
    let boundAddress = LockedValue<ListenAddress?>(nil)
    let signInLimiter = RateLimiter(limit: 10)
    let checkInLimiter = RateLimiter(limit: 20)
    private let statusCache = LockedValue<[String: (version: Int, at: Date, body: String)]>([:])

    init(publisher: ConsolePublisher, backend: any ConsoleBackend) {
        self.publisher = publisher
        self.backend = backend
    }

    func respond(to request: ServerRequest) -> ServerResponse {
        let path = request.target.path
        let get = request.method == "GET" || request.method == "HEAD"
        switch path {
        case "/", "/index.html":
            guard get else { return Self.notAllowed("GET, HEAD") }
            return statusPage(request, json: false)
        case "/status.json":
            guard get else { return Self.notAllowed("GET, HEAD") }
            return statusPage(request, json: true)
        case "/healthz":
            guard get else { return Self.notAllowed("GET, HEAD") }
            return healthz()
        default:
            break
        }
        if path.hasPrefix("/hb/") { return checkIn(request, token: String(path.dropFirst(4))) }
        if path == "/console" || path.hasPrefix("/console/") {
            return ConsoleHandler(router: self, request: request).respond()
        }
        return .text(404, "Not Found\n")
    }

    // MARK: - Public routes

    private func statusPage(_ request: ServerRequest, json: Bool) -> ServerResponse {
        let language = ConsoleLanguage.pick(request)
        let body = renderedStatusPage(json: json, language: language)
        if json {
            return .json(200, body, headers: [ServerHeader("Cache-Control", "no-cache")] + Self.securityHeaders)
        }
        var response = ServerResponse.html(200, body, headers: [ServerHeader("Cache-Control", "no-cache")] + Self.securityHeaders)
        // The page is static markup with its own <style>: no script may run at all.
        response.headers.append(ServerHeader("Content-Security-Policy", Self.documentPolicy))
        response.headers.append(ServerHeader("Content-Language", ConsoleLanguage.pick(request).rawValue))
        return response
    }

    /// The status page as of the latest snapshot, rendered at most once per change of what it shows,
    /// language and format every few seconds: a busy page costs the daemon no more than a quiet one,
    /// and a pass that changed nothing public does not make the next request render it again.
    private func renderedStatusPage(json: Bool, language: Language) -> String {
        let snapshot = publisher.current
        let key = "\(json ? "json" : "html")-\(language.rawValue)"
        let now = Date()
        if let cached = statusCache.withLock({ $0[key] }), cached.version == snapshot.pageVersion, now.timeIntervalSince(cached.at) < 5 {
            return cached.body
        }
        let page = StatusPage(workspace: snapshot.workspace, state: snapshot.state, now: now)
        let body = json ? page.json(language: language).jsonText : page.html(language: language)
        statusCache.withLock { $0[key] = (snapshot.pageVersion, now, body) }
        return body
    }

    private func healthz() -> ServerResponse {
        let snapshot = publisher.current
        var object: [(String, JSONValue)] = [("ok", .bool(true))]
        object.append(("lastPass", snapshot.lastPassAt.map { .string(LocalTime.iso8601($0, in: snapshot.workspace.settings.timeZone)) } ?? .null))
        object.append(("acting", .bool(snapshot.acting)))
        return .json(200, JSONValue.object(object).jsonText, headers: [ServerHeader("Cache-Control", "no-store")])
    }

    private func checkIn(_ request: ServerRequest, token: String) -> ServerResponse {
        guard ["GET", "HEAD", "POST"].contains(request.method) else { return Self.notAllowed("GET, HEAD, POST") }
        if checkInLimiter.isLimited(request.clientAddress) { return Self.tooMany() }
        let token = token.removingPercentEncoding ?? token
        switch waitOnThread({ [backend] in await backend.checkIn(token: token) }) {
        case .accepted(let channel):
            return .json(200, JSONValue.object([("ok", .bool(true)), ("channel", .string(channel))]).jsonText)
        case .unknownToken:
            checkInLimiter.recordFailure(request.clientAddress)
            return .text(404, "unknown token\n")
        case .busy:
            return .text(503, "check-in not recorded; try again\n", headers: [ServerHeader("Retry-After", "10")])
        }
    }

    // MARK: - Shared answers

    /// Headers every answer carries.
    static let securityHeaders = [
        ServerHeader("X-Content-Type-Options", "nosniff"), ServerHeader("Referrer-Policy", "same-origin"),
        ServerHeader("X-Frame-Options", "DENY"),
    ]

    /// The policy for pages that carry their own `<style>` and no script (status page, report, runbook).
    static let documentPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The console's policy: scripts and styles only from its own routes, never inline.
    static let consolePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func notAllowed(_ allow: String) -> ServerResponse {
        var response = ServerResponse.text(405, "Method Not Allowed\n")
        response.headers.append(ServerHeader("Allow", allow))
        return response
    }

    static func tooMany() -> ServerResponse {
        var response = ServerResponse.text(429, "Too Many Requests: wait a minute, then try again\n")
        response.headers.append(ServerHeader("Retry-After", "60"))
        return response
    }
}

/// The language of a page: `?lang=`, then the `lang` cookie, then `Accept-Language`.
enum ConsoleLanguage {
    static func pick(_ request: ServerRequest) -> Language {
        if let asked = FormData(query: request.target.query ?? "")["lang"], let language = Language(tag: asked) { return language }
        if let cookie = Cookies(request)["lang"], let language = Language(tag: cookie) { return language }
        return Language.preferred(acceptLanguage: request.head.header("Accept-Language"))
    }
}

/// The cookies a request carries.
struct Cookies {
    private var values: [String: String] = [:]

    init(_ request: ServerRequest) {
        for pair in (request.head.header("Cookie") ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingSpaces
            if values[name] == nil { values[name] = parts[1].trimmingSpaces }
        }
    }

    subscript(name: String) -> String? { values[name] }
}

/// `application/x-www-form-urlencoded` fields (a body or a query).
struct FormData {
    private var values: [String: String] = [:]

    init(query: String) {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    subscript(name: String) -> String? { values[name] }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
