import Foundation

/// `jira.issue`: opens an issue in Jira Cloud (REST v3, the description in Atlassian Document
/// Format); on undo, comments the incident's summary, then moves it through the done transition.
public struct JiraIssue: ProviderAction, ClosesOnUndo {
    /// Open the issue, or close it (the undo).
    public enum Operation: String, Sendable {
        case create, close
    }

    /// What this call does.
    public var operation: Operation
    /// The site: `matcha-do` (matcha-do.atlassian.net) or a full host.
    public var site: String
    /// The account's email (the Basic user).
    public var email: String
    /// The API token.
    public var apiToken: CredentialField
    /// The project key (`OPS`).
    public var project: String
    /// The issue type's name (`Task`, `Incident`).
    public var issueType: String
    /// The issue's summary.
    public var summary: TemplateField?
    /// The description; by default the incident so far.
    public var description: TemplateField?
    /// The id of the transition to done (from `GET /rest/api/3/issue/{key}/transitions`).
    public var doneTransition: String

    public var name: String { "jira.issue" }
    // Jira takes no idempotency key: a repeated create opens a second issue.
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [summary, description].compactMap { $0 }.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(apiToken.reference, apiToken.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    /// The same issue, moved to done.
    public var closing: any ProviderAction {
        var closing = self
        closing.operation = .close
        return closing
    }

    static func read(_ fields: ProviderFields) -> JiraIssue? {
        let operation = Operation(rawValue: fields.word("action", in: ["create", "close"], default: "create")) ?? .create
        let site = fields.reader.requiredString("site", hint: "site: \"matcha-do\" (matcha-do.atlassian.net)")
        let email = fields.reader.requiredString("email", hint: "email: \"ops@matcha-do.example\" (the account the API token belongs to)")
        let token = fields.credential("apiToken", hint: "apiToken: \"env:JIRA_API_TOKEN\"")
        let project = fields.reader.requiredString("project", hint: "project: \"OPS\" (the project key)")
        let issueType = fields.reader.string("issueType") ?? "Task"
        let summary = fields.template("summary", required: operation == .create, hint: "summary: \"{{channel.name}} is down\"")
        let description = fields.template("description")
        let done = fields.reader.requiredString("doneTransition", hint: "doneTransition: \"31\" (the id of the transition to done)")
        guard let site, let email, let token, let project, let done else { return nil }
        return JiraIssue(
            operation: operation, site: site, email: email, apiToken: token, project: project, issueType: issueType, summary: summary,
            description: description, doneTransition: done)
    }

    private func base(_ environment: CallEnvironment) -> String {
        environment.base("jira", default: "https://" + (site.contains(".") ? site : "\(site).atlassian.net"))
    }

    /// Text as an ADF document: one paragraph per line.
    static func document(_ text: String) -> JSONValue {
        let paragraphs: [JSONValue] = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.isEmpty
                ? .object([("type", .string("paragraph")), ("content", .array([]))])
                : .object([("type", .string("paragraph")), ("content", .array([.object([("type", .string("text")), ("text", .string(String(line)))])]))])
        }
        return .object([("type", .string("doc")), ("version", .number(1)), ("content", .array(paragraphs))])
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let token = try environment.secret(apiToken.reference)
        let headers = [
            HTTPHeader("Authorization", "Basic " + Data("\(email):\(token)".utf8).base64EncodedString()),
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json"),
        ]
        switch operation {
        case .create:
            let text =
                try description.map { template throws(StepError) in try environment.text(template.template) } ?? environment.context.incident["details"] ?? ""
            let body = JSONValue.object([
                (
                    "fields",
                    .object([
                        ("project", .object([("key", .string(project))])), ("summary", .string(String(try environment.text(summary!.template).prefix(255)))),
                        ("issuetype", .object([("name", .string(issueType))])), ("description", Self.document(text)),
                    ])
                )
            ])
            return ProviderCall(method: "POST", url: base(environment) + "/rest/api/3/issue", headers: headers, body: body.jsonText, stage: "create")
        case .close:
            guard let key = environment.outputs["key"] else {
                throw StepError(message: "jira.issue: no issue key from the step it closes; the issue was never opened", permanent: true)
            }
            let url = base(environment) + "/rest/api/3/issue/\(FormBody.escape(key))"
            if environment.outputs["jiraCommented"] == nil {
                let body = JSONValue.object([("body", Self.document(environment.context.incident["summary"] ?? ""))])
                return ProviderCall(method: "POST", url: url + "/comment", headers: headers, body: body.jsonText, stage: "comment")
            }
            let body = JSONValue.object([("transition", .object([("id", .string(doneTransition))]))])
            return ProviderCall(method: "POST", url: url + "/transitions", headers: headers, body: body.jsonText, stage: "done")
        }
    }

    public func rehearsalOutputs(after call: ProviderCall) -> [String: String]? {
        call.stage == "comment" ? ["jiraCommented": "1"] : nil
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "Jira (\(call.stage))", now: environment.now) { status in
            switch status {
            case 401: "the email and API token were refused; create a token at id.atlassian.com and set it where \(apiToken.reference) points"
            case 400: "Jira rejected the fields; check project, issueType and, for closing, doneTransition"
            default: nil
            }
        }
        guard case .success = verdict else { return verdict }
        switch call.stage {
        case "create":
            guard let key = (AnswerReading.json(response) as? [String: Any])?["key"] as? String else {
                return .permanent("Jira answered \(response.status) without an issue key; check the site")
            }
            return .success(outputs: ["key": key, "url": base(environment) + "/browse/\(key)"])
        case "comment": return .progress(outputs: ["jiraCommented": "1"])
        default: return .success(outputs: [:])
        }
    }
}
