import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// People in the loop, through the binary and the sandbox's fakes: a night outage pages the
/// primary, escalates to the secondary by phone, stops at `detour ack`, and the ticket follows.
@Suite(.serialized)
final class OnCallEscalationTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let environment = [
        "LINE_TOKEN": "line-secret-5f1e9a", "SLACK_BOT_TOKEN": "xoxb-slack-secret-77", "TWILIO_SID": "AC0123456789abcdef",
        "TWILIO_TOKEN": "twilio-secret-c0ffee", "BACKLOG_KEY": "backlog-secret-4242",
    ]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            """
            {
              timezone: "Asia/Tokyo",
              providers: {
                line: "\(base)/ext/api.line.me", slack: "\(base)/ext/slack.com", twilio: "\(base)/ext/api.twilio.com",
                backlog: "\(base)/ext/example.backlog.jp",
              },
            }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店", kind: "mall", url: "\(base)/store/mall/",
              probes: [{ name: "item page", url: "\(base)/store/mall/item" }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 },
              revenue: { perHour: 120000, currency: "JPY" },
            }
            """)
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "ticket", do: "backlog.issue", space: "example", apiKey: "env:BACKLOG_KEY", projectId: 101, issueTypeId: 7,
                  summary: "{{channel.name}}が停止しています" },
                { id: "page", do: "page", escalation: "default", text: "チケット: {{steps.ticket.url}}" },
              ],
            }
            """)
        try workspace.write(
            "oncall.json5",
            """
            {
              people: {
                tanaka: { name: "田中", line: "U1111tanaka", slack: "U0AB12CD", phone: "+819011112222" },
                suzuki: { name: "鈴木", line: "U2222suzuki", slack: "U0CD34EF", phone: "+819033334444" },
                owner: { name: "店長", phone: "+819055556666" },
              },
              rotations: {
                primary: { members: ["tanaka", "suzuki"], handoff: "mon 10:00", every: "1w", start: "2026-11-23" },
                secondary: { members: ["suzuki", "tanaka"], handoff: "mon 10:00", every: "1w", start: "2026-11-23" },
              },
              escalation: {
                default: [
                  { notify: "primary", via: ["line", "slack"], wait: "10m" },
                  { notify: "secondary", via: ["phone"], wait: "10m" },
                  { notify: "owner", via: ["phone"] },
                ],
              },
              send: {
                line: { token: "env:LINE_TOKEN" },
                slack: { token: "env:SLACK_BOT_TOKEN" },
                twilio: { accountSid: "env:TWILIO_SID", authToken: "env:TWILIO_TOKEN", from: "+815012345678" },
              },
            }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        var environment = self.environment
        if let time { environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    var calls: [RecordedRequest] { sandbox.requests().filter { $0.path.hasSuffix("/Calls.json") } }

    @Test func oncallShowsWhoNowTheNextHandoffsAndTheEscalation() throws {
        let now = try detour("oncall", at: "03:00:00")
        #expect(now.status == 0, "\(now.output)")
        #expect(now.stdout.contains("On call at 2026-11-27 03:00:"))
        #expect(now.stdout.contains("primary    田中 (tanaka)"), "\(now.stdout)")
        #expect(now.stdout.contains("鈴木 (2026-11-30 10:00)"))
        #expect(now.stdout.contains("  2. secondary → 鈴木 by phone, then after 10m without an acknowledgement"))
        let later = try detour("oncall", "--at", "2026-12-01T12:00", "--json", at: "03:00:00")
        let rotations = json(later.stdout)["rotations"] as? [[String: Any]]
        #expect(rotations?.first?["person"] as? String == "suzuki", "\(later.stdout)")
        #expect(rotations?.first?["until"] as? String == "2026-12-07T10:00:00+09:00")
        let bad = try detour("oncall", "--at", "someday", at: "03:00:00")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--at \"someday\" is not a time"))
        #expect(try detour("check").stdout.contains("on call: 3 people, 2 rotations"))
    }

    @Test func mailAndPagerDutyPagesAreResolvedWhenItIsOver() throws {
        let base = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            #"{ providers: { sendgrid: "\#(base)/ext/api.sendgrid.com", pagerduty: "\#(base)/ext/events.pagerduty.com", backlog: "\#(base)/ext/example.backlog.jp" } }"#
        )
        try workspace.write(
            "oncall.json5",
            """
            {
              people: { tanaka: { name: "田中", email: "tanaka@example.jp" }, suzuki: { name: "鈴木", email: "suzuki@example.jp" } },
              rotations: { primary: { members: ["tanaka", "suzuki"], handoff: "mon 10:00", every: "1w", start: "2026-11-23" } },
              escalation: { default: [{ notify: "primary", via: ["email", "pagerduty"] }] },
              send: { email: { apiKey: "env:SENDGRID_KEY", from: "detour@example.jp" }, pagerduty: { routingKey: "env:PD_KEY" } },
            }
            """)
        var environment = self.environment
        environment["SENDGRID_KEY"] = "SG.sendgrid-secret-1"
        environment["PD_KEY"] = "pd-routing-secret-22"
        environment["DETOUR_NOW"] = "2026-11-27T10:00:00+09:00"
        let failover = try DetourBinary.run(["failover", "mall", "--reason", "決済エラー"], in: workspace.root, environment: environment)
        #expect(failover.status == 0, "\(failover.output)")
        let mails = sandbox.requests(path: "/v3/mail/send")
        #expect(mails.count == 1)
        #expect(mails.first?.answeredStatus == 202)
        #expect(mails.first?.body.contains("tanaka@example.jp") == true)
        #expect(mails.first?.body.contains("【Detour】テストモール店が停止しています（mall-20261127-100000）") == true, "\(mails.first?.body ?? "")")
        let events = sandbox.requests(path: "/v2/enqueue")
        #expect(events.count == 1)
        #expect(events.first?.answeredStatus == 202)
        #expect(json(events.first?.body ?? "")["dedup_key"] as? String == "mall-20261127-100000")
        #expect(json(events.first?.body ?? "")["event_action"] as? String == "trigger")

        environment["DETOUR_NOW"] = "2026-11-27T10:20:00+09:00"
        let restore = try DetourBinary.run(["restore", "mall"], in: workspace.root, environment: environment)
        #expect(restore.status == 0, "\(restore.output)")
        #expect(sandbox.requests(path: "/v3/mail/send").last?.body.contains("復旧しました") == true)
        let resolve = json(sandbox.requests(path: "/v2/enqueue").last?.body ?? "")
        #expect(resolve["event_action"] as? String == "resolve")
        #expect(resolve["dedup_key"] as? String == "mall-20261127-100000")
        #expect(sandbox.requests(path: "/v2/enqueue").count == 2)
    }

    @Test func aDrillShowsEveryLevelOfThePageAndWhoItReaches() throws {
        let drill = try detour("drill", "mall", at: "03:00:00")
        #expect(drill.status == 0, "\(drill.output)")
        #expect(drill.stdout.contains("[failover] mall-down/page/1/line  (page.line) — 田中 (primary), at once"), "\(drill.stdout)")
        #expect(drill.stdout.contains("[failover] mall-down/page/2/phone  (page.phone) — 鈴木 (secondary), after 10m without detour ack"))
        #expect(drill.stdout.contains("[failover] mall-down/page/3/phone  (page.phone) — 店長 (owner), after 20m without detour ack"))
        #expect(drill.stdout.contains("[undo] mall-down/ticket/undo  (backlog.issue)"))
        #expect(sandbox.requests().isEmpty, "a drill sends nothing")
    }

    @Test func aNightOutagePagesThePrimaryEscalatesByPhoneStopsAtAckAndTheTicketFollows() throws {
        let check = try detour("check")
        #expect(check.status == 0, "\(check.output)")
        try detour("tick", at: "02:59:00")
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "03:00:00")
        try detour("tick", at: "03:00:10")
        let down = try detour("tick", at: "03:00:20")
        #expect(down.status == 0, "\(down.output)")
        let incident = "mall-20261127-030020"

        // 1. The ticket opens, and the primary (田中) is paged by LINE push and Slack DM, with its URL.
        let tickets = sandbox.requests(path: "/api/v2/issues")
        #expect(tickets.count == 1)
        #expect(form(tickets.first?.body ?? "")["summary"] == "テストモール店が停止しています")
        let pushes = sandbox.requests(path: "/v2/bot/message/push")
        #expect(pushes.count == 1)
        let push = json(pushes.first?.body ?? "")
        #expect(push["to"] as? String == "U1111tanaka")
        let text = ((push["messages"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        #expect(text.contains("テストモール店"), "\(text)")
        #expect(text.contains("03:00から停止"), "\(text)")
        #expect(text.contains("対応済み: ticket"), "\(text)")
        #expect(text.contains("detour ack \(incident)"), "\(text)")
        #expect(text.contains("チケット: \(sandbox.baseURL)/ext/example.backlog.jp/view/SHOP-"), "\(text)")
        let dms = sandbox.requests(path: "/api/chat.postMessage")
        #expect(dms.count == 1)
        #expect(json(dms.first?.body ?? "")["channel"] as? String == "U0AB12CD")
        #expect(dms.first?.header("authorization") == "Bearer xoxb-slack-secret-77")
        #expect(calls.isEmpty)

        // 2. Nobody acknowledges: ticks within the wait send nothing; after 10 minutes the secondary (鈴木) gets a call.
        try detour("tick", at: "03:05:20")
        try detour("tick", at: "03:10:10")
        #expect(calls.isEmpty, "the wait (10m) has not passed")
        let escalated = try detour("tick", at: "03:10:20")
        #expect(escalated.stdout.contains("paging 鈴木 (secondary, level 2) by phone"), "\(escalated.output)")
        #expect(calls.count == 1)
        #expect(calls.first?.answeredStatus == 201, "the Twilio fake accepted the call")
        let call = form(calls.first?.body ?? "")
        #expect(call["To"] == "+819033334444")
        #expect(call["From"] == "+815012345678")
        #expect(call["Twiml"]?.hasPrefix("<Response><Say language=\"ja-JP\">") == true, "\(call)")
        #expect(call["Twiml"]?.contains("テストモール店") == true)
        #expect(calls.first?.path == "/2010-04-01/Accounts/AC0123456789abcdef/Calls.json")
        #expect(sandbox.requests(path: "/v2/bot/message/push").count == 1, "level 1 is never sent twice")
        #expect(try detour("status", at: "03:11:00").stdout.contains("not acknowledged; run 'detour ack \(incident)'"))
        let paged = (json(try detour("status", "--json", at: "03:11:00").stdout)["incidents"] as? [[String: Any]])?.first?["paged"] as? [[String: Any]]
        #expect(paged?.map { $0["person"] as? String } == ["tanaka", "suzuki"])
        #expect(paged?.last?["via"] as? [String] == ["phone"])

        // 3. `detour ack` stops the escalation: the owner is never called.
        let ack = try detour("ack", incident, "--by", "鈴木", at: "03:12:00")
        #expect(ack.status == 0, "\(ack.output)")
        #expect(ack.stdout.contains("acknowledged by 鈴木 after 11m40s"), "\(ack.output)")
        try detour("tick", at: "03:20:30")
        try detour("tick", at: "03:25:00")
        #expect(calls.count == 1, "acknowledged: no call to the owner")
        let status = try detour("status", at: "03:25:00")
        #expect(status.stdout.contains("acknowledged by 鈴木 at 03:12:00 (MTTA 11m40s)"), "\(status.output)")
        let again = try detour("ack", incident, at: "03:26:00")
        #expect(again.status != 0)
        #expect(again.stderr.contains("already acknowledged by 鈴木"), "\(again.output)")

        // 4. Recovery closes the ticket with the summary, and the people paged hear it is over.
        sandbox.setMode(.healthy, for: "mall")
        try detour("tick", at: "03:30:00")
        try detour("tick", at: "03:30:10")
        let resolved = try detour("tick", at: "03:35:20")
        #expect(resolved.stdout.contains("resolved"), "\(resolved.output)")
        let comments = sandbox.requests().filter { $0.path.hasSuffix("/comments") }
        #expect(comments.count == 1)
        let comment = form(comments.first?.body ?? "")["content"] ?? ""
        #expect(comment.contains("停止 03:00〜03:30（30分）"), "\(comment)")
        #expect(comment.contains("影響売上 ¥60,000"), "\(comment)")
        #expect(comment.contains("鈴木が03:12に応答"), "\(comment)")
        let closes = sandbox.requests().filter { $0.method == "PATCH" }
        #expect(closes.count == 1)
        #expect(form(closes.first?.body ?? "")["statusId"] == "4")
        let after = sandbox.requests(path: "/v2/bot/message/push")
        #expect(after.count == 2)
        #expect(after.last.map { json($0.body)["to"] as? String } == "U1111tanaka")
        #expect(after.last?.body.contains("復旧しました") == true)
        #expect(sandbox.requests(path: "/api/chat.postMessage").count == 2)
        #expect(calls.count == 1, "the call's resolved message goes as a text, not a call at night")
        let texts = sandbox.requests().filter { $0.path.hasSuffix("/Messages.json") }
        #expect(texts.count == 1)
        #expect(form(texts.first?.body ?? "")["To"] == "+819033334444")

        // Nothing sent twice, however often it ticks.
        let total = sandbox.requests().count
        try detour("tick", at: "03:40:00")
        try detour("tick", at: "04:00:00")
        #expect(sandbox.requests().count == total)

        // 5. The review and the KPIs show the time to acknowledge: 03:00:20 → 03:12:00.
        let review = try detour("review", incident, at: "04:00:00")
        #expect(review.status == 0, "\(review.output)")
        #expect(review.stdout.contains("| 応答 / Acknowledged | 2026-11-27 03:12:00 by 鈴木 | +12m |"), "\(review.stdout)")
        #expect(review.stdout.contains("応答までの時間 / Time to acknowledge (MTTA): 11m40s"))
        #expect(review.stdout.contains("level 2: 鈴木 (secondary) — phone: succeeded"))
        let kpi = try detour("report", "--kpi", at: "04:00:00")
        #expect(kpi.status == 0, "\(kpi.output)")
        #expect(kpi.stdout.contains("11m40s"), "\(kpi.stdout)")
        let rows = json(try detour("report", "--kpi", "--json", at: "04:00:00").stdout)["rows"] as? [[String: Any]]
        #expect(rows?.first?["mttaSeconds"] as? Double == 700)
        #expect(rows?.first?["outages"] as? Double == 1)

        // The lost-sale report carries it too.
        let csv = try detour("report", "--csv", at: "04:00:00").stdout.split(separator: "\r\n").map(String.init)
        #expect(csv.first?.hasSuffix(",acknowledged,acknowledged_by,seconds_to_acknowledge") == true)
        #expect(csv.last?.hasSuffix(",2026-11-27T03:12:00+09:00,鈴木,700") == true, "\(csv)")

        // Secrets never show.
        let journal = try workspace.journalText()
        for secret in environment.values { #expect(!journal.contains(secret)) }
    }
}
