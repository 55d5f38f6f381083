import DetourServer

/// How a fake storefront currently answers.
public enum StorefrontMode: String, Sendable, CaseIterable, Codable {
    /// 200 with the storefront's shop page.
    case healthy
    /// 503 `Service Unavailable`.
    case down
    /// Like healthy, but only after the server's slow delay.
    case slow
    /// 302 to the sandbox's maintenance page.
    case maintenance
    /// Never answers: the client gives up at its own timeout.
    case timeout
    /// Closes the connection without answering.
    case refused
    /// One 503 with a bot check page, then healthy again.
    case captcha
}

/// The state of one fake storefront.
struct Storefront: Sendable {
    /// The storefront name used in `/store/<name>/…`.
    var name: String
    /// The body served while healthy.
    var healthyBody: String
    /// The current behaviour.
    var mode: StorefrontMode = .healthy
    /// How many requests were routed to this storefront.
    var hits = 0
    /// How long `.slow` waits for this storefront; nil for the server's slow delay.
    var slowDelay: Duration? = nil

    /// Creates a healthy storefront, with the default shop page unless `healthyBody` is given.
    init(name: String, healthyBody: String? = nil) {
        self.name = name
        self.healthyBody = healthyBody ?? Storefront.defaultPage(name: name)
    }

    /// The default small Japanese shop page.
    static func defaultPage(name: String) -> String {
        let title = htmlEscaped(name)
        return "<html><head><title>\(title)</title></head><body><h1>\(title)</h1><p>商品ページ</p>"
            + "<button>買い物かご</button><button>カートに入れる</button></body></html>"
    }

    /// The page served at `/_maintenance/<name>`.
    static func maintenancePage(name: String) -> String {
        let title = htmlEscaped(name)
        return "<html><head><title>\(title) - メンテナンス中</title></head><body><h1>\(title)</h1>"
            + "<p>ただいまメンテナンス中です</p></body></html>"
    }

    private static func htmlEscaped(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}
