import DetourServer
import Foundation

/// Fake provider APIs that answer the way the real ones do (status, body, error shapes,
/// rate-limit headers, LINE's retry key, X's duplicate check), keyed by the host a request was
/// meant for. Opt-in (`SandboxServer.enableProviderFakes()`); scripted answers still come first.
///
/// A value type mutated only under `SandboxState`'s lock.
struct ProviderFakes {
    private var lineRetryKeys: Set<String> = []
    private var posts: Set<String> = []
    private var campaigns: [String: Bool] = [:]
    private var statusIncidents: Set<String> = []
    private var counter = 0
    private var people = PeopleFakes()
    private var tickets = TicketFakes()

    /// The answer to a provider request, or nil for hosts that are not faked.
    mutating func answer(_ request: RecordedRequest) -> ScriptedResponse? {
        if let answer = people.answer(request) ?? tickets.answer(request) { return answer }
        let host = request.host.lowercased()
        switch true {
        case host == "api.line.me": return line(request)
        case host == "api.x.com" || host == "api.twitter.com": return x(request)
        case host == "hooks.slack.com": return slack(request)
        case host == "discord.com" || host == "discordapp.com": return discord(request)
        case host == "api.sendgrid.com": return sendgrid(request)
        case host.hasSuffix(".api.mailchimp.com"): return mailchimp(request)
        case host.hasSuffix(".myshopify.com"): return shopify(request)
        case host == "events.pagerduty.com": return pagerduty(request)
        case host == "api.statuspage.io": return statuspage(request)
        default: return nil
        }
    }

