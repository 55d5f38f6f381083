import DetourCore
import DetourServer
import Foundation

/// Answers one `/console…` request: sign-in, the page, actions, events and assets.
struct ConsoleHandler {
    let router: ConsoleRouter
    let request: ServerRequest

    private var snapshot: ConsoleSnapshot { router.publisher.current }
    private var access: ConsoleAccess { ConsoleAccess(stateDirectory: snapshot.stateDirectory) }
    private var l10n: Localizer { Localizer(ConsoleLanguage.pick(request)) }

    func respond() -> ServerResponse {
        let path = request.target.path
        let get = request.method == "GET" || request.method == "HEAD"
        switch path {
        case "/console/app.js":
            return asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8")
        case "/console/app.css":
            return asset(ConsoleAssets.style, type: "text/css; charset=utf-8")
        case "/console/login":
            if get { return signInPage(token: FormData(query: request.target.query ?? "")["token"] ?? "", message: nil) }
            guard request.method == "POST" else { return ConsoleRouter.notAllowed("GET, HEAD, POST") }
            return signIn()
        default:
            break
        }
        guard let session = currentSession() else {
            if get, path == "/console" { return signInPage(token: "", message: nil, status: 401) }
            return .text(401, "Sign in first: detour console login NAME\n")
        }
        switch path {
        case "/console":
            guard get else { return ConsoleRouter.notAllowed("GET, HEAD") }
            let partial = FormData(query: request.target.query ?? "")["partial"] == "1"
            let page = ConsolePage(snapshot: snapshot, session: session, forms: access.formSigner(for: session), l10n: l10n, user: user(session))
            let query = FormData(query: request.target.query ?? "")
            // Only a message this console wrote for this session is shown: a crafted link cannot put words on the page.
            let message = query["message"].flatMap { text in
                access.checkFormToken(query["sig"] ?? "", session: session, form: "flash:" + text) ? text : nil
            }
            return html(partial ? page.main(message: message).text : page.render(message: message))
        case "/console/events":
            guard get else { return ConsoleRouter.notAllowed("GET, HEAD") }
            return events()
        case "/console/report":
            guard get else { return ConsoleRouter.notAllowed("GET, HEAD") }
            let now = Date()
            let report = LostSaleReport(
                state: snapshot.state, workspace: snapshot.workspace, now: now, filter: ReportFilter(since: nil, until: nil, channels: []))
            return document(ReportHTML(report: report).render())
        case "/console/runbook":
            guard get else { return ConsoleRouter.notAllowed("GET, HEAD") }
            let runbook = Runbook(workspace: snapshot.workspace, language: l10n.language == .ja ? .ja : .en, now: Date())
            return document(RunbookHTML(runbook: runbook).render())
        case "/console/logout":
            guard request.method == "POST" else { return ConsoleRouter.notAllowed("POST") }
            guard sameOrigin(), access.checkFormToken(form["csrf"] ?? "", session: session, form: "logout") else { return refused() }
            try? access.signOut(session)
            var response = redirect("/console/login?signedout=1")
            response.headers.append(ServerHeader("Set-Cookie", cookie("detour_session", "", maxAge: 0)))
            return response
        case "/console/action":
            guard request.method == "POST" else { return ConsoleRouter.notAllowed("POST") }
            return act(session)
        default:
            return .text(404, "Not Found\n")
        }
    }

    // MARK: - Sign-in

    private func currentSession() -> ConsoleAccess.Session? {
        guard let value = Cookies(request)["detour_session"], let session = access.session(fromCookie: value, now: Date()) else { return nil }
        // A user removed from detour.json5 is signed out at once.
        return snapshot.workspace.settings.console.user(named: session.user) == nil ? nil : session
    }

    private func user(_ session: ConsoleAccess.Session) -> ConsoleSettings.User {
        snapshot.workspace.settings.console.user(named: session.user) ?? ConsoleSettings.User(name: session.user, role: .viewer)
    }

