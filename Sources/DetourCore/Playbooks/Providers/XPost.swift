import Foundation

/// `x.post`: a post on X through API v2, with a user-context token.
public struct XPost: ProviderAction {
    /// OAuth 2.0 user-context bearer token.
    public var token: CredentialField
    /// The post text (weighted length ≤ 280).
    public var text: TemplateField

    public var name: String { "x.post" }
    // X refuses the same text twice (403 duplicate content), which makes a repeat safe.
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] { [(text.template, text.location)] }
    public var credentials: [(CredentialReference, SourceLocation)] { [(token.reference, token.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [(text.template, text.location, .xWeighted(280))] }

    static func read(_ fields: ProviderFields) -> XPost? {
        let token = fields.credential("token", hint: "token: \"env:X_USER_TOKEN\" (an OAuth 2.0 user token with tweet.write)")
        let text = fields.template("text", required: true, hint: "text: \"{{channel.name}}で障害が発生しています。\"")
        guard let token, let text else { return nil }
        return XPost(token: token, text: text)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let token = try environment.secret(token.reference)
        let body = JSONValue.object([("text", .string(try environment.text(text.template)))])
        return ProviderCall(
            method: "POST", url: environment.base("x", default: "https://api.x.com") + "/2/tweets",
            headers: [HTTPHeader("Authorization", "Bearer \(token)"), HTTPHeader("Content-Type", "application/json")], body: body.jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        if response.status == 403, response.bodyText.lowercased().contains("duplicate") {
            if environment.isRepeat { return .alreadyDone("X answered 403 duplicate content to a repeat: the post is already up") }
            return .permanent("X answered 403 duplicate content: the same text was posted before; make the text differ (add {{incident.startedAt}})")
        }
        if response.status == 201 || response.status == 200 {
            let id = ((AnswerReading.json(response) as? [String: Any])?["data"] as? [String: Any])?["id"] as? String
            return .success(outputs: id.map { ["postId": $0] } ?? [:])
        }
        return AnswerReading.standard(response, provider: "X", now: environment.now) { status in
            switch status {
            case 401: "the token was refused; use an OAuth 2.0 user-context token (an app-only bearer token cannot post)"
            case 403: "the token lacks tweet.write, or the account cannot post; check the app's permissions"
            default: nil
            }
        }
    }
}
