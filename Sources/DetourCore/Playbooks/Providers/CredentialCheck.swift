import Foundation

/// One check of a `selftest`: a credential is set and, where the provider has a harmless
/// authenticated read, accepted by it.
public struct CredentialCheck: ProviderAction, Equatable {
    /// What is checked and how.
    public enum Kind: Sendable, Equatable {
        /// LINE: `GET /v2/bot/info` with the channel access token.
        case line(CredentialReference)
        /// Slack bot token: `POST /api/auth.test`.
        case slackBot(CredentialReference)
        /// Twilio: `GET /2010-04-01/Accounts/{sid}.json` with the SID and auth token.
        case twilio(CredentialReference, CredentialReference)
        /// SendGrid: `GET /v3/scopes`.
        case sendgrid(CredentialReference)
        /// GitHub: `GET /user`.
        case github(CredentialReference)
        /// Anything else: the credential is set here and long enough to be masked.
        case present(CredentialReference)
    }

    /// The check.
    public var kind: Kind
    /// Who uses it, for messages: `line.broadcast (mall-down/line)`.
    public var usedBy: String

    /// The references it checks.
    public var references: [CredentialReference] {
        switch kind {
        case .line(let r), .slackBot(let r), .sendgrid(let r), .github(let r), .present(let r): [r]
        case .twilio(let sid, let token): [sid, token]
        }
    }

    public var name: String {
        switch kind {
        case .line: "selftest.line"
        case .slackBot: "selftest.slack"
        case .twilio: "selftest.twilio"
        case .sendgrid: "selftest.sendgrid"
        case .github: "selftest.github"
        case .present: "selftest.present"
        }
    }
    // Every check only reads: repeating one changes nothing.
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [] }
    public var credentials: [(CredentialReference, SourceLocation)] { [] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        var values: [String] = []
        for reference in references {
            let value = try environment.secret(reference)
            guard value.count >= Redactor.minimumLength else {
                throw StepError(message: "\(reference) is shorter than \(Redactor.minimumLength) characters; set it to the real credential", permanent: true)
            }
            values.append(value)
        }
        switch kind {
        case .line:
            return ProviderCall(
                method: "GET", url: environment.base("line", default: "https://api.line.me") + "/v2/bot/info",
                headers: [HTTPHeader("Authorization", "Bearer \(values[0])")])
        case .slackBot:
            return ProviderCall(
                method: "POST", url: environment.base("slack", default: "https://slack.com") + "/api/auth.test",
                headers: [HTTPHeader("Authorization", "Bearer \(values[0])"), HTTPHeader("Content-Type", "application/x-www-form-urlencoded")], body: "")
        case .twilio:
            return ProviderCall(
                method: "GET", url: environment.base("twilio", default: "https://api.twilio.com") + "/2010-04-01/Accounts/\(FormBody.escape(values[0])).json",
                headers: [HTTPHeader("Authorization", "Basic " + Data("\(values[0]):\(values[1])".utf8).base64EncodedString())])
        case .sendgrid:
            return ProviderCall(
                method: "GET", url: environment.base("sendgrid", default: "https://api.sendgrid.com") + "/v3/scopes",
                headers: [HTTPHeader("Authorization", "Bearer \(values[0])")])
        case .github:
            return ProviderCall(
                method: "GET", url: environment.base("github", default: "https://api.github.com") + "/user",
                headers: [
                    HTTPHeader("Authorization", "Bearer \(values[0])"), HTTPHeader("Accept", "application/vnd.github+json"),
                    HTTPHeader("User-Agent", "detour"),
                ])
        case .present:
            // Set and long enough: nothing more can be known without sending something.
            return nil
        }
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        if case .slackBot = kind, response.status == 200 {
            let json = AnswerReading.json(response) as? [String: Any]
            if json?["ok"] as? Bool == true { return .success(outputs: [:]) }
            return .permanent("Slack refused the bot token used by \(usedBy): \(json?["error"] as? String ?? "no ok in the answer")")
        }
        return AnswerReading.standard(response, provider: "\(name.dropFirst(9)) (for \(usedBy))", now: environment.now) { status in
            status == 401 || status == 403
                ? "the credential was refused; issue a new one and set it where \(references.map(\.description).joined(separator: " and ")) points" : nil
        }
    }
}
