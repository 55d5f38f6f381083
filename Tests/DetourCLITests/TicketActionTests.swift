import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Service-desk tickets through the binary, against the sandbox's fakes of Jira, ServiceNow and
/// GitHub: opened on failover with the incident so far, closed on restore with the summary.
@Suite(.serialized)
final class TicketActionTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let environment = ["JIRA_TOKEN": "jira-secret-token-1", "SN_PASSWORD": "servicenow-secret-2", "GH_TOKEN": "ghp_secret_token_3"]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            """
            { providers: { jira: "\(base)/ext/matcha-do.atlassian.net", servicenow: "\(base)/ext/matchado.service-now.com", github: "\(base)/ext/api.github.com" } }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "テストモール店", kind: "mall", url: "\(base)/store/mall/", probes: [{ url: "\(base)/store/mall/" }], revenue: { perHour: 60000, currency: "JPY" } }
            """)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "jira", do: "jira.issue", site: "matcha-do", email: "ops@matcha-do.example", apiToken: "env:JIRA_TOKEN", project: "OPS",
                  issueType: "Incident", summary: "{{channel.name}}が停止しています", doneTransition: "31" },
                { id: "desk", do: "servicenow.incident", instance: "matchado", user: "detour.integration", password: "env:SN_PASSWORD",
                  summary: "{{channel.name}}が停止しています（{{steps.jira.key}}）" },
                { id: "gh", do: "github.issue", repository: "matcha-do/ops", token: "env:GH_TOKEN", title: "{{channel.name}} is down",
                  labels: ["incident"] },
              ],
            }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String) throws -> CommandResult {
        var environment = self.environment
        environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00"
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func json(_ request: RecordedRequest?) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data((request?.body ?? "").utf8)) as? [String: Any]) ?? [:]
    }

    func only(_ method: String, _ path: String) -> RecordedRequest? {
        let found = sandbox.requests().filter { $0.method == method && $0.path == path }
        #expect(found.count == 1, "\(method) \(path): \(found.count) requests")
        return found.first
    }

    @Test func ticketsOpenWithTheIncidentAndCloseWithItsSummary() throws {
        #expect(try detour("check", at: "10:00:00").status == 0)
        let failover = try detour("failover", "mall", "--reason", "決済エラー多発", "--by", "田中", at: "10:00:00")
        #expect(failover.status == 0, "\(failover.output)")

        // Jira: the description is an Atlassian Document holding the incident so far.
        let jira = json(only("POST", "/rest/api/3/issue"))
        let fields = jira["fields"] as? [String: Any]
        #expect((fields?["project"] as? [String: Any])?["key"] as? String == "OPS")
        #expect((fields?["issuetype"] as? [String: Any])?["name"] as? String == "Incident")
        let description = fields?["description"] as? [String: Any]
        #expect(description?["type"] as? String == "doc")
        #expect("\(description ?? [:])".contains("決済エラー多発"))
        // ServiceNow uses the Jira key, an output of the earlier step.
        let desk = json(only("POST", "/api/now/table/incident"))
        #expect(desk["short_description"] as? String == "テストモール店が停止しています（OPS-1）")
        #expect(desk["urgency"] as? String == "1")
        let github = json(only("POST", "/repos/matcha-do/ops/issues"))
        #expect(github["title"] as? String == "テストモール店 is down")
        #expect(github["labels"] as? [String] == ["incident"])
        #expect(sandbox.requests().allSatisfy { $0.answeredStatus < 300 }, "\(sandbox.requests().map { "\($0.path) \($0.answeredStatus)" })")

        let restore = try detour("restore", "mall", at: "10:45:00")
        #expect(restore.status == 0, "\(restore.output)")
        let summary = "停止 10:00〜10:45（45分）。影響売上 ¥45,000。"
        let comment = json(only("POST", "/rest/api/3/issue/OPS-1/comment"))
        #expect("\(comment)".contains(summary), "\(comment)")
        #expect((json(only("POST", "/rest/api/3/issue/OPS-1/transitions"))["transition"] as? [String: Any])?["id"] as? String == "31")
        let resolve = json(only("PATCH", "/api/now/table/incident/00000000000000000000000000000002"))
        #expect(resolve["state"] as? String == "6")
        #expect(resolve["close_code"] as? String == "Solution provided")
        #expect((resolve["close_notes"] as? String)?.hasPrefix(summary) == true, "\(resolve)")
        #expect((json(only("POST", "/repos/matcha-do/ops/issues/3/comments"))["body"] as? String)?.hasPrefix(summary) == true)
        let close = json(only("PATCH", "/repos/matcha-do/ops/issues/3"))
        #expect(close["state"] as? String == "closed")
        #expect(close["state_reason"] as? String == "completed")
        #expect(sandbox.requests().allSatisfy { $0.answeredStatus < 300 }, "\(sandbox.requests().map { "\($0.path) \($0.answeredStatus)" })")
        #expect(try detour("status", at: "10:46:00").stdout.contains("No open incidents"))
    }
}
