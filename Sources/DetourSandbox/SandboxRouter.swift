import DetourServer
import Foundation

/// Turns a parsed request into the sandbox's answer: storefronts, provider endpoints and the
/// `/_sandbox` control API.
struct SandboxRouter: Sendable {
    /// Largest request body accepted; bigger bodies get 413.
    static let maxBodyBytes = 8 * 1024 * 1024

    /// The shared sandbox state.
    let state: SandboxState

    /// Reads one request from the socket, answers it, and half-closes the connection.
    func serve(fd: Int32, run: SandboxRun) {
        let connection = HTTPConnection(fd: fd)
        do {
            let request = try connection.readRequest(maxBody: Self.maxBodyBytes)
            if let response = respond(to: request, run: run) {
                let withBody = request.method != "HEAD"
                if connection.send(response.serialized(includeBody: withBody)), withBody, let stream = response.stream {
                    stream.write(
                        ServerStreamWriter(
                            connection: connection, chunked: false, stopping: { run.isStopping }, pause: { run.sleep(for: $0) }))
                }
            }
        } catch {
            if let response = HTTPResponse.forReadError(error) {
                connection.send(response.serialized())
            }
        }
        connection.finish()
    }

    /// The response for `request`, or nil when the run was stopped while it was being delayed.
    func respond(to request: HTTPRequest, run: SandboxRun) -> HTTPResponse? {
        let target = request.target
        if let host = target.host, !Self.isLoopback(host) {
            // Absolute-form target (the sandbox used as an HTTP proxy): treat like /ext/<host>/….
            return external(host: host, path: target.path, request: request, run: run)
        }
        let segments = target.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        switch segments.first {
        case "store" where segments.count >= 2 && !segments[1].isEmpty:
            return storefront(segments[1], run: run)
        case "ext" where segments.count >= 2 && !segments[1].isEmpty:
            let rest = "/" + segments.dropFirst(2).joined(separator: "/")
            return external(host: segments[1].lowercased(), path: rest, request: request, run: run)
        case "_maintenance" where segments.count == 2 && !segments[1].isEmpty:
            return .html(200, Storefront.maintenancePage(name: segments[1]))
        case "hostile":
            let record = RecordedRequest(
                method: request.method, host: request.hostHeaderHost, path: target.path, query: target.query,
                headers: request.head.headerDictionary, body: request.bodyText, receivedAt: Date(), answeredStatus: 0)
            return HostileRoutes(port: run.port, state: state).respond(to: Array(segments.dropFirst()), request: record, run: run)
        case "_sandbox":
            return SandboxControl(state: state).respond(to: request, segments: Array(segments.dropFirst()))
        default:
            return provider(host: request.hostHeaderHost, path: target.path, request: request, run: run)
        }
    }

    private func external(host: String, path: String, request: HTTPRequest, run: SandboxRun) -> HTTPResponse? {
        if let name = state.storefront(forHost: host) ?? state.storefront(forHost: RequestTarget.stripPort(host)) {
            return storefront(name, run: run)
        }
        return provider(host: host, path: path, request: request, run: run)
    }

    private func storefront(_ name: String, run: SandboxRun) -> HTTPResponse? {
        let (store, slowDelay) = state.hit(name)
        switch store.mode {
        case .healthy:
            return .html(200, store.healthyBody)
        case .down:
            return .text(503, "Service Unavailable")
        case .slow:
            guard run.sleep(for: slowDelay) else { return nil }
            return .html(200, store.healthyBody)
        case .maintenance:
            let location = "http://127.0.0.1:\(run.port)/_maintenance/\(name)"
            return .html(
                302, "<html><body><a href=\"\(location)\">メンテナンス中</a></body></html>",
                headers: [SandboxHeader("Location", location)])
        case .timeout, .refused, .captcha:
            return fault(store, run: run)
        }
    }

    private func provider(host: String, path: String, request: HTTPRequest, run: SandboxRun) -> HTTPResponse? {
        let record = RecordedRequest(
            method: request.method, host: host, path: path, query: request.target.query,
            headers: request.head.headerDictionary, body: request.bodyText, receivedAt: Date(), answeredStatus: 0)
        let (scripted, delay) = state.answerProvider(record)
        if delay > .zero, !run.sleep(for: delay) { return nil }
        var headers = scripted.headers
        if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.insert(SandboxHeader("Content-Type", "application/json"), at: 0)
        }
        var response = HTTPResponse(status: scripted.status, headers: headers, body: scripted.body)
        if let bytes = scripted.bytes { response.body = bytes }
        return response
    }

    private static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "localhost" || host == "[::1]"
    }
}
