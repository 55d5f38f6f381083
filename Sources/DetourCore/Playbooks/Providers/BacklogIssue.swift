import Foundation

/// `backlog.issue`: opens an issue in Nulab Backlog (`POST /api/v2/issues`); on undo, comments the
/// incident's summary and sets the status to 完了 (`POST …/comments`, then `PATCH /api/v2/issues/:key`).
public struct BacklogIssue: ProviderAction, ClosesOnUndo {
    /// Open the issue, or close it (the undo).
    public enum Operation: String, Sendable {
        case create, close
    }

    /// What this call does.
    public var operation: Operation
    /// The space: `example` (example.backlog.jp) or a full host such as `example.backlog.com`.
    public var space: String
    /// The API key (sent as the `apiKey` query parameter, as Backlog asks).
    public var apiKey: CredentialField
    /// The project id (a number).
    public var projectID: Int
    /// The issue type id.
    public var issueTypeID: Int
    /// The priority id (2 high, 3 normal, 4 low).
    public var priorityID: Int
    /// The issue's summary.
    public var summary: TemplateField?
    /// The description; by default the incident so far.
    public var description: TemplateField?
    /// The status id of 完了 (4 in Backlog's default statuses).
    public var closedStatusID: Int

    public var name: String { "backlog.issue" }
    // Backlog takes no idempotency key: a repeated create opens a second issue.
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [summary, description].compactMap { $0 }.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(apiKey.reference, apiKey.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    /// The same issue, closed.
    public var closing: any ProviderAction {
        var closing = self
        closing.operation = .close
        return closing
    }

    static func read(_ fields: ProviderFields) -> BacklogIssue? {
        let operation = Operation(rawValue: fields.word("action", in: ["create", "close"], default: "create")) ?? .create
        let space = fields.reader.requiredString("space", hint: "space: \"example\" (example.backlog.jp) or space: \"example.backlog.com\"")
        let apiKey = fields.credential("apiKey", hint: "apiKey: \"env:BACKLOG_API_KEY\"")
        let project = fields.reader.count("projectId")
        let issueType = fields.reader.count("issueTypeId")
        let priority = fields.reader.count("priorityId") ?? 3
        let summary = fields.template("summary", required: operation == .create, hint: "summary: \"{{channel.name}}が停止しています\"")
        let description = fields.template("description")
        let closed = fields.reader.count("closedStatusId") ?? 4
        if project == nil, fields.reader.value("projectId") == nil { fields.error(.text("provider.backlog.project")) }
        if issueType == nil, fields.reader.value("issueTypeId") == nil {
            fields.error(.text("provider.backlog.issue-type"))
        }
        guard let space, let apiKey, let project, let issueType else { return nil }
        return BacklogIssue(
            operation: operation, space: space, apiKey: apiKey, projectID: project, issueTypeID: issueType, priorityID: priority, summary: summary,
            description: description, closedStatusID: closed)
    }

    private func base(_ environment: CallEnvironment) -> String {
        environment.base("backlog", default: "https://" + (space.contains(".") ? space : "\(space).backlog.jp"))
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let key = FormBody.escape(try environment.secret(apiKey.reference))
        let headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")]
        switch operation {
        case .create:
            let text =
                try description.map { template throws(StepError) in try environment.text(template.template) } ?? environment.context.incident["details"] ?? ""
            let fields: [(String, String)] = [
                ("projectId", String(projectID)), ("summary", String(try environment.text(summary!.template).prefix(255))),
                ("issueTypeId", String(issueTypeID)), ("priorityId", String(priorityID)), ("description", text),
            ]
            return ProviderCall(
                method: "POST", url: base(environment) + "/api/v2/issues?apiKey=\(key)", headers: headers, body: FormBody.encode(fields), stage: "create")
        case .close:
            guard let issue = environment.outputs["key"] else {
                throw StepError(message: "backlog.issue: no issue key from the step it closes; the issue was never opened", permanent: true)
            }
            let url = base(environment) + "/api/v2/issues/\(FormBody.escape(issue))"
            let summary = environment.context.incident["summary"] ?? ""
            if environment.outputs["backlogCommented"] == nil {
                return ProviderCall(
                    method: "POST", url: url + "/comments?apiKey=\(key)", headers: headers, body: FormBody.encode([("content", summary)]), stage: "comment")
            }
            return ProviderCall(
                method: "PATCH", url: url + "?apiKey=\(key)", headers: headers, body: FormBody.encode([("statusId", String(closedStatusID))]),
                stage: "close")
        }
    }

    public func rehearsalOutputs(after call: ProviderCall) -> [String: String]? {
        call.stage == "comment" ? ["backlogCommented": "1"] : nil
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "Backlog (\(call.stage))", now: environment.now) { status in
            switch status {
            case 401: "the API key was refused; issue one under 個人設定 → API and set it where \(apiKey.reference) points"
            case 400: "Backlog rejected the fields; check projectId, issueTypeId and priorityId (numbers from the project's settings)"
            case 404: "the issue or space was not found; check space and projectId"
            default: nil
            }
        }
        guard case .success = verdict else { return verdict }
        switch call.stage {
        case "create":
            guard let issue = (AnswerReading.json(response) as? [String: Any])?["issueKey"] as? String else {
                return .permanent("Backlog answered \(response.status) without an issueKey; check the space")
            }
            let id = ((AnswerReading.json(response) as? [String: Any])?["id"] as? Int).map(String.init) ?? ""
            return .success(outputs: ["key": issue, "id": id, "url": base(environment) + "/view/\(issue)"])
        case "comment": return .progress(outputs: ["backlogCommented": "1"])
        default: return .success(outputs: [:])
        }
    }
}
