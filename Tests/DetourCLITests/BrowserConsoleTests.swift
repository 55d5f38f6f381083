import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The console of `detour watch --listen` in a real browser (Debian's Chromium on a phone-sized window, driven over
/// WebDriver): signing in with a one-time link, failing over, seeing the incident in the console and on the public
/// page, approving, a cross-site form refused, and a viewer who can act on nothing.
@Suite(.serialized)
final class BrowserConsoleTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    var daemon: RunningCommand?
    var base = ""

    init() throws {
        try sandbox.start()
        sandbox.enableProviderFakes()
        workspace = try TemporaryWorkspace()
        let storefront = sandbox.baseURL
        try workspace.write(
            "detour.json5",
            """
            { timezone: "Asia/Tokyo", console: { users: [{ name: "sato", role: "operator" }, { name: "kimura", role: "viewer" }] } }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "楽天市場店", kind: "mall", url: "\(storefront)/store/mall/",
              probes: [{ name: "商品ページ", url: "\(storefront)/store/mall/item" }],
              schedule: { every: "1h", confirmEvery: "1h", failAfter: 2, recoverAfter: 1 } }
            """)
        try workspace.write(
            "channels/own.json5",
            """
            { name: "自社サイト", kind: "own-site", url: "\(storefront)/store/own/",
              probes: [{ name: "トップ", url: "\(storefront)/store/own/" }], schedule: { every: "1h" } }
            """)
        try workspace.write(
            "playbooks/notify.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "notice", do: "http", request: { url: "\(storefront)/notice", json: { text: "{{channel.name}}" } } }] }
            """)
        try workspace.write(
            "playbooks/newsletter.json5",
            """
            { on: { event: "down", channels: "*" }, approval: { required: true },
              steps: [{ id: "newsletter", do: "http", request: { url: "\(storefront)/newsletter", json: { text: "{{channel.name}}" } } }] }
            """)
    }

    deinit {
        if let daemon, daemon.process.isRunning {
            daemon.process.terminate()
            daemon.process.waitUntilExit()
        }
        sandbox.stop()
    }

    /// Starts `watch --listen 127.0.0.1:0` and reads the address it prints.
    func startDaemon() async throws {
        let started = try DetourBinary.start(["watch", "--listen", "127.0.0.1:0"], in: workspace.root)
        daemon = started
        #expect(try await started.waitForOutput("watching 2 channels", timeout: .seconds(60)), "\(started.stderrSoFar)")
        let line = try #require(started.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("console: http://127.0.0.1:") })
        base = String(line.dropFirst("console: ".count).dropLast("/console".count))
    }

    /// A fresh one-time sign-in link for `user`, as `detour console login` prints it.
    func signInLink(_ user: String) throws -> String {
        let link = try DetourBinary.run(["console", "login", user], in: workspace.root)
        #expect(link.status == 0, "\(link.output)")
        return link.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Opens the link, presses **Sign in** and waits for the console.
    func signIn(_ browser: BrowserSession, as user: String) async throws {
        try await browser.open(try signInLink(user))
        try await browser.click(try await browser.waitForElement("form[action=\"/console/login\"] button"))
        let who = try await browser.waitForElement("header .who")
        #expect(try await browser.text(of: who).contains(user))
    }

    /// The submit button of the console's `action` form for `target`.
    func button(_ action: String, _ target: String) -> String {
        "form:has(input[name=\"action\"][value=\"\(action)\"]):has(input[name=\"target\"][value=\"\(target)\"]) button"
    }

    /// Accepts the confirm dialog the console's script opens, once it is open.
    func acceptConfirm(_ browser: BrowserSession) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await browser.acceptDialog()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no confirm dialog within 10 s")
    }

    func journal() -> String { (try? workspace.journalText()) ?? "" }

    @Test(.enabled(if: ChromeDriver.binaries != nil, "needs chromium and chromium-driver (.ci/setup installs them)"))
    func anOperatorSignsInFailsOverSeesTheIncidentEverywhereAndApproves() async throws {
        try await startDaemon()
        let driver = try await ChromeDriver()
        defer { driver.stop() }
        let browser = try await driver.session(width: 390, height: 844, language: "ja")
        try await signIn(browser, as: "sato")
        _ = try await browser.waitForElement(button("failover", "mall"))
        let overflow = try await browser.execute("return document.documentElement.scrollWidth - window.innerWidth") as? Int
        #expect(overflow.map { $0 <= 0 } == true, "the console is \(overflow ?? -1) px wider than a 390 px phone")
        _ = try await browser.screenshot(to: testArtifactsFolder() + "/console-phone.png")

        // Failing over without a reason is stopped by the form itself; with one, after the confirm dialog, it is done.
        try await browser.click(try await browser.element(button("failover", "mall")))
        #expect(try await browser.execute("return document.querySelector('form:invalid') !== null") as? Bool == true)
        #expect(sandbox.requests(path: "/notice").isEmpty)
        try await browser.type(
            "RMSにログインできない", into: try await browser.element("form:has(input[value=\"failover\"]):has(input[value=\"mall\"]) input[name=\"reason\"]"))
        try await browser.click(try await browser.element(button("failover", "mall")))
        try await acceptConfirm(browser)
        let incident = try await browser.waitForElement("section.card.incident")
        #expect(try await browser.text(of: incident).contains("RMSにログインできない (sato)"))
        #expect(try await eventually { self.sandbox.requests(path: "/notice").count == 1 })
        #expect(journal().contains("\"by\":\"sato\""))
        #expect(sandbox.requests(path: "/newsletter").isEmpty, "the newsletter waits for approval")
        _ = try await browser.execute("document.querySelector('section.card.incident details').open = true; return null")
        _ = try await browser.screenshot(to: testArtifactsFolder() + "/console-incident.png")

        // Approving from the console runs the waiting step, journaled with the operator's name.
        try await browser.click(try await browser.element("section.card.incident form:has(input[value=\"approve\"]) button"))
        try await acceptConfirm(browser)
        #expect(try await eventually { self.sandbox.requests(path: "/newsletter").count == 1 })
        #expect(try await eventually { self.journal().contains("incident.approved") })
        let approved = journal().split(separator: "\n").first { $0.contains("incident.approved") }
        #expect(approved?.contains("sato") == true, "\(approved ?? "")")

        // The public page shows the incident too.
        try await browser.open(base + "/")
        _ = try await browser.waitForElement(".incident")
        #expect(try await browser.text(of: try await browser.element(".incident")).contains("楽天市場店"))
        _ = try await browser.screenshot(to: testArtifactsFolder() + "/statuspage-live.png")
        await browser.close()
    }

    @Test(.enabled(if: ChromeDriver.binaries != nil, "needs chromium and chromium-driver (.ci/setup installs them)"))
    func aCrossSiteFormIsRefusedAndAViewerCannotAct() async throws {
        try await startDaemon()
        let driver = try await ChromeDriver()
        defer { driver.stop() }
        let browser = try await driver.session(width: 390, height: 844)
        try await signIn(browser, as: "sato")
        // Even with a genuine form token copied from the console, a form on another origin is refused.
        let token = try #require(
            try await browser.execute(
                "return document.querySelector('form:has(input[value=\"failover\"]):has(input[value=\"mall\"]) input[name=\"csrf\"]').value") as? String)
        let hostile = """
            <!doctype html><html><body><form id="f" method="post" action="\(base)/console/action">
            <input type="hidden" name="action" value="failover"><input type="hidden" name="target" value="mall">
            <input type="hidden" name="reason" value="forged"><input type="hidden" name="csrf" value="\(token)"></form>
            <script>document.getElementById("f").submit();</script></body></html>
            """
        sandbox.enqueue(ScriptedResponse(headers: [SandboxHeader("Content-Type", "text/html; charset=utf-8")], body: hostile), forPath: "/prize")
        try await browser.open(sandbox.baseURL + "/prize")
        let refusal = try await browser.waitForElement("p.flash.bad")
        #expect(!(try await browser.text(of: refusal)).isEmpty)
        #expect(try await browser.currentURL() == base + "/console/action")
        #expect(sandbox.requests(path: "/notice").isEmpty)
        #expect(!journal().contains("incident.opened"))
        #expect(!journal().contains("forged"))

        // A viewer gets no buttons, and a request forged in their page is refused with 403.
        try await browser.open(base + "/console")
        try await browser.click(try await browser.waitForElement("form[action=\"/console/logout\"] button"))
        _ = try await browser.waitForElement("form[action=\"/console/login\"], p.flash")
        try await signIn(browser, as: "kimura")
        #expect(try await browser.elements("form[action=\"/console/action\"]").isEmpty)
        let status = try await browser.execute(
            """
            var done = arguments[arguments.length - 1];
            var csrf = document.querySelector('input[name="csrf"]').value;
            return fetch('/console/action', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
              body: 'action=failover&target=mall&reason=viewer&csrf=' + encodeURIComponent(csrf) }).then(function (r) { return r.status; });
            """)
        #expect(status as? Int == 403)
        #expect(sandbox.requests(path: "/notice").isEmpty)
        #expect(!journal().contains("incident.opened"))
        await browser.close()
    }
}