    private func signIn() -> ServerResponse {
        let client = request.clientAddress
        if router.signInLimiter.isLimited(client) { return ConsoleRouter.tooMany() }
        guard sameOrigin() else { return refused() }
        let token = form["token"] ?? ""
        let now = Date()
        guard !token.isEmpty, let name = (try? access.redeem(token, now: now)) ?? nil,
            snapshot.workspace.settings.console.user(named: name) != nil,
            let value = try? access.sessionCookie(for: name, now: now)
        else {
            router.signInLimiter.recordFailure(client)
            return signInPage(token: "", message: l10n.text("console.signIn.expired"), status: 403)
        }
        var response = redirect("/console")
        response.headers.append(ServerHeader("Set-Cookie", cookie("detour_session", value, maxAge: Int(ConsoleAccess.sessionLifetime))))
        return response
    }

    private func signInPage(token: String, message: String?, status: Int = 200) -> ServerResponse {
        let signedOut = FormData(query: request.target.query ?? "")["signedout"] == "1"
        var body: HTML = "<h1>\(l10n.text("console.signIn.title"))</h1>"
        if let message { body += "<p class=\"flash bad\">\(message)</p>" }
        if signedOut { body += "<p class=\"flash\">\(l10n.text("console.signedOut"))</p>" }
        if token.isEmpty {
            body += "<p>\(l10n.text("console.signIn.hint"))</p>"
        } else {
            body += """
                <form method="post" action="/console/login"><input type="hidden" name="token" value="\(token)">\
                <button type="submit">\(l10n.text("console.signIn.title"))</button></form>
                """
        }
        return html(ConsolePage.document(title: l10n.text("console.title"), language: l10n.language, body: body), status: status)
    }

    // MARK: - Actions

    private var form: FormData { FormData(query: request.bodyText) }

