import DetourServer

/// The storefront modes that stand for failures other than a plain 503: no answer, a closed
/// connection, a bot check.
extension SandboxRouter {
    /// How long a `.timeout` storefront holds a request before giving up itself.
    static let timeoutHold: Duration = .seconds(600)

    /// The answer of a storefront in `.timeout`, `.refused` or `.captcha` mode; nil sends nothing.
    func fault(_ store: Storefront, run: SandboxRun) -> HTTPResponse? {
        switch store.mode {
        case .timeout:
            // Nothing is sent: the client's own timeout ends the wait (or the server stopping does).
            _ = run.sleep(for: Self.timeoutHold)
            return nil
        case .refused:
            return nil
        case .captcha:
            return .html(503, Storefront.captchaPage(name: store.name))
        case .healthy, .down, .slow, .maintenance:
            return .html(200, store.healthyBody)
        }
    }
}

extension Storefront {
    /// The bot check page a mall shows instead of the shop.
    static func captchaPage(name: String) -> String {
        "<html><head><title>Robot check</title></head><body><h1>アクセスが集中しています</h1>"
            + "<p>ロボットではないことを確認してください (captcha)</p></body></html>"
    }
}

/// Provider hosts in an outage: each answers one status to everything.
struct ProviderFailures: Sendable {
    private var statuses: [String: Int] = [:]

    /// Starts (status) or ends (nil) the failure of a host.
    mutating func set(_ host: String, status: Int?) {
        statuses[host.lowercased()] = status
    }

    /// The status a host answers with, if it is failing; `.example.com` entries match subdomains.
    func status(forHost host: String) -> Int? {
        let host = host.lowercased()
        if let status = statuses[host] { return status }
        return statuses.first { $0.key.hasPrefix(".") && host.hasSuffix($0.key) }?.value
    }

    /// The answer of a failing provider.
    static func response(_ status: Int) -> ScriptedResponse {
        ScriptedResponse(status: status, body: "{\"message\":\"sandbox: provider outage\"}")
    }
}
