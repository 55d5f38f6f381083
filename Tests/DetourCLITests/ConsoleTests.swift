import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `detour watch --listen`: the status page, the console and its security, through the binary and real HTTP on 127.0.0.1.
@Suite(.serialized)
final class ConsoleTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let http = HTTPClient()
    var daemon: RunningCommand?
    var base = ""

    init() throws {
        try sandbox.start()
        sandbox.enableProviderFakes()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "detour.json5",
            """
            { console: { users: [{ name: "sato", role: "operator" }, { name: "kimura", role: "viewer" }] } }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール<script>alert('x')</script>", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }],
              schedule: { every: "1h", confirmEvery: "1h", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "0s" } }
            """)
        try workspace.write(
            "playbooks/notify.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "notice", do: "http", request: { url: "\(sandbox.baseURL)/notice", json: { text: "{{channel.name}}" } } }] }
            """)
    }

    deinit {
        if let daemon, daemon.process.isRunning {
            daemon.process.terminate()
            daemon.process.waitUntilExit()
        }
        http.shutdown()
        sandbox.stop()
    }

    /// Starts `watch --listen 127.0.0.1:0` and reads the address it prints.
    func startDaemon() async throws {
        let started = try DetourBinary.start(["watch", "--listen", "127.0.0.1:0"], in: workspace.root)
        daemon = started
        #expect(try await started.waitForOutput("watching 1 channels"), "\(started.stderrSoFar)")
        let line = try #require(started.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("console: http://127.0.0.1:") })
        base = String(line.dropFirst("console: ".count).dropLast("/console".count))
    }

    /// Waits until `/healthz` reports a finished pass.
    func waitForFirstPass() async throws {
        for _ in 0..<3000 {
            if try await !get("/healthz").bodyText.contains("\"lastPass\":null") { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no pass within 30 s")
    }

    /// Runs the binary on a thread of its own, so waiting for it holds no thread other async tests need.
    func detour(_ arguments: String...) async throws -> CommandResult {
        let root = workspace.root
        return try await onOwnThread { Result { try DetourBinary.run(arguments, in: root) } }.get()
    }

    func get(_ path: String, cookie: String? = nil, headers: [HTTPHeader] = []) async throws -> HTTPResponse {
        var all = headers
        if let cookie { all.append(HTTPHeader("Cookie", "detour_session=\(cookie)")) }
        return try await http.send(HTTPRequest(url: base + path, headers: all, followRedirects: false)).get()
    }

    func post(_ path: String, _ form: [(String, String)], cookie: String? = nil, origin: String? = "same", headers: [HTTPHeader] = []) async throws
        -> HTTPResponse
    {
        var all = headers + [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")]
        if let origin { all.append(HTTPHeader("Origin", origin == "same" ? base : origin)) }
        if let cookie { all.append(HTTPHeader("Cookie", "detour_session=\(cookie)")) }
        let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await http.send(HTTPRequest(method: "POST", url: base + path, headers: all, body: Array(body.utf8), followRedirects: false)).get()
    }

    /// Signs in as `user` through a fresh link and returns the session cookie's value.
    func signIn(_ user: String, headers: [HTTPHeader] = [], origin: String = "same") async throws -> (cookie: String, header: String) {
        let link = try await detour("console", "login", user)
        #expect(link.status == 0, "\(link.output)")
        let token = try #require(link.stdout.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let answer = try await post("/console/login", [("token", token)], origin: origin, headers: headers)
        #expect(answer.status == 303)
        let header = try #require(answer.header("Set-Cookie"))
        let value = try #require(header.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last)
        return (String(value), header)
    }

    /// The form token for `action` on `target`, as the console page carries it.
    func formToken(_ page: String, action: String, target: String) -> String? {
        let marker = "value=\"\(action)\"><input type=\"hidden\" name=\"target\" value=\"\(target)\"><input type=\"hidden\" name=\"csrf\" value=\""
        guard let range = page.range(of: marker) else { return nil }
        return String(page[range.upperBound...].prefix(64))
    }

    @Test func listeningBeyondThisMachineNeedsPublic() async throws {
        let refused = try await detour("watch", "--listen", "0.0.0.0:8080")
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("add --public"))
        #expect(refused.stderr.contains("--listen 127.0.0.1:8080"))
        let garbled = try await detour("watch", "--listen", "example.com:80")
        #expect(garbled.status == 64)
        #expect(garbled.stderr.contains("is not HOST:PORT"))
    }

    @Test func servesTheStatusPageHealthAndRefusesUnknownCheckIns() async throws {
        try await startDaemon()
        let page = try await get("/", headers: [HTTPHeader("Accept-Language", "ja")])
        #expect(page.status == 200)
        #expect(page.bodyText.contains("モール&lt;script&gt;"))
        #expect(!page.bodyText.contains("<script>alert"))
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let json = try await get("/status.json")
        #expect(json.header("Content-Type") == "application/json")
        #expect(json.bodyText.contains("\"components\""))
        let health = try await get("/healthz")
        #expect(health.status == 200)
        #expect(health.bodyText.hasPrefix("{\"ok\":true,\"lastPass\":"))
        #expect(health.bodyText.contains("\"acting\":"))
        // Unknown tokens answer 404, then 429 once a client has guessed too often.
        var statuses: [Int] = []
        for index in 0..<22 { statuses.append(try await get("/hb/guess-\(index)").status) }
        #expect(statuses.prefix(20).allSatisfy { $0 == 404 })
        #expect(statuses.last == 429)
    }

    @Test func aSignInLinkWorksOnceAndSetsAStrictSessionCookie() async throws {
        try await startDaemon()
        #expect(try await get("/console").status == 401)
        let link = try await detour("console", "login", "sato")
        #expect(link.stdout.hasPrefix(base + "/console/login?token="))
        let token = String(link.stdout.split(separator: "=").last!).trimmingCharacters(in: .whitespacesAndNewlines)
        let stored = try String(contentsOfFile: workspace.root + "/.detour/console/signin.json", encoding: .utf8)
        #expect(!stored.contains(token), "only the token's hash is kept")
        let first = try await post("/console/login", [("token", token)])
        #expect(first.status == 303)
        let attributes = try FileManager.default.attributesOfItem(atPath: workspace.root + "/.detour/console/key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let cookie = try #require(first.header("Set-Cookie"))
        for attribute in ["HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/console"] { #expect(cookie.contains(attribute)) }
        #expect(!cookie.contains("Secure"))
        let again = try await post("/console/login", [("token", token)])
        #expect(again.status == 403, "a used link cannot sign in again")
        #expect(try await detour("console", "login", "nobody").status == 64)
        // Behind a TLS proxy on this machine the browser's origin is https, and the cookie is Secure.
        let secure = try await signIn(
            "sato", headers: [HTTPHeader("X-Forwarded-Proto", "https")], origin: base.replacingOccurrences(of: "http://", with: "https://"))
        #expect(secure.header.contains("; Secure"))
    }

    @Test func failedSignInsAreRateLimited() async throws {
        try await startDaemon()
        var statuses: [Int] = []
        for index in 0..<12 { statuses.append(try await post("/console/login", [("token", "bad\(index)")]).status) }
        #expect(statuses.prefix(10).allSatisfy { $0 == 403 })
        #expect(statuses.last == 429)
    }

    @Test func anOperatorFailsOverFromTheConsoleAndItIsJournaledWithTheirName() async throws {
        try await startDaemon()
        try await waitForFirstPass()
        let session = try await signIn("sato")
        let page = try await get("/console", cookie: session.cookie)
        #expect(page.status == 200)
        #expect(page.bodyText.contains("<li class=\"succeeded\"><strong>item</strong> <code>"), "the channel's last probes are shown")
        #expect(page.bodyText.contains("モール&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") || page.bodyText.contains("モール&lt;script&gt;"))
        #expect(!page.bodyText.contains("<script>alert"))
        let policy = try #require(page.header("Content-Security-Policy"))
        #expect(policy.contains("script-src 'self'"))
        #expect(!policy.contains("unsafe-inline"))
        let token = try #require(formToken(page.bodyText, action: "failover", target: "mall"))

        // Refused: no form token, another site's origin, no origin at all, no reason.
        #expect(try await post("/console/action", [("action", "failover"), ("target", "mall"), ("reason", "x")], cookie: session.cookie).status == 403)
        let crossSite = [("action", "failover"), ("target", "mall"), ("reason", "x"), ("csrf", token)]
        #expect(try await post("/console/action", crossSite, cookie: session.cookie, origin: "https://evil.example").status == 403)
        #expect(try await post("/console/action", crossSite, cookie: session.cookie, origin: nil).status == 403)
        #expect(try await post("/console/action", crossSite, origin: "same").status == 401)
        let noReason = try await post("/console/action", [("action", "failover"), ("target", "mall"), ("csrf", token)], cookie: session.cookie)
        #expect(noReason.status == 400)
        #expect(sandbox.requests(path: "/notice").isEmpty)

        let done = try await post(
            "/console/action", [("action", "failover"), ("target", "mall"), ("reason", "RMSが落ちている"), ("csrf", token)], cookie: session.cookie)
        #expect(done.status == 303)
        #expect(done.header("Location")?.hasPrefix("/console?message=") == true)
        #expect(sandbox.requests(path: "/notice").count == 1)
        let journal = try workspace.journalText()
        #expect(journal.contains("\"by\":\"sato\""))
        #expect(journal.contains("RMSが落ちている"))
        let flash = try await get(try #require(done.header("Location")), cookie: session.cookie)
        #expect(flash.bodyText.contains("<p class=\"flash\">Done: Fail over (mall).</p>"))
        let forged = try await get("/console?message=Call%20this%20number&sig=00", cookie: session.cookie)
        #expect(!forged.bodyText.contains("Call this number"), "a crafted link cannot put words on the page")
        let after = try await get("/console?partial=1", cookie: session.cookie)
        #expect(after.bodyText.contains("RMSが落ちている (sato)"))
        // In Japanese, the incident's status, summary and step outcomes are Japanese too.
        let japanese = try await get("/console?partial=1&lang=ja", cookie: session.cookie).bodyText
        #expect(japanese.contains("<span class=\"badge\">切り替え済み</span>"), "\(japanese)")
        #expect(japanese.contains("<li class=\"succeeded\"><strong>notify/notice</strong> 成功 200"))
        #expect(!japanese.contains("</strong> succeeded"))
        let status = try await get("/status.json")
        #expect(status.bodyText.contains("\"incidents\":[{"))
    }

    @Test func aViewerSeesButCannotAct() async throws {
        try await startDaemon()
        let viewer = try await signIn("kimura")
        let page = try await get("/console", cookie: viewer.cookie)
        #expect(page.status == 200)
        #expect(!page.bodyText.contains("/console/action"), "a viewer gets no action forms")
        // Even with a valid form token of their own, the action is refused.
        let access = try #require(formTokenFromLogout(page.bodyText))
        #expect(!access.isEmpty)
        let forged = try await post(
            "/console/action", [("action", "failover"), ("target", "mall"), ("reason", "x"), ("csrf", access)], cookie: viewer.cookie)
        #expect(forged.status == 403)
        #expect(sandbox.requests(path: "/notice").isEmpty)
        #expect(!(try workspace.journalText()).contains("incident.opened"))
    }

    func formTokenFromLogout(_ page: String) -> String? {
        guard let range = page.range(of: "action=\"/console/logout\"><input type=\"hidden\" name=\"csrf\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix(64))
    }

    @Test func signOutAndRevokeEndSessions() async throws {
        try await startDaemon()
        let first = try await signIn("sato")
        let second = try await signIn("sato")
        let page = try await get("/console", cookie: first.cookie)
        let logout = try #require(formTokenFromLogout(page.bodyText))
        let out = try await post("/console/logout", [("csrf", logout)], cookie: first.cookie)
        #expect(out.status == 303)
        #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try await get("/console", cookie: first.cookie).status == 401)
        #expect(try await get("/console", cookie: second.cookie).status == 200, "signing out ends only that session")
        let revoked = try await detour("console", "revoke", "sato")
        #expect(revoked.status == 0)
        #expect(try await get("/console", cookie: second.cookie).status == 401)
        // A tampered cookie is refused.
        let third = try await signIn("sato")
        let tampered = String(third.cookie.dropLast()) + (third.cookie.hasSuffix("0") ? "1" : "0")
        #expect(try await get("/console", cookie: tampered).status == 401)
        #expect(try await get("/console", cookie: third.cookie).status == 200)
    }

    @Test func eventsArePushedAfterAnAction() async throws {
        try await startDaemon()
        let session = try await signIn("sato")
        let port = try #require(UInt16(base.split(separator: ":").last!))
        let stream = try RawSocket(port: port)
        stream.send("GET /console/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: detour_session=\(session.cookie)\r\n\r\n")
        #expect(await stream.read(until: ": connected").contains("text/event-stream"))
        let page = try await get("/console", cookie: session.cookie)
        let token = try #require(formToken(page.bodyText, action: "hold", target: "mall"))
        let held = try await post("/console/action", [("action", "hold"), ("target", "mall"), ("reason", "作業"), ("csrf", token)], cookie: session.cookie)
        #expect(held.status == 303)
        #expect(await stream.read(until: "event: update").contains("event: update"))
        #expect(try workspace.journalText().contains("channel.held"))

        // SIGTERM: the stream is ended with its last chunk (not cut off) and the daemon exits 0.
        let daemon = try #require(self.daemon)
        let (result, took) = await onOwnThread {
            let started = ContinuousClock.now
            daemon.process.terminate()
            let result = daemon.wait()
            return (result, ContinuousClock.now - started)
        }
        #expect(result.status == 0, "\(result.output)")
        #expect(took < .seconds(60))
        #expect(await stream.read(until: "0\r\n\r\n").hasSuffix("0\r\n\r\n"))
    }

    @Test func theConsoleSpeaksJapaneseWhenAsked() async throws {
        try await startDaemon()
        let session = try await signIn("sato")
        let japanese = try await get("/console?lang=ja", cookie: session.cookie)
        #expect(japanese.bodyText.contains("対応中のインシデントはありません。"))
        #expect(japanese.bodyText.contains("<html lang=\"ja\">"))
        #expect(japanese.header("Set-Cookie")?.hasPrefix("lang=ja;") == true)
        let remembered = try await get("/console", headers: [HTTPHeader("Cookie", "detour_session=\(session.cookie); lang=ja")])
        #expect(remembered.bodyText.contains("切り替える"))
        let byHeader = try await get("/console", cookie: session.cookie, headers: [HTTPHeader("Accept-Language", "ja-JP,ja;q=0.9")])
        #expect(byHeader.bodyText.contains("サインアウト"))
        #expect(try await get("/console", cookie: session.cookie).bodyText.contains("Sign out"))
    }

    @Test func behindAnHTTPSAddressLinksUseItAndCookiesAreSecure() async throws {
        try workspace.write(
            "detour.json5",
            """
            { console: { users: [{ name: "sato", role: "operator" }], url: "https://status.example.jp/" } }
            """)
        try await startDaemon()
        let link = try await detour("console", "login", "sato")
        #expect(link.stdout.hasPrefix("https://status.example.jp/console/login?token="))
        let signedIn = try await signIn("sato", origin: "https://status.example.jp")
        #expect(signedIn.header.contains("; Secure"))
        // A form from the proxy's address is accepted; one from another site is not.
        let page = try await get("/console", cookie: signedIn.cookie)
        let token = try #require(formToken(page.bodyText, action: "hold", target: "mall"))
        let hold = [("action", "hold"), ("target", "mall"), ("until", "2h"), ("reason", "棚卸し"), ("csrf", token)]
        #expect(try await post("/console/action", hold, cookie: signedIn.cookie, origin: "https://evil.example.jp").status == 403)
        let badUntil = [("action", "hold"), ("target", "mall"), ("until", "tomorrow"), ("csrf", token)]
        let refused = try await post("/console/action", badUntil, cookie: signedIn.cookie, origin: "https://status.example.jp")
        #expect(refused.status == 400)
        #expect(refused.bodyText.contains("is not a time"))
        #expect(try await post("/console/action", hold, cookie: signedIn.cookie, origin: "https://status.example.jp").status == 303)
        let status = try await detour("status")
        #expect(status.stdout.contains("mall is held by sato until"), "\(status.output)")
    }

    @Test func probingGoesOnWhileTheServerIsSaturated() async throws {
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }],
              schedule: { every: "1s", confirmEvery: "1s", failAfter: 2, recoverAfter: 1 } }
            """)
        try await startDaemon()
        let port = try #require(UInt16(base.split(separator: ":").last!))
        // More slow clients than the server takes, each holding a connection with a head that never ends.
        let slow = try (0..<140).map { _ in try RawSocket(port: port) }
        for socket in slow { socket.send("GET / HTTP/1.1\r\nHost: x\r\n") }
        let before = sandbox.hits("mall")
        #expect(try await eventually { self.sandbox.hits("mall") >= before + 3 }, "passes go on while HTTP is saturated")
        // The connections past the limit were answered 503, not left hanging.
        var refused: [String] = []
        for socket in slow.suffix(12) { refused.append(await socket.read(until: "\r\n\r\n", timeout: .seconds(30))) }
        #expect(refused.contains { $0.hasPrefix("HTTP/1.1 503") })
    }

    @Test func consoleUsersAreCheckedWithPositions() async throws {
        try workspace.write(
            "detour.json5",
            """
            { console: { users: [{ name: "sato", role: "admin" }, { name: "sato", role: "viewer" }, { nam: "x", role: "viewer" }], url: "status.example.jp" } }
            """)
        let check = try await detour("check")
        #expect(check.status == 2)
        #expect(check.output.contains("detour.json5:1:"))
        #expect(check.output.contains("write one of \"viewer\", \"operator\""))
        #expect(check.output.contains("url: \"https://status.example.jp\""))
        #expect(check.output.contains("did you mean \"name\""))
    }
}