    private func act(_ session: ConsoleAccess.Session) -> ServerResponse {
        let fields = form
        let actionName = fields["action"] ?? ""
        let target = fields["target"] ?? ""
        guard sameOrigin(), access.checkFormToken(fields["csrf"] ?? "", session: session, form: "\(actionName):\(target)") else {
            return refused()
        }
        guard user(session).role == .operator else {
            return html(
                ConsolePage.document(
                    title: l10n.text("console.title"), language: l10n.language, body: "<p class=\"flash bad\">\(l10n.text("console.forbidden"))</p>"),
                status: 403)
        }
        guard let action = ConsoleAction(rawValue: actionName) else {
            return back(l10n.text("console.unknownAction", ["action": actionName]), status: 400)
        }
        let reason = fields["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        if action == .failover, reason?.isEmpty != false { return back(l10n.text("console.reasonRequired"), status: 400) }
        var until: Date?
        if let text = fields["until"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            // As `hold --until` takes it: a duration ahead (2h) or a local time (2026-12-04T21:00).
            until =
                DurationText.parse(text).map { Date().addingTimeInterval($0.timeInterval) }
                ?? LocalTime.parse(text, in: snapshot.workspace.settings.timeZone)
            guard until != nil else { return back(l10n.text("console.badUntil", ["value": text]), status: 400) }
        }
        let consoleRequest = ConsoleRequest(action: action, target: target, reason: reason?.isEmpty == true ? nil : reason, until: until)
        let label = l10n.text(Self.labelKey(action))
        let outcome: Result<String, ConsoleActionFailure> = waitOnThread { [backend = router.backend] in
            do {
                return Result<String, ConsoleActionFailure>.success(try await backend.perform(consoleRequest, by: session.user))
            } catch {
                return Result<String, ConsoleActionFailure>.failure(ConsoleActionFailure(description: "\(error)"))
            }
        }
        switch outcome {
        case .success:
            return flash(l10n.text("console.done", ["action": label, "target": target]), session: session)
        case .failure(let failure):
            return flash(l10n.text("console.failed", ["action": label, "target": target, "reason": failure.description]), session: session)
        }
    }

    static func labelKey(_ action: ConsoleAction) -> String {
        switch action {
        case .failover: "console.action.failover"
        case .restore: "console.action.restore"
        case .hold: "console.action.hold"
        case .release: "console.action.release"
        case .approve: "console.action.approve"
        case .ack: "console.action.ack"
        case .retry: "console.action.retry"
        }
    }

    /// Back to the console (303) with `message` shown once, signed for this session.
    private func flash(_ message: String, session: ConsoleAccess.Session) -> ServerResponse {
        let encoded = message.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return redirect("/console?message=\(encoded)&sig=\(access.formToken(session, form: "flash:" + message))")
    }

    /// A page that says what was wrong with the request, with a link back to the console.
    private func back(_ message: String, status: Int) -> ServerResponse {
        html(
            ConsolePage.document(
                title: l10n.text("console.title"), language: l10n.language,
                body: "<p class=\"flash bad\">\(message)</p><p><a href=\"/console\">\(l10n.text("console.title"))</a></p>"), status: status)
    }

    // MARK: - Checks

    /// Whether the request comes from the console's own pages: its `Origin` (or, without one, its
    /// `Referer`) is this server as the browser reached it, or `console.url`.
    private func sameOrigin() -> Bool {
        var allowed: Set<String> = []
        if let host = request.head.header("Host") { allowed.insert("\(isSecure ? "https" : "http")://\(host.lowercased())") }
        if let url = snapshot.workspace.settings.console.url, let origin = Self.origin(of: url) { allowed.insert(origin) }
        if let origin = request.head.header("Origin") { return allowed.contains(origin.lowercased()) }
        if let referer = request.head.header("Referer"), let origin = Self.origin(of: referer) { return allowed.contains(origin) }
        return false
    }

    private static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme.lowercased())://\(host.lowercased())\(components.port.map { ":\($0)" } ?? "")"
    }

    /// Whether the browser reached us over TLS: `console.url` is https, or a proxy on this machine says so.
    private var isSecure: Bool {
        if snapshot.workspace.settings.console.url?.hasPrefix("https://") == true { return true }
        let trusted = request.clientAddress.hasPrefix("127.") || request.clientAddress == "::1"
        return trusted && request.head.header("X-Forwarded-Proto")?.lowercased() == "https"
    }

    private func refused() -> ServerResponse {
        html(
            ConsolePage.document(title: l10n.text("console.title"), language: l10n.language, body: "<p class=\"flash bad\">\(l10n.text("console.csrf"))</p>"),
            status: 403)
    }

    // MARK: - Answers

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(isSecure ? "; Secure" : "")"
    }

    private func html(_ body: String, status: Int = 200) -> ServerResponse {
        var response = ServerResponse.html(status, body, headers: ConsoleRouter.securityHeaders)
        response.headers.append(ServerHeader("Content-Security-Policy", ConsoleRouter.consolePolicy))
        response.headers.append(ServerHeader("Cache-Control", "no-store"))
        if let asked = FormData(query: request.target.query ?? "")["lang"], let language = Language(tag: asked) {
            response.headers.append(ServerHeader("Set-Cookie", "lang=\(language.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"))
        }
        return response
    }

    private func document(_ body: String) -> ServerResponse {
        var response = ServerResponse.html(200, body, headers: ConsoleRouter.securityHeaders)
        response.headers.append(ServerHeader("Content-Security-Policy", ConsoleRouter.documentPolicy))
        response.headers.append(ServerHeader("Cache-Control", "no-store"))
        return response
    }

    private func asset(_ text: String, type: String) -> ServerResponse {
        ServerResponse(
            status: 200, headers: [ServerHeader("Content-Type", type), ServerHeader("Cache-Control", "max-age=300")] + ConsoleRouter.securityHeaders, body: text
        )
    }

    private func redirect(_ location: String) -> ServerResponse {
        ServerResponse(status: 303, headers: [ServerHeader("Location", location)] + ConsoleRouter.securityHeaders)
    }

    /// Server-sent events: `update` after each pass or action, a comment every 15 s to keep proxies open.
    private func events() -> ServerResponse {
        var response = ServerResponse(
            status: 200,
            headers: [ServerHeader("Content-Type", "text/event-stream"), ServerHeader("Cache-Control", "no-store"), ServerHeader("X-Accel-Buffering", "no")])
        let publisher = router.publisher
        let start = publisher.current.version
        response.stream = ServerStream { writer in
            var seen = start
            guard writer.write("retry: 3000\n: connected\n\n") else { return }
            while !writer.isStopping, !publisher.isClosed {
                let version = publisher.waitForChange(after: seen, timeout: .seconds(15))
                guard !writer.isStopping, !publisher.isClosed else { return }
                let line = version > seen ? "event: update\ndata: \(version)\n\n" : ": keep-alive\n\n"
                seen = version
                guard writer.write(line) else { return }
            }
        }
        return response
    }
}

/// An action the backend could not carry out, as a sentence.
struct ConsoleActionFailure: Error, Sendable {
    var description: String
}
