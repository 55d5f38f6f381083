import Foundation

/// `github.issue`: opens an issue (`POST /repos/{owner}/{repo}/issues`); on undo, comments the
/// incident's summary, then closes it as completed.
public struct GitHubIssue: ProviderAction, ClosesOnUndo {
    /// Open the issue, or close it (the undo).
    public enum Operation: String, Sendable {
        case create, close
    }

    /// What this call does.
    public var operation: Operation
    /// `owner/repo`.
    public var repository: String
    /// A token that may write issues.
    public var token: CredentialField
    /// The title.
    public var title: TemplateField?
    /// The body; by default the incident so far.
    public var body: TemplateField?
    /// Labels to set.
    public var labels: [String]

    public var name: String { "github.issue" }
    // GitHub takes no idempotency key: a repeated create opens a second issue.
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [title, body].compactMap { $0 }.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(token.reference, token.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    /// The same issue, closed.
    public var closing: any ProviderAction {
        var closing = self
        closing.operation = .close
        return closing
    }

    static func read(_ fields: ProviderFields) -> GitHubIssue? {
        let operation = Operation(rawValue: fields.word("action", in: ["create", "close"], default: "create")) ?? .create
        let repository = fields.reader.requiredString("repository", hint: "repository: \"matcha-do/ops\" (owner/repo)")
        if let repository, repository.split(separator: "/").count != 2 {
            fields.error(.text("provider.github.repository"), key: "repository")
        }
        let token = fields.credential("token", hint: "token: \"env:GITHUB_TOKEN\" (a token that may write issues)")
        let title = fields.template("title", required: operation == .create, hint: "title: \"{{channel.name}} is down\"")
        let body = fields.template("body")
        let labels = fields.reader.stringArray("labels")?.map(\.value) ?? []
        guard let repository, let token else { return nil }
        return GitHubIssue(operation: operation, repository: repository, token: token, title: title, body: body, labels: labels)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let headers = [
            HTTPHeader("Authorization", "Bearer \(try environment.secret(token.reference))"), HTTPHeader("Accept", "application/vnd.github+json"),
            HTTPHeader("X-GitHub-Api-Version", "2022-11-28"), HTTPHeader("User-Agent", "detour"), HTTPHeader("Content-Type", "application/json"),
        ]
        let issues = environment.base("github", default: "https://api.github.com") + "/repos/\(repository)/issues"
        switch operation {
        case .create:
            let text = try body.map { template throws(StepError) in try environment.text(template.template) } ?? environment.context.incident["details"] ?? ""
            var fields: [(String, JSONValue)] = [("title", .string(try environment.text(title!.template))), ("body", .string(text))]
            if !labels.isEmpty { fields.append(("labels", .array(labels.map(JSONValue.string)))) }
            return ProviderCall(method: "POST", url: issues, headers: headers, body: JSONValue.object(fields).jsonText, stage: "create")
        case .close:
            guard let number = environment.outputs["number"] else {
                throw StepError(message: "github.issue: no issue number from the step it closes; the issue was never opened", permanent: true)
            }
            if environment.outputs["githubCommented"] == nil {
                let comment = JSONValue.object([("body", .string(environment.context.incident["summary"] ?? ""))])
                return ProviderCall(method: "POST", url: issues + "/\(number)/comments", headers: headers, body: comment.jsonText, stage: "comment")
            }
            let close = JSONValue.object([("state", .string("closed")), ("state_reason", .string("completed"))])
            return ProviderCall(method: "PATCH", url: issues + "/\(number)", headers: headers, body: close.jsonText, stage: "close")
        }
    }

    public func rehearsalOutputs(after call: ProviderCall) -> [String: String]? {
        call.stage == "comment" ? ["githubCommented": "1"] : nil
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "GitHub (\(call.stage))", now: environment.now) { status in
            switch status {
            case 401: "the token was refused; create one that may write issues and set it where \(token.reference) points"
            case 404: "the repository \(repository) was not found, or the token cannot see it"
            case 410: "issues are turned off in \(repository)"
            default: nil
            }
        }
        guard case .success = verdict else { return verdict }
        switch call.stage {
        case "create":
            let json = AnswerReading.json(response) as? [String: Any]
            guard let number = json?["number"] as? Int else { return .permanent("GitHub answered \(response.status) without an issue number") }
            return .success(outputs: ["number": String(number), "key": "#\(number)", "url": json?["html_url"] as? String ?? ""])
        case "comment": return .progress(outputs: ["githubCommented": "1"])
        default: return .success(outputs: [:])
        }
    }
}
