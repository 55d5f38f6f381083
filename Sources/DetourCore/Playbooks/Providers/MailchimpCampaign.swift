import Foundation

/// `mailchimp.campaign`: create a campaign, set its content, send it. The campaign id is
/// journaled after create, so a resumed run sends the campaign instead of creating another.
public struct MailchimpCampaign: ProviderAction {
    /// The API key (`…-us14`; the suffix is the data center).
    public var apiKey: CredentialField
    /// The audience (list) id.
    public var listID: TemplateField
    /// The subject line.
    public var subject: TemplateField
    /// The sender name.
    public var fromName: TemplateField
    /// The reply-to address.
    public var replyTo: TemplateField
    /// The plain-text content.
    public var text: TemplateField

    public var name: String { "mailchimp.campaign" }
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] { [listID, subject, fromName, replyTo, text].map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(apiKey.reference, apiKey.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> MailchimpCampaign? {
        let apiKey = fields.credential("apiKey", hint: "apiKey: \"env:MAILCHIMP_API_KEY\"")
        let listID = fields.template("listId", required: true, hint: "listId: \"a1b2c3d4e5\" (the audience id)")
        let subject = fields.template("subject", required: true, hint: "subject: \"{{channel.name}}のご案内\"")
        let fromName = fields.template("fromName", required: true, hint: "fromName: \"抹茶堂\"")
        let replyTo = fields.template("replyTo", required: true, hint: "replyTo: \"shop@example.jp\"")
        let text = fields.template("text", required: true, hint: "text: \"…\" (the newsletter body)")
        guard let apiKey, let listID, let subject, let fromName, let replyTo, let text else { return nil }
        return MailchimpCampaign(apiKey: apiKey, listID: listID, subject: subject, fromName: fromName, replyTo: replyTo, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let key = try environment.secret(apiKey.reference)
        let center = key.split(separator: "-").last.map(String.init) ?? "us1"
        let base = environment.base("mailchimp", default: "https://\(center).api.mailchimp.com") + "/3.0"
        let headers = [
            HTTPHeader("Authorization", "Basic " + Data("detour:\(key)".utf8).base64EncodedString()),
            HTTPHeader("Content-Type", "application/json"),
        ]
        guard let campaign = environment.outputs["campaignId"] else {
            let body = JSONValue.object([
                ("type", .string("regular")), ("recipients", .object([("list_id", .string(try environment.text(listID.template)))])),
                (
                    "settings",
                    .object([
                        ("subject_line", .string(try environment.text(subject.template))),
                        ("from_name", .string(try environment.text(fromName.template))),
                        ("reply_to", .string(try environment.text(replyTo.template))),
                    ])
                ),
            ])
            return ProviderCall(method: "POST", url: base + "/campaigns", headers: headers, body: body.jsonText, stage: "create")
        }
        if environment.outputs["content"] == nil {
            let body = JSONValue.object([("plain_text", .string(try environment.text(text.template)))])
            return ProviderCall(method: "PUT", url: base + "/campaigns/\(campaign)/content", headers: headers, body: body.jsonText, stage: "content")
        }
        return ProviderCall(method: "POST", url: base + "/campaigns/\(campaign)/actions/send", headers: headers, body: nil, stage: "send")
    }

    public func rehearsalOutputs(after call: ProviderCall) -> [String: String]? {
        switch call.stage {
        case "create": ["campaignId": "CAMPAIGN_ID"]
        case "content": ["content": "set"]
        default: nil
        }
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "Mailchimp (\(call.stage))", now: environment.now) { status in
            status == 401 ? "the API key was refused; check it and its data-center suffix" : nil
        }
        guard case .success = verdict else { return verdict }
        switch call.stage {
        case "create":
            guard let id = (AnswerReading.json(response) as? [String: Any])?["id"] as? String else {
                return .retryable("Mailchimp answered \(response.status) to create without a campaign id", retryAfter: nil)
            }
            return .progress(outputs: ["campaignId": id])
        case "content": return .progress(outputs: ["content": "set"])
        default: return .success(outputs: [:])
        }
    }
}