    private mutating func nextID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    private static func json(_ status: Int, _ object: Any, headers: [SandboxHeader] = []) -> ScriptedResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return ScriptedResponse(status: status, headers: headers, body: String(decoding: data, as: UTF8.self))
    }

    private static func body(_ request: RecordedRequest) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
    }

    private static func bearer(_ request: RecordedRequest) -> Bool {
        guard let value = request.header("authorization"), value.hasPrefix("Bearer ") else { return false }
        return value.count > 7
    }

    // MARK: - LINE

    private mutating func line(_ request: RecordedRequest) -> ScriptedResponse {
        let endpoints = ["/v2/bot/message/broadcast", "/v2/bot/message/push", "/v2/bot/message/multicast", "/v2/bot/message/narrowcast"]
        guard request.method == "POST", endpoints.contains(request.path) else { return Self.json(404, ["message": "Not found"]) }
        guard Self.bearer(request) else {
            return Self.json(401, ["message": "Authentication failed. Confirm that the access token in the authorization header is valid."])
        }
        if let key = request.header("x-line-retry-key") {
            guard UUID(uuidString: key) != nil else {
                return Self.json(400, ["message": "The value for the 'X-Line-Retry-Key' header is invalid"])
            }
            if lineRetryKeys.contains(key) {
                return Self.json(
                    409, ["message": "The retry key is already accepted", "sentMessages": []],
                    headers: [SandboxHeader("x-line-accepted-request-id", "accepted-\(key.prefix(8))")])
            }
        }
        guard let body = Self.body(request), let messages = body["messages"] as? [[String: Any]], (1...5).contains(messages.count) else {
            return Self.json(400, ["message": "The request body has 1 error(s)", "details": [["message": "must be specified", "property": "messages"]]])
        }
        for message in messages {
            guard message["type"] as? String == "text", let text = message["text"] as? String, !text.isEmpty else {
                return Self.json(400, ["message": "The request body has 1 error(s)", "details": [["message": "invalid", "property": "messages[0]"]]])
            }
            if text.utf16.count > 5_000 {
                return Self.json(
                    400,
                    [
                        "message": "The request body has 1 error(s)",
                        "details": [["message": "Length must be between 0 and 5000", "property": "messages[0].text"]],
                    ])
            }
        }
        if request.path == "/v2/bot/message/push", body["to"] as? String == nil {
            return Self.json(400, ["message": "The request body has 1 error(s)", "details": [["message": "must be specified", "property": "to"]]])
        }
        if let key = request.header("x-line-retry-key") { lineRetryKeys.insert(key) }
        let requestID = SandboxHeader("x-line-request-id", nextID("line-"))
        return request.path.hasSuffix("narrowcast")
            ? ScriptedResponse(status: 202, headers: [requestID], body: "{}") : ScriptedResponse(status: 200, headers: [requestID], body: "{}")
    }

    // MARK: - X

    private mutating func x(_ request: RecordedRequest) -> ScriptedResponse {
        let problem = [SandboxHeader("Content-Type", "application/problem+json")]
        guard request.method == "POST", request.path == "/2/tweets" else { return Self.json(404, ["title": "Not Found Error"], headers: problem) }
        guard Self.bearer(request) else {
            return Self.json(401, ["title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"], headers: problem)
        }
        guard let text = Self.body(request)?["text"] as? String, !text.isEmpty else {
            return Self.json(
                400,
                [
                    "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                ], headers: problem)
        }
        let reset = String(Int(Date().timeIntervalSince1970) + 900)
        let rate = [SandboxHeader("x-rate-limit-limit", "100"), SandboxHeader("x-rate-limit-remaining", "99"), SandboxHeader("x-rate-limit-reset", reset)]
        if posts.contains(text) {
            return Self.json(
                403, ["title": "Forbidden", "type": "about:blank", "status": 403, "detail": "You are not allowed to create a Tweet with duplicate content."],
                headers: problem + rate)
        }
        posts.insert(text)
        return Self.json(201, ["data": ["id": nextID("18"), "text": text, "edit_history_tweet_ids": []]], headers: rate)
    }

    // MARK: - Slack and Discord

    private func slack(_ request: RecordedRequest) -> ScriptedResponse {
        let plain = [SandboxHeader("Content-Type", "text/plain")]
        guard request.method == "POST", request.path.hasPrefix("/services/") else { return ScriptedResponse(status: 404, headers: plain, body: "no_service") }
        guard let text = Self.body(request)?["text"] as? String, !text.isEmpty else {
            return ScriptedResponse(status: 400, headers: plain, body: "invalid_payload")
        }
        return ScriptedResponse(status: 200, headers: plain, body: "ok")
    }

    private mutating func discord(_ request: RecordedRequest) -> ScriptedResponse {
        guard request.method == "POST", request.path.hasPrefix("/api/v10/webhooks/") || request.path.hasPrefix("/api/webhooks/") else {
            return Self.json(404, ["message": "Unknown Webhook", "code": 10015])
        }
        guard let content = Self.body(request)?["content"] as? String, !content.isEmpty else {
            return Self.json(400, ["message": "Cannot send an empty message", "code": 50006])
        }
        if content.count > 2_000 { return Self.json(400, ["content": ["Must be 2000 or fewer in length."]]) }
        guard (request.query ?? "").contains("wait=true") else { return ScriptedResponse(status: 204, body: "") }
        return Self.json(200, ["id": nextID("12"), "content": content, "type": 0])
    }

    // MARK: - Mail

    private func sendgrid(_ request: RecordedRequest) -> ScriptedResponse {
        let rate = [SandboxHeader("X-RateLimit-Limit", "600"), SandboxHeader("X-RateLimit-Remaining", "599"), SandboxHeader("X-RateLimit-Reset", "60")]
        guard request.method == "POST", request.path == "/v3/mail/send" else { return Self.json(404, ["errors": [["message": "not found"]]]) }
        guard Self.bearer(request) else {
            return Self.json(401, ["errors": [["field": NSNull(), "message": "The provided authorization grant is invalid, expired, or revoked"]]])
        }
        let body = Self.body(request)
        var errors: [[String: Any]] = []
        if (body?["personalizations"] as? [[String: Any]])?.first?["to"] == nil {
            errors.append(["field": "personalizations", "message": "The personalizations field is required and must have at least one personalization."])
        }
        if (body?["from"] as? [String: Any])?["email"] == nil {
            errors.append(["field": "from.email", "message": "The from email does not contain a valid address."])
        }
        if body?["subject"] == nil { errors.append(["field": "subject", "message": "The subject is required."]) }
        if !errors.isEmpty { return Self.json(400, ["errors": errors], headers: rate) }
        return ScriptedResponse(status: 202, headers: rate + [SandboxHeader("Content-Type", "text/plain")], body: "")
    }

    private mutating func mailchimp(_ request: RecordedRequest) -> ScriptedResponse {
        let problem = [SandboxHeader("Content-Type", "application/problem+json")]
        guard let auth = request.header("authorization"), auth.hasPrefix("Basic ") else {
            return Self.json(401, ["title": "API Key Missing", "status": 401, "detail": "Your request did not include an API key."], headers: problem)
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.count) {
        case ("POST", 2) where parts == ["3.0", "campaigns"]:
            guard let body = Self.body(request), (body["recipients"] as? [String: Any])?["list_id"] != nil else {
                return Self.json(400, ["title": "Invalid Resource", "status": 400, "detail": "recipients.list_id is required"], headers: problem)
            }
            let id = nextID("cmp")
            campaigns[id] = false
            return Self.json(200, ["id": id, "type": "regular", "status": "save"])
        case ("PUT", 4) where parts[1] == "campaigns" && parts[3] == "content":
            guard campaigns[parts[2]] != nil else { return Self.json(404, ["title": "Resource Not Found", "status": 404], headers: problem) }
            campaigns[parts[2]] = true
            return Self.json(200, ["plain_text": (Self.body(request)?["plain_text"] as? String) ?? ""])
        case ("POST", 5) where parts[1] == "campaigns" && parts[3] == "actions" && parts[4] == "send":
            guard let ready = campaigns[parts[2]] else { return Self.json(404, ["title": "Resource Not Found", "status": 404], headers: problem) }
            guard ready else {
                return Self.json(400, ["title": "Bad Request", "status": 400, "detail": "Your Campaign is not ready to send."], headers: problem)
            }
            return ScriptedResponse(status: 204, body: "")
        default:
            return Self.json(404, ["title": "Resource Not Found", "status": 404], headers: problem)
        }
    }

    // MARK: - Shopify, PagerDuty, Statuspage

    private func shopify(_ request: RecordedRequest) -> ScriptedResponse {
        guard request.method == "POST", request.path.hasPrefix("/admin/api/"), request.path.hasSuffix("/graphql.json") else {
            return Self.json(404, ["errors": "Not Found"])
        }
        guard let token = request.header("x-shopify-access-token"), !token.isEmpty else {
            return Self.json(401, ["errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"])
        }
        let body = Self.body(request)
        let query = body?["query"] as? String ?? ""
        let id = (body?["variables"] as? [String: Any])?["id"] as? String ?? ""
        let mutations = ["discountAutomaticActivate", "discountAutomaticDeactivate", "discountCodeActivate", "discountCodeDeactivate"]
        guard let mutation = mutations.first(where: { query.contains($0 + "(") }) else {
            return Self.json(200, ["errors": [["message": "Field is not defined on Mutation", "extensions": ["code": "undefinedField"]]]])
        }
        let cost: [String: Any] = [
            "requestedQueryCost": 10, "actualQueryCost": 10,
            "throttleStatus": ["maximumAvailable": 2000, "currentlyAvailable": 1990, "restoreRate": 100],
        ]
        let nodeType = mutation.hasPrefix("discountCode") ? "DiscountCodeNode" : "DiscountAutomaticNode"
        guard id.hasPrefix("gid://shopify/\(nodeType)/"), !id.hasSuffix("/0") else {
            return Self.json(
                200,
                [
                    "data": [mutation: ["userErrors": [["field": ["id"], "message": "Discount does not exist", "code": "INVALID"]]]],
                    "extensions": ["cost": cost],
                ])
        }
        return Self.json(200, ["data": [mutation: ["userErrors": []]], "extensions": ["cost": cost]])
    }

    private func pagerduty(_ request: RecordedRequest) -> ScriptedResponse {
        guard request.method == "POST", request.path == "/v2/enqueue" else { return Self.json(404, ["status": "not found"]) }
        let body = Self.body(request)
        var errors: [String] = []
        if (body?["routing_key"] as? String ?? "").isEmpty { errors.append("'routing_key' is missing or blank") }
        let action = body?["event_action"] as? String ?? ""
        if !["trigger", "acknowledge", "resolve"].contains(action) {
            errors.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
        }
        if action == "trigger" {
            let payload = body?["payload"] as? [String: Any]
            if payload?["summary"] == nil { errors.append("'payload.summary' is missing or blank") }
            if payload?["source"] == nil { errors.append("'payload.source' is missing or blank") }
            if payload?["severity"] == nil { errors.append("'payload.severity' is missing or blank") }
        } else if body?["dedup_key"] == nil {
            errors.append("'dedup_key' is missing or blank")
        }
        if !errors.isEmpty { return Self.json(400, ["status": "invalid event", "message": "Event object is invalid", "errors": errors]) }
        return Self.json(202, ["status": "success", "message": "Event processed", "dedup_key": body?["dedup_key"] as? String ?? "generated"])
    }

    private mutating func statuspage(_ request: RecordedRequest) -> ScriptedResponse {
        guard let auth = request.header("authorization"), auth.hasPrefix("OAuth ") else { return Self.json(401, ["error": "Could not authenticate"]) }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "v1", parts[1] == "pages", parts[3] == "incidents" else { return Self.json(404, ["error": "Not found"]) }
        let incident = Self.body(request)?["incident"] as? [String: Any]
        switch (request.method, parts.count) {
        case ("POST", 4):
            guard let name = incident?["name"] as? String, !name.isEmpty else { return Self.json(422, ["error": ["name can't be blank"]]) }
            let id = nextID("sp")
            statusIncidents.insert(id)
            return Self.json(201, ["id": id, "name": name, "status": incident?["status"] as? String ?? "investigating", "page_id": parts[2]])
        case ("PATCH", 5):
            guard statusIncidents.contains(parts[4]) else { return Self.json(404, ["error": "Not found"]) }
            return Self.json(200, ["id": parts[4], "status": incident?["status"] as? String ?? "identified", "page_id": parts[2]])
        default:
            return Self.json(404, ["error": "Not found"])
        }
    }
}
