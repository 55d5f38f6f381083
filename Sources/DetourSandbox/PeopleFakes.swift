import DetourServer
import Foundation

/// Fake APIs for paging: Slack's Web API (`chat.postMessage`) and Twilio's Messages and Calls.
/// They check requests the way the real ones do (auth, required fields, E.164 numbers, TwiML) and
/// answer in their shapes. Part of `ProviderFakes`.
struct PeopleFakes {
    private var counter = 0

    /// The answer to a request, or nil for hosts these fakes do not cover.
    mutating func answer(_ request: RecordedRequest) -> ScriptedResponse? {
        let host = request.host.lowercased()
        if let answer = credentialCheck(request, host: host) { return answer }
        switch true {
        case host == "slack.com": return slack(request)
        case host == "api.twilio.com": return twilio(request)
        default: return nil
        }
    }

    private mutating func nextID() -> Int {
        counter += 1
        return counter
    }

    static func json(_ status: Int, _ object: Any) -> ScriptedResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return ScriptedResponse(status: status, body: String(decoding: data, as: UTF8.self))
    }

    /// `a=1&b=%E3%81%82` → ["a": "1", "b": "あ"]; `+` is a space.
    static func form(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let key = parts.first?.removingPercentEncoding else { continue }
            fields[key] = (parts.count > 1 ? parts[1] : "").removingPercentEncoding ?? ""
        }
        return fields
    }

    static func isE164(_ text: String) -> Bool {
        text.hasPrefix("+") && (9...16).contains(text.count) && text.dropFirst().allSatisfy(\.isASCII) && text.dropFirst().allSatisfy(\.isNumber)
            && !text.dropFirst().hasPrefix("0")
    }

    // MARK: - Credential checks (`selftest`)

    /// The harmless authenticated reads a selftest uses: LINE's bot info, Slack's auth.test,
    /// SendGrid's scopes, GitHub's user; nil for other requests. Twilio's account read is in `twilio`.
    private func credentialCheck(_ request: RecordedRequest, host: String) -> ScriptedResponse? {
        let bearer = request.header("authorization").map { $0.hasPrefix("Bearer ") && $0.count > 7 } ?? false
        switch (host, request.method, request.path) {
        case ("api.line.me", "GET", "/v2/bot/info"):
            return bearer
                ? Self.json(200, ["userId": "Ubot0001", "basicId": "@matcha", "displayName": "抹茶堂", "chatMode": "bot"])
                : Self.json(401, ["message": "Authentication failed. Confirm that the access token in the authorization header is valid."])
        case ("slack.com", "POST", "/api/auth.test"):
            return bearer ? Self.json(200, ["ok": true, "team": "matcha-do", "user": "detour"]) : Self.json(200, ["ok": false, "error": "not_authed"])
        case ("api.sendgrid.com", "GET", "/v3/scopes"):
            return bearer ? Self.json(200, ["scopes": ["mail.send"]]) : Self.json(401, ["errors": [["field": NSNull(), "message": "authorization required"]]])
        case ("api.github.com", "GET", "/user"):
            return bearer ? Self.json(200, ["login": "matcha-do-bot"]) : Self.json(401, ["message": "Requires authentication"])
        default:
            return nil
        }
    }

    // MARK: - Slack Web API

    private mutating func slack(_ request: RecordedRequest) -> ScriptedResponse {
        guard request.method == "POST", request.path == "/api/chat.postMessage" else { return Self.json(404, ["ok": false, "error": "unknown_method"]) }
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), auth.count > 7 else {
            return Self.json(200, ["ok": false, "error": "not_authed"])
        }
        guard request.header("content-type")?.lowercased().hasPrefix("application/json") == true,
            let body = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
        else { return Self.json(200, ["ok": false, "error": "invalid_json"]) }
        guard let channel = body["channel"] as? String, !channel.isEmpty else { return Self.json(200, ["ok": false, "error": "channel_not_found"]) }
        guard let text = body["text"] as? String, !text.isEmpty else { return Self.json(200, ["ok": false, "error": "no_text"]) }
        if text.count > 40_000 { return Self.json(200, ["ok": false, "error": "msg_too_long"]) }
        let ts = "1700000000.\(String(format: "%06d", nextID()))"
        return Self.json(200, ["ok": true, "channel": channel.hasPrefix("U") ? "D" + channel.dropFirst() : channel, "ts": ts])
    }

    // MARK: - Twilio

    private mutating func twilio(_ request: RecordedRequest) -> ScriptedResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        if request.method == "GET", parts.count == 3, parts[0] == "2010-04-01", parts[1] == "Accounts", parts[2].hasSuffix(".json") {
            // The account itself: what a selftest reads to check the SID and token.
            let account = String(parts[2].dropLast(5))
            guard let auth = request.header("authorization"), auth.hasPrefix("Basic "),
                let decoded = Data(base64Encoded: String(auth.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
                decoded.hasPrefix(account + ":"), decoded.count > account.count + 1
            else { return Self.json(401, ["code": 20003, "message": "Authenticate", "status": 401]) }
            return Self.json(200, ["sid": account, "status": "active", "friendly_name": "matcha-do"])
        }
        // /2010-04-01/Accounts/{AccountSid}/Messages.json or Calls.json
        guard request.method == "POST", parts.count == 4, parts[0] == "2010-04-01", parts[1] == "Accounts", ["Messages.json", "Calls.json"].contains(parts[3])
        else {
            return Self.json(404, ["code": 20404, "message": "The requested resource \(request.path) was not found", "status": 404])
        }
        let account = parts[2]
        guard let auth = request.header("authorization"), auth.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(auth.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
            decoded.hasPrefix(account + ":"), decoded.count > account.count + 1
        else {
            return Self.json(401, ["code": 20003, "message": "Authenticate", "status": 401])
        }
        guard request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            return Self.json(400, ["code": 20001, "message": "Unsupported content type; send application/x-www-form-urlencoded", "status": 400])
        }
        let fields = Self.form(request.body)
        guard let to = fields["To"], Self.isE164(to) else {
            return Self.json(400, ["code": 21211, "message": "The 'To' number \(fields["To"] ?? "") is not a valid phone number.", "status": 400])
        }
        guard let from = fields["From"], Self.isE164(from) else {
            return Self.json(400, ["code": 21212, "message": "The 'From' number \(fields["From"] ?? "") is not a valid phone number.", "status": 400])
        }
        let id = nextID()
        if parts[3] == "Messages.json" {
            guard let body = fields["Body"], !body.isEmpty else {
                return Self.json(400, ["code": 21602, "message": "Message body is required.", "status": 400])
            }
            return Self.json(201, ["sid": "SM\(id)", "status": "queued", "to": to, "from": from, "body": body, "account_sid": account])
        }
        let sources = ["Url", "Twiml", "ApplicationSid"].filter { fields[$0] != nil }
        guard sources.count == 1 else {
            return Self.json(400, ["code": 21205, "message": "Exactly one of Url, Twiml or ApplicationSid is required.", "status": 400])
        }
        if let twiml = fields["Twiml"] {
            let trimmed = twiml.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("<Response>") || trimmed.hasPrefix("<?xml"), trimmed.hasSuffix("</Response>"), Self.wellFormed(trimmed) else {
                return Self.json(400, ["code": 12100, "message": "Document parse failure", "status": 400])
            }
        }
        return Self.json(201, ["sid": "CA\(id)", "status": "queued", "to": to, "from": from, "account_sid": account])
    }

    /// Tags balanced, attribute quotes closed, `&` only in entities: enough to refuse the TwiML Twilio would not parse.
    static func wellFormed(_ xml: String) -> Bool {
        var open: [String] = []
        var rest = Substring(xml)
        let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
        while let start = rest.firstIndex(where: { $0 == "<" || $0 == "&" || $0 == ">" }) {
            switch rest[start] {
            case ">": return false
            case "&":
                guard entities.contains(where: { rest[start...].hasPrefix($0) }) else { return false }
                rest = rest[rest.index(after: start)...]
            default:
                guard let end = rest[start...].firstIndex(of: ">") else { return false }
                let tag = rest[rest.index(after: start)..<end]
                rest = rest[rest.index(after: end)...]
                if tag.hasPrefix("?") { continue }
                guard tag.filter({ $0 == "\"" }).count % 2 == 0, !tag.contains("<") else { return false }
                if tag.hasPrefix("/") {
                    guard open.popLast() == String(tag.dropFirst()) else { return false }
                } else if !tag.hasSuffix("/") {
                    open.append(String(tag.split(separator: " ").first ?? ""))
                }
            }
        }
        return open.isEmpty
    }

}
