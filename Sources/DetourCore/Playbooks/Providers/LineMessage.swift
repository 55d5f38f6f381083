import Foundation

/// `line.broadcast`, `line.push`, `line.multicast`: a text message through the LINE Messaging API.
public struct LineMessage: ProviderAction {
    /// Which endpoint.
    public enum Mode: String, Sendable {
        case broadcast, push, multicast
    }

    /// The endpoint.
    public var mode: Mode
    /// The channel access token.
    public var token: CredentialField
    /// The message text.
    public var text: TemplateField
    /// Recipients (push: one user id; multicast: up to 500).
    public var to: [TemplateField]
    /// Deliver without a sound.
    public var silent: Bool

    public var name: String { "line.\(mode.rawValue)" }
    // X-Line-Retry-Key: a repeat of an accepted request answers 409.
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] { [(text.template, text.location)] + to.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(token.reference, token.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [(text.template, text.location, .utf16(5_000))] }

    static func read(_ fields: ProviderFields, mode: Mode) -> LineMessage? {
        let token = fields.credential("token", hint: "token: \"env:LINE_CHANNEL_TOKEN\" (the channel access token)")
        let text = fields.template("text", required: true, hint: "text: \"{{channel.name}}で障害が発生しています。\"")
        let silent = fields.reader.bool("notificationDisabled") ?? false
        var to: [TemplateField] = []
        switch mode {
        case .broadcast:
            break
        case .push:
            to = fields.template("to", required: true, hint: "to: \"U4af4980629…\" (the user, group or room id)").map { [$0] } ?? []
        case .multicast:
            to = fields.templates("to") ?? []
            if to.isEmpty { fields.error(.text("provider.line.to")) }
            if to.count > 500 { fields.error(.text("provider.line.too-many"), key: "to") }
        }
        guard let token, let text else { return nil }
        return LineMessage(mode: mode, token: token, text: text, to: to, silent: silent)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let token = try environment.secret(token.reference)
        var body: [(String, JSONValue)] = []
        switch mode {
        case .broadcast: break
        case .push: body.append(("to", .string(try environment.text(to[0].template))))
        case .multicast:
            var ids: [JSONValue] = []
            for id in to { ids.append(.string(try environment.text(id.template))) }
            body.append(("to", .array(ids)))
        }
        body.append(("messages", .array([.object([("type", .string("text")), ("text", .string(try environment.text(text.template)))])])))
        body.append(("notificationDisabled", .bool(silent)))
        return ProviderCall(
            method: "POST", url: environment.base("line", default: "https://api.line.me") + "/v2/bot/message/\(mode.rawValue)",
            headers: [
                HTTPHeader("Authorization", "Bearer \(token)"), HTTPHeader("Content-Type", "application/json"),
                HTTPHeader("X-Line-Retry-Key", NameBasedUUID.make(environment.idempotencyKey)),
            ],
            body: JSONValue.object(body).jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        switch response.status {
        case 409:
            return .alreadyDone("LINE answered 409 to a repeated X-Line-Retry-Key: the message was already accepted")
        case 429 where response.bodyText.lowercased().contains("monthly"):
            return .permanent("LINE answered 429: the monthly message quota is used up; raise the plan or wait for next month")
        default:
            return AnswerReading.standard(response, provider: "LINE", now: environment.now) { status in
                switch status {
                case 401: "the channel access token was refused; issue a new one in the LINE Developers console and set it where \(token.reference) points"
                case 400: "LINE rejected the message; check the text (at most 5,000 characters) and recipients"
                default: nil
                }
            }
        }
    }
}
