import Foundation

/// `sendgrid.send`: a plain-text mail through SendGrid's v3 mail/send.
public struct SendGridSend: ProviderAction {
    /// The API key.
    public var apiKey: CredentialField
    /// The sender address.
    public var from: TemplateField
    /// Recipients (≤ 1,000).
    public var to: [TemplateField]
    /// The subject.
    public var subject: TemplateField
    /// The plain-text body.
    public var text: TemplateField

    public var name: String { "sendgrid.send" }
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] {
        ([from, subject, text] + to).map { ($0.template, $0.location) }
    }
    public var credentials: [(CredentialReference, SourceLocation)] { [(apiKey.reference, apiKey.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> SendGridSend? {
        let apiKey = fields.credential("apiKey", hint: "apiKey: \"env:SENDGRID_API_KEY\"")
        let from = fields.template("from", required: true, hint: "from: \"shop@example.jp\"")
        let to = fields.templates("to") ?? []
        if to.isEmpty { fields.error(.text("provider.sendgrid.to")) }
        if to.count > 1_000 { fields.error(.text("provider.sendgrid.too-many"), key: "to") }
        let subject = fields.template("subject", required: true, hint: "subject: \"{{channel.name}}のご案内\"")
        let text = fields.template("text", required: true, hint: "text: \"…\" (the mail body)")
        guard let apiKey, let from, let subject, let text, !to.isEmpty else { return nil }
        return SendGridSend(apiKey: apiKey, from: from, to: to, subject: subject, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let key = try environment.secret(apiKey.reference)
        var recipients: [JSONValue] = []
        for address in to { recipients.append(.object([("email", .string(try environment.text(address.template)))])) }
        let body = JSONValue.object([
            ("personalizations", .array([.object([("to", .array(recipients))])])),
            ("from", .object([("email", .string(try environment.text(from.template)))])),
            ("subject", .string(try environment.text(subject.template))),
            ("content", .array([.object([("type", .string("text/plain")), ("value", .string(try environment.text(text.template)))])])),
        ])
        return ProviderCall(
            method: "POST", url: environment.base("sendgrid", default: "https://api.sendgrid.com") + "/v3/mail/send",
            headers: [HTTPHeader("Authorization", "Bearer \(key)"), HTTPHeader("Content-Type", "application/json")], body: body.jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        if response.status == 400,
            let errors = (AnswerReading.json(response) as? [String: Any])?["errors"] as? [[String: Any]], !errors.isEmpty
        {
            let said = errors.map { "\($0["field"] as? String ?? "request"): \($0["message"] as? String ?? "?")" }.joined(separator: "; ")
            return .permanent("SendGrid answered 400: \(said); fix those fields of the step")
        }
        return AnswerReading.standard(response, provider: "SendGrid", now: environment.now) { status in
            status == 401 || status == 403 ? "the API key was refused or lacks the mail.send permission" : nil
        }
    }
}
