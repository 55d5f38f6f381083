import Foundation

/// The outbound heartbeat (`heartbeat: { url: "env:HEARTBEAT_URL" }` in detour.json5): a GET after
/// every completed pass, and `URL/fail` after a failed one — the healthchecks.io convention, which
/// Better Stack and Cronitor accept too. If cron or the daemon stops, a service on another machine
/// notices the silence.
public struct Heartbeat: Sendable {
    /// The ping URL, as a credential reference (the URL is the secret).
    public var url: CredentialReference

    /// Creates a heartbeat.
    public init(url: CredentialReference) { self.url = url }

    /// Reads `heartbeat` from detour.json5.
    static func read(_ node: JSONNode, sink: DiagnosticSink) -> Heartbeat? {
        guard let reader = NodeReader(node, subject: "heartbeat", sink: sink) else { return nil }
        defer { reader.finish() }
        let field = ProviderFields(reader: reader, sink: sink, provider: "heartbeat")
            .credential("url", hint: "url: \"env:HEARTBEAT_URL\" (the ping URL of healthchecks.io, Better Stack or Cronitor)")
        return field.map { Heartbeat(url: $0.reference) }
    }

    /// The request for a pass that completed (`ok`) or failed.
    public func request(ok: Bool, secrets: SecretResolver) throws(SecretError) -> HTTPRequest {
        var base = try secrets.resolve(url)
        while base.hasSuffix("/") { base.removeLast() }
        return HTTPRequest(method: "GET", url: ok ? base : base + "/fail", timeout: .seconds(10), followRedirects: true, maxBodyBytes: 64 << 10)
    }

    /// Sends the ping; nil when it arrived, otherwise why not (masked), for a warning.
    public func ping(ok: Bool, http: HTTPClient, secrets: SecretResolver) async -> String? {
        let request: HTTPRequest
        do {
            request = try self.request(ok: ok, secrets: secrets)
        } catch {
            return "heartbeat not sent: \(error.description)"
        }
        switch await http.send(request) {
        case .success(let response) where (200..<300).contains(response.status):
            return nil
        case .success(let response):
            return secrets.redactor.mask("heartbeat answered \(response.status); check heartbeat.url in detour.json5")
        case .failure(let failure):
            return secrets.redactor.mask("heartbeat not delivered (\(failure.errorClass.rawValue): \(failure.message)); the next pass tries again")
        }
    }
}
