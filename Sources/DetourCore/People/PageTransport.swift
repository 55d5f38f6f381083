import Foundation

/// One message of a page to one person by one way: a LINE push, a Slack DM, a mail, a text, a
/// call, or a PagerDuty event. Built by the machine for each level; sent like any step.
public struct PageTransport: ProviderAction {
    /// The way.
    public var way: PageWay
    /// The person's address for the way (user id, mail address, E.164 number).
    public var address: String
    /// The message, written by the machine (what is down, since when, what was done, how to acknowledge).
    public var message: String
    /// The short text a call reads aloud.
    public var speech: String
    /// The subject of a mail.
    public var subject: String
    /// The step's own line (`text`), rendered when sent.
    public var extra: Template?
    /// Whether this tells the person the outage is over (PagerDuty resolves its alert).
    public var resolves: Bool
    /// Credentials and senders.
    public var transports: PageTransports
    /// Japanese (`ja-JP`) or English (`en-US`) for the voice of a call.
    public var japanese: Bool

    public var name: String { "page.\(way.rawValue)" }
    // LINE takes a retry key and PagerDuty a dedup key; the others would deliver a repeat twice.
    public var honoursIdempotency: Bool { way == .line || way == .pagerduty }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [] }
    public var credentials: [(CredentialReference, SourceLocation)] { transports.credentials }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    private func missing() -> StepError {
        StepError(message: OnCallLoader.missingTransport(way, transports)?.rendered(by: .english) ?? "no transport for \(way.rawValue)", permanent: true)
    }

    private func text(_ environment: CallEnvironment) throws(StepError) -> String {
        // The page goes out even when its extra line cannot be rendered (a ticket that was never opened).
        guard let extra, let line = try? environment.text(extra) else { return message }
        return message + "\n" + line
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        switch way {
        case .line:
            guard let token = transports.lineToken else { throw missing() }
            let body = JSONValue.object([
                ("to", .string(address)),
                ("messages", .array([.object([("type", .string("text")), ("text", .string(String(try text(environment).prefix(5_000))))])])),
            ])
            return ProviderCall(
                method: "POST", url: environment.base("line", default: "https://api.line.me") + "/v2/bot/message/push",
                headers: [
                    HTTPHeader("Authorization", "Bearer \(try environment.secret(token.reference))"), HTTPHeader("Content-Type", "application/json"),
                    HTTPHeader("X-Line-Retry-Key", NameBasedUUID.make(environment.idempotencyKey)),
                ],
                body: body.jsonText)
        case .slack:
            guard let token = transports.slackToken else { throw missing() }
            let body = JSONValue.object([("channel", .string(address)), ("text", .string(String(try text(environment).prefix(4_000))))])
            return ProviderCall(
                method: "POST", url: environment.base("slack", default: "https://slack.com") + "/api/chat.postMessage",
                headers: [
                    HTTPHeader("Authorization", "Bearer \(try environment.secret(token.reference))"),
                    HTTPHeader("Content-Type", "application/json; charset=utf-8"),
                ],
                body: body.jsonText)
        case .email:
            guard let key = transports.sendgridKey, let from = transports.emailFrom else { throw missing() }
            let body = JSONValue.object([
                ("personalizations", .array([.object([("to", .array([.object([("email", .string(address))])]))])])),
                ("from", .object([("email", .string(from))])), ("subject", .string(subject)),
                ("content", .array([.object([("type", .string("text/plain")), ("value", .string(try text(environment)))])])),
            ])
            return ProviderCall(
                method: "POST", url: environment.base("sendgrid", default: "https://api.sendgrid.com") + "/v3/mail/send",
                headers: [HTTPHeader("Authorization", "Bearer \(try environment.secret(key.reference))"), HTTPHeader("Content-Type", "application/json")],
                body: body.jsonText)
        case .sms, .phone:
            guard let account = transports.twilioAccount, let token = transports.twilioToken, let from = transports.twilioFrom else { throw missing() }
            return TwilioMessage.request(
                mode: way == .sms ? .sms : .call, account: try environment.secret(account.reference), token: try environment.secret(token.reference),
                from: from, to: address, text: way == .sms ? try text(environment) : speech,
                base: environment.base("twilio", default: "https://api.twilio.com"),
                language: japanese ? "ja-JP" : "en-US")
        case .pagerduty:
            guard let key = transports.pagerdutyKey else { throw missing() }
            var body: [(String, JSONValue)] = [
                ("routing_key", .string(try environment.secret(key.reference))), ("event_action", .string(resolves ? "resolve" : "trigger")),
                ("dedup_key", .string(String(environment.incidentID.prefix(255)))),
            ]
            if !resolves {
                body.append(
                    (
                        "payload",
                        .object([("summary", .string(String(subject.prefix(1_024)))), ("source", .string("detour")), ("severity", .string("critical"))])
                    )
                )
            }
            return ProviderCall(
                method: "POST", url: environment.base("pagerduty", default: "https://events.pagerduty.com") + "/v2/enqueue",
                headers: [HTTPHeader("Content-Type", "application/json")], body: JSONValue.object(body).jsonText)
        }
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        switch way {
        case .line where response.status == 409:
            return .alreadyDone("LINE answered 409 to a repeated X-Line-Retry-Key: the page was already accepted")
        case .slack where response.status == 200:
            // Slack answers 200 for every call; `ok` and `error` say how it went.
            let json = AnswerReading.json(response) as? [String: Any]
            if json?["ok"] as? Bool == true { return .success(outputs: (json?["ts"] as? String).map { ["ts": $0] } ?? [:]) }
            let error = json?["error"] as? String ?? "no ok in the answer"
            if error == "ratelimited" { return .retryable("Slack answered ratelimited", retryAfter: AnswerReading.retryAfter(response, now: environment.now)) }
            let hint =
                switch error {
                case "invalid_auth", "not_authed", "token_revoked": "the bot token was refused; set a bot token with chat:write where send.slack.token points"
                case "channel_not_found", "user_not_found": "the member id \(address) was not found; check slack under people in oncall.json5"
                case "missing_scope": "the bot token lacks chat:write; add the scope and reinstall the app"
                default: "check the Slack app and the member id"
                }
            return .permanent("Slack answered \(error); \(hint)")
        case .sms, .phone:
            return TwilioMessage.classify(response, now: environment.now)
        default:
            return AnswerReading.standard(response, provider: way.rawValue, now: environment.now)
        }
    }
}
