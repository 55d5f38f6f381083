import Foundation

/// `slack.post`: a message through a Slack incoming webhook (the webhook URL is the secret).
public struct SlackPost: ProviderAction {
    /// The webhook URL, as a credential reference.
    public var webhook: CredentialField
    /// The message text (≤ 4,000 characters).
    public var text: TemplateField

    public var name: String { "slack.post" }
    public var honoursIdempotency: Bool { false }
    // Slack is where the team talks, not where customers read.
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [(text.template, text.location)] }
    public var credentials: [(CredentialReference, SourceLocation)] { [(webhook.reference, webhook.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [(text.template, text.location, .characters(4_000))] }

    static func read(_ fields: ProviderFields) -> SlackPost? {
        let webhook = fields.credential("webhook", hint: "webhook: \"env:SLACK_WEBHOOK_URL\"")
        let text = fields.template("text", required: true, hint: "text: \"{{channel.name}} is down\"")
        guard let webhook, let text else { return nil }
        return SlackPost(webhook: webhook, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let url = try environment.secret(webhook.reference)
        let body = JSONValue.object([("text", .string(try environment.text(text.template)))])
        return ProviderCall(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")], body: body.jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        AnswerReading.standard(response, provider: "Slack", now: environment.now) { status in
            switch status {
            case 404: "the channel was not found; create a new incoming webhook"
            case 410: "the channel is archived; create a webhook for a live channel"
            case 403: "the webhook was refused (revoked?); create a new incoming webhook"
            default: nil
            }
        }
    }
}
