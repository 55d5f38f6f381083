import DetourServer
import Foundation

/// Fake service-desk APIs: Nulab Backlog, Jira Cloud (REST v3), ServiceNow's Table API and GitHub
/// issues. Each checks auth, content type and the fields its provider requires (Jira's description
/// must be an Atlassian Document, ServiceNow refuses a resolve without close code and notes) and
/// remembers the tickets it opened. Part of `ProviderFakes`.
struct TicketFakes {
    private var counter = 0
    /// Backlog issues by key: open or closed.
    private var backlogIssues: [String: Bool] = [:]
    /// Jira issues by key: the status name.
    private var jiraIssues: [String: String] = [:]
    /// ServiceNow incidents by sys_id: the state.
    private var serviceNowIncidents: [String: String] = [:]
    /// GitHub issues by `owner/repo#number`: the state.
    private var githubIssues: [String: String] = [:]

    /// The answer to a request, or nil for hosts these fakes do not cover.
    mutating func answer(_ request: RecordedRequest) -> ScriptedResponse? {
        let host = request.host.lowercased()
        switch true {
        case host.hasSuffix(".backlog.jp") || host.hasSuffix(".backlog.com"): return backlog(request)
        case host.hasSuffix(".atlassian.net"): return jira(request)
        case host.hasSuffix(".service-now.com"): return serviceNow(request)
        case host == "api.github.com": return github(request)
        default: return nil
        }
    }

    private mutating func nextID() -> Int {
        counter += 1
        return counter
    }

    private static func json(_ status: Int, _ object: Any) -> ScriptedResponse { PeopleFakes.json(status, object) }

