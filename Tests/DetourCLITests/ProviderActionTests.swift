import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Built-in provider actions through the binary, against the sandbox's fakes of the real APIs.
@Suite(.serialized)
final class ProviderActionTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let secrets = [
        "LINE_TOKEN": "line-secret-5f1e", "X_TOKEN": "x-secret-93ab", "PD_KEY": "pd-routing-secret-77",
        "SHOPIFY_TOKEN": "shpat_secret_c0ffee", "SENDGRID_KEY": "SG.secret-sendgrid", "MAILCHIMP_KEY": "mc-secret-key-us14",
        "STATUSPAGE_KEY": "sp-secret-4242",
    ]
    var environment: [String: String]

    init() throws {
        sandbox.enableProviderFakes()
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        environment = secrets
        environment["SLACK_HOOK"] = "\(base)/ext/hooks.slack.com/services/T000/B000/slack-secret-path"
        environment["DISCORD_HOOK"] = "\(base)/ext/discord.com/api/v10/webhooks/42/discord-secret-token"
        try workspace.write(
            "detour.json5",
            """
            {
              providers: {
                line: "\(base)/ext/api.line.me", x: "\(base)/ext/api.x.com", pagerduty: "\(base)/ext/events.pagerduty.com",
                shopify: "\(base)/ext/matcha-do.myshopify.com", sendgrid: "\(base)/ext/api.sendgrid.com",
                mailchimp: "\(base)/ext/us14.api.mailchimp.com", statuspage: "\(base)/ext/api.statuspage.io/v1",
              },
            }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店", kind: "mall", url: "\(base)/store/mall/",
              probes: [{ name: "item page", url: "\(base)/store/mall/item" }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 3, recoverAfter: 2 }, recovery: { settle: "0s" },
              alternates: ["own"],
            }
            """)
        try workspace.write(
            "channels/own.json5", #"{ name: "自社サイト", kind: "own-site", url: "https://shop.example.jp/", probes: [{ url: "\#(base)/store/own/" }] }"#)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        var environment = self.environment
        if let time { environment["DETOUR_NOW"] = "2026-11-27T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    func playbook(_ text: String) throws {
        try workspace.write("playbooks/p.json5", text)
    }

    func journal() throws -> [[String: Any]] {
        let text = try workspace.journalText()
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    static let allProviders = """
        {
          on: { event: "down", channels: ["mall"] },
          steps: [
            { id: "promo", do: "shopify.discount", shop: "matcha-do", token: "env:SHOPIFY_TOKEN",
              discountId: "gid://shopify/DiscountAutomaticNode/1057856", undo: { action: "deactivate" } },
            { id: "status", do: "statuspage.incident", apiKey: "env:STATUSPAGE_KEY", page: "pg1", name: "{{channel.name}}の障害",
              body: "{{alternates.0.name}}をご利用ください", components: ["cmp1"], undo: { action: "resolve", body: "復旧しました" } },
            { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害。{{alternates.0.name}}へ → {{alternates.0.url}}", parallel: "n" },
            { id: "push", do: "line.push", token: "env:LINE_TOKEN", to: "U0123456789abcdef", text: "担当者へ: {{channel.name}}", parallel: "n" },
            { id: "x", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}に繋がりにくくなっています", parallel: "n" },
            { id: "slack", do: "slack.post", webhook: "env:SLACK_HOOK", text: "{{channel.name}} down: {{incident.reason}}" },
            { id: "discord", do: "discord.post", webhook: "env:DISCORD_HOOK", text: "{{channel.name}}で障害" },
            { id: "mail", do: "sendgrid.send", apiKey: "env:SENDGRID_KEY", from: "shop@example.jp", to: ["a@example.jp", "b@example.jp"],
              subject: "{{channel.name}}のお知らせ", text: "{{alternates.0.url}}" },
            { id: "news", do: "mailchimp.campaign", apiKey: "env:MAILCHIMP_KEY", listId: "list1", subject: "お知らせ", fromName: "抹茶堂",
              replyTo: "shop@example.jp", text: "{{channel.name}}で障害" },
            { id: "page", do: "pagerduty.event", routingKey: "env:PD_KEY", summary: "{{channel.name}} is down", undo: { action: "resolve" } },
            { id: "note", do: "log", message: "failover done for {{channel.id}}" },
          ],
        }
        """

    @Test func everyProviderSendsItsWireFormatOnceAndUndoes() throws {
        try playbook(Self.allProviders)
        #expect(try detour("check").status == 0)
        let failover = try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        #expect(!failover.stdout.contains("failed"), "\(failover.stdout)")

        let line = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(line.count == 1)
        #expect(line.first?.method == "POST")
        #expect(line.first?.header("authorization") == "Bearer line-secret-5f1e")
        #expect(line.first?.header("content-type") == "application/json")
        #expect(UUID(uuidString: line.first?.header("x-line-retry-key") ?? "") != nil)
        let lineBody = json(line.first?.body ?? "")
        let messages = lineBody["messages"] as? [[String: Any]]
        #expect(messages?.first?["type"] as? String == "text")
        #expect(messages?.first?["text"] as? String == "テストモール店で障害。自社サイトへ → https://shop.example.jp/")
        #expect(json(sandbox.requests(path: "/v2/bot/message/push").first?.body ?? "")["to"] as? String == "U0123456789abcdef")

        let x = sandbox.requests(path: "/2/tweets")
        #expect(x.count == 1 && x[0].answeredStatus == 201)
        #expect(x.first?.header("authorization") == "Bearer x-secret-93ab")
        #expect(json(x.first?.body ?? "")["text"] as? String == "テストモール店に繋がりにくくなっています")

        let shopify = sandbox.requests(path: "/admin/api/2025-01/graphql.json")
        #expect(shopify.first?.header("x-shopify-access-token") == "shpat_secret_c0ffee")
        #expect((json(shopify.first?.body ?? "")["query"] as? String)?.contains("discountAutomaticActivate(id: $id)") == true)
        #expect((json(shopify.first?.body ?? "")["variables"] as? [String: Any])?["id"] as? String == "gid://shopify/DiscountAutomaticNode/1057856")

        let slack = sandbox.requests(path: "/services/T000/B000/slack-secret-path")
        #expect(slack.count == 1 && slack[0].answeredStatus == 200)
        let discord = sandbox.requests(path: "/api/v10/webhooks/42/discord-secret-token")
        #expect(discord.first?.query == "wait=true")
        #expect(discord.first.map { json($0.body)["allowed_mentions"] as? [String: Any] }??["parse"] as? [Any] != nil)

        let mail = sandbox.requests(path: "/v3/mail/send")
        #expect(mail.first?.answeredStatus == 202)
        #expect(mail.first?.header("authorization") == "Bearer SG.secret-sendgrid")
        let personalizations = json(mail.first?.body ?? "")["personalizations"] as? [[String: Any]]
        #expect((personalizations?.first?["to"] as? [[String: Any]])?.count == 2)

        let mailchimp = sandbox.requests().filter { $0.host == "us14.api.mailchimp.com" }
        // create → content → send, the content and send calls on the id create returned.
        let campaign = mailchimp.count == 3 ? mailchimp[1].path.split(separator: "/")[2] : ""
        #expect(
            mailchimp.map { "\($0.method) \($0.path) \($0.answeredStatus)" } == [
                "POST /3.0/campaigns 200", "PUT /3.0/campaigns/\(campaign)/content 200", "POST /3.0/campaigns/\(campaign)/actions/send 204",
            ])
        #expect(json(mailchimp.first?.body ?? "")["recipients"].flatMap { $0 as? [String: Any] }?["list_id"] as? String == "list1")
        #expect(mailchimp.allSatisfy { $0.header("authorization")?.hasPrefix("Basic ") == true })
        #expect(mailchimp.last?.path.hasSuffix("/actions/send") == true && mailchimp.last?.answeredStatus == 204)

        let statuspage = sandbox.requests().filter { $0.host == "api.statuspage.io" }
        #expect(statuspage.first?.method == "POST" && statuspage.first?.path == "/v1/pages/pg1/incidents")
        #expect(statuspage.first?.header("authorization") == "OAuth sp-secret-4242")
        let created = json(statuspage.first?.body ?? "")["incident"] as? [String: Any]
        #expect(created?["name"] as? String == "テストモール店の障害")
        #expect((created?["components"] as? [String: Any])?["cmp1"] as? String == "major_outage")

        let page = sandbox.requests(path: "/v2/enqueue")
        #expect(page.first?.answeredStatus == 202)
        let event = json(page.first?.body ?? "")
        #expect(event["routing_key"] as? String == "pd-routing-secret-77")
        #expect(event["event_action"] as? String == "trigger")
        #expect(event["dedup_key"] as? String == "mall-20261127-100000")
        #expect((event["payload"] as? [String: Any])?["severity"] as? String == "critical")

        let journalText = try workspace.journalText()
        #expect(journalText.contains("failover done for mall"))

        let restore = try detour("restore", "mall", at: "10:30:00")
        #expect(restore.status == 0, "\(restore.output)")
        let resolve = sandbox.requests(path: "/v2/enqueue").last.map { json($0.body) }
        #expect(resolve?["event_action"] as? String == "resolve")
        #expect(resolve?["dedup_key"] as? String == "mall-20261127-100000")
        #expect(
            (json(sandbox.requests(path: "/admin/api/2025-01/graphql.json").last?.body ?? "")["query"] as? String)?.contains("discountAutomaticDeactivate")
                == true)
        let patch = sandbox.requests().last { $0.host == "api.statuspage.io" }
        #expect(patch?.method == "PATCH")
        #expect(patch?.path.hasPrefix("/v1/pages/pg1/incidents/sp") == true)
        #expect(patch?.answeredStatus == 200, "the resolve must use the id journaled at create")
        #expect((json(patch?.body ?? "")["incident"] as? [String: Any])?["status"] as? String == "resolved")
        // Each notice exactly once over the whole incident.
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        #expect(sandbox.requests(path: "/2/tweets").count == 1)
    }

    @Test func noticesArriveOnceWhenProvidersAnswer429And500First() throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害" },
                { id: "x", do: "x.post", token: "env:X_TOKEN", text: "{{channel.name}}で障害", retry: { attempts: 4 } },
                { id: "page", do: "pagerduty.event", routingKey: "env:PD_KEY", summary: "down" },
                { id: "discord", do: "discord.post", webhook: "env:DISCORD_HOOK", text: "障害" },
              ],
            }
            """)
        sandbox.enqueue(
            ScriptedResponse(status: 429, body: #"{"message":"You are being rate limited.","retry_after":2.5,"global":false}"#),
            forPath: "/api/v10/webhooks/42/discord-secret-token")
        sandbox.enqueue(ScriptedResponse(status: 429, body: #"{"message":"Too many requests"}"#, retryAfter: 7), forPath: "/v2/bot/message/broadcast")
        sandbox.enqueue(ScriptedResponse(status: 500, body: #"{"title":"Internal Error"}"#), forPath: "/2/tweets")
        let reset = Int(ISO8601DateFormatter().date(from: "2026-11-27T01:00:20Z")!.timeIntervalSince1970)
        sandbox.enqueue(
            ScriptedResponse(status: 429, headers: [SandboxHeader("x-rate-limit-reset", String(reset))], body: #"{"title":"Too Many Requests"}"#),
            forPath: "/2/tweets")
        sandbox.enqueue(ScriptedResponse(status: 503, body: "{}"), forPath: "/v2/enqueue")
        let failover = try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        // LINE asked for 7 s: longer than a pass waits in place, so the wait is journaled and the pass ends.
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").map(\.answeredStatus) == [429])
        #expect(try journal().contains { $0["step"] as? String == "p/line" && $0["retryAt"] != nil })
        // The next pass resumes it, and the steps after it.
        let resumed = try detour("tick", at: "10:00:30")
        #expect(resumed.status == 0, "\(resumed.output)")

        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").map(\.answeredStatus) == [429, 200])
        #expect(sandbox.requests(path: "/2/tweets").map(\.answeredStatus) == [500, 429, 201])
        #expect(sandbox.requests(path: "/v2/enqueue").map(\.answeredStatus) == [503, 202])
        let keys = Set(sandbox.requests(path: "/v2/bot/message/broadcast").compactMap { $0.header("x-line-retry-key") })
        #expect(keys.count == 1, "every attempt carries the same retry key")

        // The second LINE attempt started no sooner than Retry-After (7 s) after the first answer.
        let records = try journal()
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func time(_ type: String, _ step: String, _ attempt: Int) -> Date? {
            records.first { $0["type"] as? String == type && $0["step"] as? String == step && $0["attempt"] as? Int == attempt }
                .flatMap { format.date(from: $0["ts"] as? String ?? "") }
        }
        let firstAnswer = try #require(time("step.finished", "p/line", 1))
        let retried = try #require(time("step.started", "p/line", 2))
        #expect(retried.timeIntervalSince(firstAnswer) >= 7)
        #expect(sandbox.requests(path: "/api/v10/webhooks/42/discord-secret-token").map(\.answeredStatus) == [429, 200])
        let discordRetry = try #require(time("step.started", "p/discord", 2))
        #expect(discordRetry.timeIntervalSince(try #require(time("step.finished", "p/discord", 1))) >= 2.5, "Discord's retry_after")
        // X's 429 carried x-rate-limit-reset = 10:00:20 local: the third attempt waits for it.
        let xThird = try #require(time("step.started", "p/x", 3))
        #expect(xThird >= format.date(from: "2026-11-27T01:00:20.000Z")!)
    }

    @Test func aRepeatedLineRetryKeyAnswered409CountsAsDelivered() throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [{ id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "障害", timeout: "300ms",
                        retry: { attempts: 2, backoff: "2m" } }],
            }
            """)
        // The fake accepts the message but answers too late: the attempt is uncertain.
        sandbox.setDelay(.seconds(1), forPath: "/v2/bot/message/broadcast")
        try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        sandbox.setDelay(.zero, forPath: "/v2/bot/message/broadcast")
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)

        let resumed = try detour("tick", at: "10:05:00")
        #expect(resumed.status == 0, "\(resumed.output)")
        let sent = sandbox.requests(path: "/v2/bot/message/broadcast")
        #expect(sent.map(\.answeredStatus) == [200, 409])
        #expect(sent[0].header("x-line-retry-key") == sent[1].header("x-line-retry-key"))
        let status = try detour("status")
        #expect(status.stdout.contains("p/line: succeeded 409"), "\(status.stdout)")
        #expect(status.stdout.contains("mitigated"))
    }

    @Test func shopifyUserErrorsInA200AreAFailureThatSaysWhatToFix() throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [{ id: "promo", do: "shopify.discount", shop: "matcha-do", token: "env:SHOPIFY_TOKEN",
                        discountId: "gid://shopify/DiscountAutomaticNode/0" },
                      { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "障害" }],
            }
            """)
        let failover = try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        #expect(sandbox.requests(path: "/admin/api/2025-01/graphql.json").map(\.answeredStatus) == [200])
        #expect(
            failover.stdout.contains("step p/promo (shopify.discount): Shopify answered 200 with userErrors: Discount does not exist"), "\(failover.stdout)")
        #expect(failover.stdout.contains("check the discount id"))
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").isEmpty, "a failed step without continueOnError stops the playbook")
        #expect(try detour("status").stdout.contains("p/promo: failed 200"))
    }

    @Test func theApprovalGateWaitsForAnOperatorOrForAutoAfter() throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              approval: { required: true, autoAfter: "5m" },
              steps: [{ id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "障害" }],
              recovery: [{ id: "back", do: "line.broadcast", token: "env:LINE_TOKEN", text: "復旧" }],
            }
            """)
        #expect(try detour("failover", "mall", "--reason", "test", at: "10:00:00").status == 0)
        #expect(sandbox.requests().isEmpty)
        let status = try detour("status")
        #expect(status.stdout.contains("awaiting approval: run 'detour approve mall-20261127-100000' (approved automatically at 10:05:00)"), "\(status.stdout)")
        #expect(try detour("status", "--json").stdout.contains(#""awaitingApproval":true"#))
        try detour("tick", at: "10:04:59")
        #expect(sandbox.requests().isEmpty, "not before autoAfter")
        try detour("tick", at: "10:05:00")
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        #expect(try detour("log").stdout.contains("incident.approved  mall-20261127-100000 automatically"))
        #expect(try detour("approve", "mall-20261127-100000").status == 1, "nothing left to approve")

        // A second incident, approved by hand before autoAfter.
        #expect(try detour("restore", "mall", at: "10:10:00").status == 0)
        #expect(try detour("failover", "mall", "--reason", "again", at: "10:20:00").status == 0)
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 2, "only the recovery notice so far")
        let approve = try detour("approve", "mall-20261127-102000", "--by", "sato", at: "10:21:00")
        #expect(approve.status == 0, "\(approve.output)")
        #expect(approve.stdout.contains("approved by sato"))
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 3)
        #expect(try detour("approve", "nope").stderr.contains("no incident \"nope\""))
        // Both approvals are part of each incident's story.
        #expect(try detour("show", "mall-20261127-100000").stdout.contains("approved automatically (autoAfter passed)"))
        #expect(try detour("show", "mall-20261127-102000").stdout.contains("approved by sato"))
    }

    func outage(down: [String], up: [String]) throws {
        sandbox.setMode(.down, for: "mall")
        for time in down { try detour("tick", at: time) }
        sandbox.setMode(.healthy, for: "mall")
        for time in up { try detour("tick", at: time) }
    }

    @Test func aNewOutageAfterARecoveredNoticeIsAnnouncedWhateverTheCooldown() throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              cooldown: "30m",
              steps: [
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害" },
                { id: "page", do: "pagerduty.event", routingKey: "env:PD_KEY", summary: "down" },
              ],
              recovery: [{ id: "back", do: "line.broadcast", token: "env:LINE_TOKEN", text: "復旧" }],
            }
            """)
        try detour("tick", at: "10:00:00")
        try outage(down: ["10:01:00", "10:01:10", "10:01:20"], up: ["10:02:20", "10:02:30"])
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").map(\.body).map { $0.contains("復旧") } == [false, true])
        // Fails again ten minutes later: customers last heard "recovered", so they are told again.
        try outage(down: ["10:12:00", "10:12:10", "10:12:20"], up: ["10:13:20", "10:13:30"])
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").map(\.body).map { $0.contains("復旧") } == [false, true, false, true])
        #expect(sandbox.requests(path: "/v2/enqueue").count == 2)
    }

    @Test func cooldownOnlyKeepsTheSameMessageFromBeingRepeated() throws {
        // No recovery notice: customers were told of the outage and never told it ended.
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              cooldown: "30m",
              steps: [
                { id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "{{channel.name}}で障害" },
                { id: "page", do: "pagerduty.event", routingKey: "env:PD_KEY", summary: "down" },
              ],
            }
            """)
        try detour("tick", at: "10:00:00")
        try outage(down: ["10:01:00", "10:01:10", "10:01:20"], up: ["10:02:20", "10:02:30"])
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        // Ten minutes later: on-call is paged for the new incident; the same notice is not repeated.
        try outage(down: ["10:12:00", "10:12:10", "10:12:20"], up: ["10:13:20", "10:13:30"])
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1)
        #expect(sandbox.requests(path: "/v2/enqueue").count == 2)
        let log = try detour("log").stdout
        #expect(log.contains("cooldown 30m: customers were told of the outage by mall-20261127-100120"), "\(log)")
        // Outside the cooldown, the notice goes out again.
        try outage(down: ["11:30:00", "11:30:10", "11:30:20"], up: ["11:31:20", "11:31:30"])
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 2)
    }

    static let uncertainCases: [(String, [Int], String)] = [
        ("skip", [200], "skipped"),
        ("retry", [200, 200], "succeeded"),
    ]

    @Test(arguments: uncertainCases)
    func anUnansweredDiscordPostFollowsOnUncertain(policy: String, statuses: [Int], outcome: String) throws {
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [{ id: "d", do: "discord.post", webhook: "env:DISCORD_HOOK", text: "障害", timeout: "300ms", onUncertain: "\(policy)",
                        retry: { attempts: 2, backoff: "2m" } }],
            }
            """)
        let path = "/api/v10/webhooks/42/discord-secret-token"
        sandbox.setDelay(.seconds(1), forPath: path)
        try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        sandbox.setDelay(.zero, forPath: path)
        try detour("tick", at: "10:05:00")
        #expect(sandbox.requests(path: path).map(\.answeredStatus) == statuses)
        #expect(try detour("status").stdout.contains("p/d: \(outcome)"))
    }

    @Test func whenConditionsSkipStepsThatDoNotApply() throws {
        try workspace.write(
            "detour.json5",
            """
            { providers: { line: "\(sandbox.baseURL)/ext/api.line.me" },
              calendar: { sales: [{ name: "BF", from: "2026-11-27T00:00+09:00", to: "2026-11-30T23:59+09:00", channels: ["mall"], multiplier: 2 }] } }
            """)
        try playbook(
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                { id: "own-only", do: "line.broadcast", token: "env:LINE_TOKEN", text: "own", when: { channelKind: "own-site" } },
                { id: "morning", do: "line.broadcast", token: "env:LINE_TOKEN", text: "morning", when: { hours: "09:00-12:00" } },
                { id: "night", do: "line.broadcast", token: "env:LINE_TOKEN", text: "night", when: { hours: "22:00-06:00" } },
                { id: "sale", do: "line.broadcast", token: "env:LINE_TOKEN", text: "sale", when: { sale: true, event: "down" } },
                { id: "no-sale", do: "line.broadcast", token: "env:LINE_TOKEN", text: "no sale", when: { sale: false } },
              ],
            }
            """)
        #expect(try detour("check").status == 0)
        #expect(try detour("failover", "mall", "--reason", "test", at: "10:00:00").status == 0)
        let texts = sandbox.requests(path: "/v2/bot/message/broadcast").compactMap {
            ((json($0.body)["messages"] as? [[String: Any]])?.first?["text"] as? String)
        }
        #expect(texts == ["morning", "sale"])
        #expect(try detour("status").stdout.contains("p/own-only: skipped — its when condition does not hold"))
    }

    @Test func aPermanentFailureSaysStepProviderAnswerAndFix() throws {
        try playbook(
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [{ id: "line", do: "line.broadcast", token: "env:LINE_TOKEN", text: "障害" }] }
            """)
        sandbox.enqueue(ScriptedResponse(status: 401, body: #"{"message":"Authentication failed"}"#), forPath: "/v2/bot/message/broadcast")
        let failover = try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        #expect(
            failover.stdout.contains(
                #"step p/line (line.broadcast): LINE answered 401: {"message":"Authentication failed"}; the channel access token was refused; issue a new one in the LINE Developers console and set it where env:LINE_TOKEN points"#
            ),
            "\(failover.stdout)")
        #expect(sandbox.requests(path: "/v2/bot/message/broadcast").count == 1, "a 401 is not retried")
    }

    @Test func aResumedMailchimpCampaignIsSentNotCreatedAgain() throws {
        try playbook(
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [{ id: "news", do: "mailchimp.campaign", apiKey: "env:MAILCHIMP_KEY", listId: "list1", subject: "お知らせ",
                        fromName: "抹茶堂", replyTo: "shop@example.jp", text: "障害", retry: { attempts: 3, backoff: "2m" } }] }
            """)
        // This sandbox's first campaign is cmp1; its send fails once, and the retry is left to the next run.
        sandbox.enqueue(ScriptedResponse(status: 503, body: #"{"title":"Service Unavailable","status":503}"#), forPath: "/3.0/campaigns/cmp1/actions/send")
        try detour("failover", "mall", "--reason", "test", at: "10:00:00")
        let calls = { self.sandbox.requests().map { "\($0.method) \($0.path) \($0.answeredStatus)" } }
        #expect(calls() == ["POST /3.0/campaigns 200", "PUT /3.0/campaigns/cmp1/content 200", "POST /3.0/campaigns/cmp1/actions/send 503"])
        let resumed = try detour("tick", at: "10:05:00")
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(calls().dropFirst(3) == ["POST /3.0/campaigns/cmp1/actions/send 204"], "the journaled campaign id is sent, not created again")
        #expect(try detour("status").stdout.contains("mitigated"))
    }
}
