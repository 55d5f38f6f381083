import DetourCore
import DetourSandbox
import Foundation
import Testing

/// One request to a fake and what it must answer.
struct FakeCase: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    /// `host/path?query`, sent through the sandbox's `/ext/`.
    var target: String
    var headers: [HTTPHeader]
    var body: String?
    var status: Int
    var fragment: String
    var testDescription: String { name }
}

/// The paging and ticket fakes refuse what the real services refuse, so a test that passes
/// against them has sent the right wire format.
struct PeopleFakeTests {
    static let basic = HTTPHeader("Authorization", "Basic " + Data("AC123:secret-token".utf8).base64EncodedString())
    static let json = HTTPHeader("Content-Type", "application/json")
    static let form = HTTPHeader("Content-Type", "application/x-www-form-urlencoded")
    static let bearer = HTTPHeader("Authorization", "Bearer xoxb-token-1234")

    static let cases: [FakeCase] = [
        FakeCase(
            name: "Slack DM accepted", method: "POST", target: "slack.com/api/chat.postMessage", headers: [bearer, json],
            body: #"{"channel":"U0AB12CD","text":"down"}"#, status: 200, fragment: #""ok":true"#),
        FakeCase(
            name: "Slack without a token", method: "POST", target: "slack.com/api/chat.postMessage", headers: [json],
            body: #"{"channel":"U0AB12CD","text":"down"}"#, status: 200, fragment: #""error":"not_authed""#),
        FakeCase(
            name: "Slack without text", method: "POST", target: "slack.com/api/chat.postMessage", headers: [bearer, json],
            body: #"{"channel":"U0AB12CD"}"#, status: 200, fragment: #""error":"no_text""#),
        FakeCase(
            name: "Twilio call with TwiML", method: "POST", target: "api.twilio.com/2010-04-01/Accounts/AC123/Calls.json", headers: [basic, form],
            body: "To=%2B819011112222&From=%2B815012345678&Twiml=%3CResponse%3E%3CSay%3Ex%3C%2FSay%3E%3C%2FResponse%3E", status: 201,
            fragment: #""sid":"CA"#),
        FakeCase(
            name: "Twilio call with broken TwiML", method: "POST", target: "api.twilio.com/2010-04-01/Accounts/AC123/Calls.json",
            headers: [basic, form], body: "To=%2B819011112222&From=%2B815012345678&Twiml=%3CResponse%3E%3CSay%3Ea%20%26%20b%3C%2FResponse%3E",
            status: 400, fragment: "Document parse failure"),
        FakeCase(
            name: "Twilio to a number not in E.164", method: "POST", target: "api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
            headers: [basic, form], body: "To=090-1111-2222&From=%2B815012345678&Body=x", status: 400, fragment: "21211"),
        FakeCase(
            name: "Twilio with another account's credentials", method: "POST", target: "api.twilio.com/2010-04-01/Accounts/AC999/Messages.json",
            headers: [basic, form], body: "To=%2B819011112222&From=%2B815012345678&Body=x", status: 401, fragment: "20003"),
        FakeCase(
            name: "Backlog without an API key", method: "POST", target: "shop.backlog.jp/api/v2/issues", headers: [form],
            body: "projectId=1&summary=x&issueTypeId=2&priorityId=3", status: 401, fragment: "Authentication failure"),
        FakeCase(
            name: "Backlog without issueTypeId", method: "POST", target: "shop.backlog.jp/api/v2/issues?apiKey=k", headers: [form],
            body: "projectId=1&summary=x&priorityId=3", status: 400, fragment: "issueTypeId"),
        FakeCase(
            name: "Jira description as plain text", method: "POST", target: "shop.atlassian.net/rest/api/3/issue", headers: [basic, json],
            body: #"{"fields":{"project":{"key":"OPS"},"summary":"x","issuetype":{"name":"Task"},"description":"plain"}}"#, status: 400,
            fragment: "Atlassian Document"),
        FakeCase(
            name: "Jira in ADF", method: "POST", target: "shop.atlassian.net/rest/api/3/issue", headers: [basic, json],
            body: #"{"fields":{"project":{"key":"OPS"},"summary":"x","issuetype":{"name":"Task"},"description":{"type":"doc","version":1,"content":[]}}}"#,
            status: 201, fragment: #""key":"OPS-"#),
        FakeCase(
            name: "ServiceNow without short_description", method: "POST", target: "shop.service-now.com/api/now/table/incident", headers: [basic, json],
            body: #"{"description":"x"}"#, status: 403, fragment: "Short description is mandatory"),
        FakeCase(
            name: "GitHub without a title", method: "POST", target: "api.github.com/repos/o/r/issues",
            headers: [bearer, json, HTTPHeader("User-Agent", "t")], body: #"{"body":"x"}"#, status: 422, fragment: "missing_field"),
    ]

    @Test(arguments: cases)
    func fakesAnswerLikeTheService(_ fake: FakeCase) async throws {
        let sandbox = SandboxServer()
        sandbox.enableProviderFakes()
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient(maxConcurrent: 1)
        defer { http.shutdown() }
        let request = HTTPRequest(
            method: fake.method, url: "\(sandbox.baseURL)/ext/\(fake.target)", headers: fake.headers, body: fake.body.map { Array($0.utf8) },
            timeout: .seconds(10), followRedirects: false)
        let response = try await http.send(request).get()
        #expect(response.status == fake.status, "\(response.bodyText)")
        #expect(response.bodyText.contains(fake.fragment), "\(response.bodyText)")
    }

    @Test func aServiceNowResolveNeedsCloseCodeAndNotes() async throws {
        let sandbox = SandboxServer()
        sandbox.enableProviderFakes()
        try sandbox.start()
        defer { sandbox.stop() }
        let http = HTTPClient(maxConcurrent: 1)
        defer { http.shutdown() }
        let base = "\(sandbox.baseURL)/ext/shop.service-now.com/api/now/table/incident"
        func send(_ method: String, _ url: String, _ body: String) async throws -> HTTPResponse {
            try await http.send(
                HTTPRequest(method: method, url: url, headers: [Self.basic, Self.json], body: Array(body.utf8), followRedirects: false)
            ).get()
        }
        let created = try await send("POST", base, #"{"short_description":"down"}"#)
        #expect(created.status == 201)
        let id = try #require(((AnswerReading.json(created) as? [String: Any])?["result"] as? [String: Any])?["sys_id"] as? String)
        let refused = try await send("PATCH", base + "/\(id)", #"{"state":"6"}"#)
        #expect(refused.status == 403)
        #expect(refused.bodyText.contains("close_code, close_notes"))
        let resolved = try await send("PATCH", base + "/\(id)", #"{"state":"6","close_code":"Solution provided","close_notes":"back"}"#)
        #expect(resolved.status == 200)
    }
}