    private static func body(_ request: RecordedRequest) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
    }

    private static func isJSON(_ request: RecordedRequest) -> Bool {
        request.header("content-type")?.lowercased().hasPrefix("application/json") == true
    }

    /// A Basic `user:secret` with both parts present.
    private static func basic(_ request: RecordedRequest) -> Bool {
        guard let value = request.header("authorization"), value.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(value.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else { return false }
        return colon != decoded.startIndex && decoded.index(after: colon) != decoded.endIndex
    }

    /// Whether a value is an Atlassian Document: `{ type: "doc", version: 1, content: [ … ] }`.
    static func isADF(_ value: Any?) -> Bool {
        guard let doc = value as? [String: Any], doc["type"] as? String == "doc", doc["version"] as? Int == 1,
            let content = doc["content"] as? [[String: Any]]
        else { return false }
        return content.allSatisfy { $0["type"] is String }
    }

    // MARK: - Backlog

    private mutating func backlog(_ request: RecordedRequest) -> ScriptedResponse {
        let query = PeopleFakes.form(request.query ?? "")
        guard let key = query["apiKey"], !key.isEmpty else {
            return Self.json(401, ["errors": [["message": "Authentication failure.", "code": 11, "moreInfo": ""]]])
        }
        let fields = PeopleFakes.form(request.body)
        let parts = request.path.split(separator: "/").map(String.init)
        func invalid(_ message: String) -> ScriptedResponse {
            Self.json(400, ["errors": [["message": message, "code": 7, "moreInfo": ""]]])
        }
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v2", parts[2] == "issues" else {
            return Self.json(404, ["errors": [["message": "No such resource.", "code": 6, "moreInfo": ""]]])
        }
        if request.method == "POST", parts.count == 3 {
            guard request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
                return invalid("Content-Type must be application/x-www-form-urlencoded.")
            }
            for name in ["projectId", "issueTypeId", "priorityId"] where Int(fields[name] ?? "") == nil {
                return invalid("Please specify \(name) as a number.")
            }
            guard let summary = fields["summary"], !summary.isEmpty else { return invalid("Please specify summary.") }
            let id = nextID()
            let issueKey = "SHOP-\(id)"
            backlogIssues[issueKey] = true
            return Self.json(
                201,
                [
                    "id": id, "issueKey": issueKey, "keyId": id, "summary": summary, "description": fields["description"] ?? "",
                    "projectId": Int(fields["projectId"]!)!, "status": ["id": 1, "name": "未対応"],
                ])
        }
        guard parts.count >= 4, let open = backlogIssues[parts[3]] else {
            return Self.json(404, ["errors": [["message": "No issue.", "code": 6, "moreInfo": ""]]])
        }
        if request.method == "POST", parts.count == 5, parts[4] == "comments" {
            guard let content = fields["content"], !content.isEmpty else { return invalid("Please specify content.") }
            return Self.json(201, ["id": nextID(), "content": content])
        }
        if request.method == "PATCH", parts.count == 4 {
            if let status = fields["statusId"] {
                guard let id = Int(status), (1...4).contains(id) else { return invalid("Please specify statusId as a status of the project.") }
                backlogIssues[parts[3]] = id != 4
            }
            return Self.json(
                200, ["issueKey": parts[3], "status": ["id": open && fields["statusId"] != "4" ? 1 : 4, "name": fields["statusId"] == "4" ? "完了" : "処理中"]])
        }
        return Self.json(405, ["errors": [["message": "Method not allowed.", "code": 6, "moreInfo": ""]]])
    }

    // MARK: - Jira Cloud

    private mutating func jira(_ request: RecordedRequest) -> ScriptedResponse {
        guard Self.basic(request) else { return Self.json(401, ["errorMessages": ["You are not authenticated."], "errors": [:]]) }
        guard Self.isJSON(request) || request.method == "GET" else {
            return Self.json(415, ["errorMessages": ["Unsupported Media Type"], "errors": [:]])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "rest", parts[1] == "api", parts[2] == "3", parts[3] == "issue" else {
            return Self.json(404, ["errorMessages": ["Not found"], "errors": [:]])
        }
        let body = Self.body(request)
        if request.method == "POST", parts.count == 4 {
            let fields = body?["fields"] as? [String: Any]
            var errors: [String: String] = [:]
            if ((fields?["project"] as? [String: Any])?["key"] as? String ?? "").isEmpty { errors["project"] = "Specify a valid project ID or key" }
            if ((fields?["summary"] as? String) ?? "").isEmpty { errors["summary"] = "You must specify a summary of the issue." }
            let type = fields?["issuetype"] as? [String: Any]
            if type?["name"] == nil && type?["id"] == nil { errors["issuetype"] = "Specify an issue type" }
            if let description = fields?["description"], !Self.isADF(description) {
                errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            }
            guard errors.isEmpty else { return Self.json(400, ["errorMessages": [], "errors": errors]) }
            let project = (fields?["project"] as? [String: Any])?["key"] as? String ?? "OPS"
            let id = nextID()
            let key = "\(project)-\(id)"
            jiraIssues[key] = "To Do"
            return Self.json(201, ["id": String(10_000 + id), "key": key, "self": "https://\(request.host)/rest/api/3/issue/\(10_000 + id)"])
        }
        guard parts.count >= 5, jiraIssues[parts[4]] != nil else {
            return Self.json(404, ["errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": [:]])
        }
        if request.method == "POST", parts.count == 6, parts[5] == "comment" {
            guard Self.isADF(body?["body"]) else { return Self.json(400, ["errorMessages": [], "errors": ["comment": "Comment body is not valid!"]]) }
            return Self.json(201, ["id": String(nextID())])
        }
        if request.method == "POST", parts.count == 6, parts[5] == "transitions" {
            guard let id = (body?["transition"] as? [String: Any])?["id"] as? String, !id.isEmpty else {
                return Self.json(400, ["errorMessages": ["Missing 'transition' identifier"], "errors": [:]])
            }
            jiraIssues[parts[4]] = "Done"
            return ScriptedResponse(status: 204)
        }
        return Self.json(405, ["errorMessages": ["Method not allowed"], "errors": [:]])
    }

    // MARK: - ServiceNow Table API

    private mutating func serviceNow(_ request: RecordedRequest) -> ScriptedResponse {
        guard Self.basic(request) else {
            return Self.json(401, ["error": ["message": "User Not Authenticated", "detail": "Required to provide Auth information"], "status": "failure"])
        }
        guard Self.isJSON(request) else { return Self.json(415, ["error": ["message": "Unsupported Media Type"], "status": "failure"]) }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "api", parts[1] == "now", parts[2] == "table", parts[3] == "incident" else {
            return Self.json(400, ["error": ["message": "Invalid table"], "status": "failure"])
        }
        if request.method == "POST", parts.count == 4 { return serviceNowCreate(request) }
        let body = Self.body(request) ?? [:]
        if request.method == "PATCH", parts.count == 5 {
            guard serviceNowIncidents[parts[4]] != nil else { return Self.json(404, ["error": ["message": "No Record found"], "status": "failure"]) }
            if body["state"] as? String == "6" {
                let missing = ["close_code", "close_notes"].filter { ((body[$0] as? String) ?? "").isEmpty }
                guard missing.isEmpty else {
                    return Self.json(
                        403,
                        [
                            "error": [
                                "message": "Operation Failed",
                                "detail": "Data Policy Exception: The following fields are mandatory: \(missing.joined(separator: ", "))",
                            ], "status": "failure",
                        ])
                }
            }
            serviceNowIncidents[parts[4]] = body["state"] as? String ?? "1"
            return Self.json(200, ["result": ["sys_id": parts[4], "state": serviceNowIncidents[parts[4]]!]])
        }
        return Self.json(405, ["error": ["message": "Method not allowed"], "status": "failure"])
    }

    /// `POST /api/now/table/incident` (the path has four parts, so it is matched here).
    private mutating func serviceNowCreate(_ request: RecordedRequest) -> ScriptedResponse {
        guard Self.basic(request) else { return Self.json(401, ["error": ["message": "User Not Authenticated"], "status": "failure"]) }
        guard Self.isJSON(request), let body = Self.body(request) else {
            return Self.json(400, ["error": ["message": "Exception while reading request"], "status": "failure"])
        }
        guard let summary = body["short_description"] as? String, !summary.isEmpty else {
            return Self.json(
                403, ["error": ["message": "Operation Failed", "detail": "Data Policy Exception: Short description is mandatory"], "status": "failure"])
        }
        let id = nextID()
        let sysID = String(repeating: "0", count: 32 - String(id, radix: 16).count) + String(id, radix: 16)
        serviceNowIncidents[sysID] = "1"
        return Self.json(201, ["result": ["sys_id": sysID, "number": String(format: "INC%07d", 10_000 + id), "state": "1", "short_description": summary]])
    }

    // MARK: - GitHub

    private mutating func github(_ request: RecordedRequest) -> ScriptedResponse {
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") || auth.hasPrefix("token "), auth.count > 7 else {
            return Self.json(401, ["message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"])
        }
        guard !(request.header("user-agent") ?? "").isEmpty else {
            return Self.json(403, ["message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header."])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "repos", parts[3] == "issues" else { return Self.json(404, ["message": "Not Found"]) }
        let repository = "\(parts[1])/\(parts[2])"
        let body = Self.body(request)
        if request.method == "POST", parts.count == 4 {
            guard let title = body?["title"] as? String, !title.isEmpty else {
                return Self.json(422, ["message": "Validation Failed", "errors": [["resource": "Issue", "code": "missing_field", "field": "title"]]])
            }
            let number = nextID()
            githubIssues["\(repository)#\(number)"] = "open"
            return Self.json(201, ["number": number, "html_url": "https://github.com/\(repository)/issues/\(number)", "state": "open", "title": title])
        }
        guard parts.count >= 5, githubIssues["\(repository)#\(parts[4])"] != nil else { return Self.json(404, ["message": "Not Found"]) }
        if request.method == "POST", parts.count == 6, parts[5] == "comments" {
            guard let text = body?["body"] as? String, !text.isEmpty else {
                return Self.json(422, ["message": "Validation Failed", "errors": [["resource": "IssueComment", "code": "missing_field", "field": "body"]]])
            }
            return Self.json(201, ["id": nextID(), "body": text])
        }
        if request.method == "PATCH", parts.count == 5 {
            let state = body?["state"] as? String ?? "open"
            if let reason = body?["state_reason"] as? String, !["completed", "not_planned", "reopened"].contains(reason) {
                return Self.json(422, ["message": "Validation Failed", "errors": [["resource": "Issue", "code": "invalid", "field": "state_reason"]]])
            }
            githubIssues["\(repository)#\(parts[4])"] = state
            return Self.json(200, ["number": Int(parts[4]) ?? 0, "state": state])
        }
        return Self.json(404, ["message": "Not Found"])
    }
}
