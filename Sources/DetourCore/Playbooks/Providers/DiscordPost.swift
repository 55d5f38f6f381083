import Foundation

/// `discord.post`: a message through a Discord webhook, with `?wait=true` so failures are seen.
public struct DiscordPost: ProviderAction {
    /// The webhook URL (`https://discord.com/api/v10/webhooks/{id}/{token}`), as a credential reference.
    public var webhook: CredentialField
    /// The message (≤ 2,000 characters).
    public var text: TemplateField

    public var name: String { "discord.post" }
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] { [(text.template, text.location)] }
    public var credentials: [(CredentialReference, SourceLocation)] { [(webhook.reference, webhook.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [(text.template, text.location, .characters(2_000))] }

    static func read(_ fields: ProviderFields) -> DiscordPost? {
        let webhook = fields.credential("webhook", hint: "webhook: \"env:DISCORD_WEBHOOK_URL\"")
        let text = fields.template("text", required: true, hint: "text: \"{{channel.name}}で障害が発生しています。\"")
        guard let webhook, let text else { return nil }
        return DiscordPost(webhook: webhook, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        var url = try environment.secret(webhook.reference)
        url += url.contains("?") ? "&wait=true" : "?wait=true"
        let body = JSONValue.object([
            ("content", .string(try environment.text(text.template))), ("allowed_mentions", .object([("parse", .array([]))])),
        ])
        return ProviderCall(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")], body: body.jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        if response.status == 429, let body = AnswerReading.json(response) as? [String: Any], body["retry_after"] != nil {
            let wait = RetryAfter.seconds(json: body["retry_after"], now: environment.now) ?? AnswerReading.retryAfter(response, now: environment.now)
            return .retryable("Discord answered 429 (rate limited)", retryAfter: wait)
        }
        if response.status == 200, let id = (AnswerReading.json(response) as? [String: Any])?["id"] as? String {
            return .success(outputs: ["messageId": id])
        }
        return AnswerReading.standard(response, provider: "Discord", now: environment.now) { status in
            status == 404 ? "the webhook no longer exists; create a new one and stop using this one" : nil
        }
    }
}
