import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// `detour watch --listen` behind Debian's nginx, configured as docs/console.md shows: the status page, /healthz,
/// sign-in with a `Secure` cookie when nginx says the browser came over https, actions, and server-sent events
/// streamed through the proxy.
@Suite(.serialized)
final class ConsoleBehindNginxTests {
    static let nginxBinary = "/usr/sbin/nginx"
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let http = HTTPClient()
    var daemon: RunningCommand?
    var nginx: Process?
    var proxy = ""

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write("detour.json5", #"{ console: { users: [{ name: "sato", role: "operator" }] } }"#)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール店", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }], schedule: { every: "1h" } }
            """)
    }

    deinit {
        // nginx without a master process may wait for open connections on SIGTERM; the test needs nothing from it.
        if let nginx, nginx.isRunning {
            kill(nginx.processIdentifier, SIGKILL)
            nginx.waitUntilExit()
        }
        if let daemon, daemon.process.isRunning {
            daemon.process.terminate()
            daemon.process.waitUntilExit()
        }
        http.shutdown()
        sandbox.stop()
    }

    /// The `location` blocks of the nginx example in docs/console.md, pointed at `upstream`.
    static func documentedLocations(upstream: String) throws -> String {
        let docs = try String(contentsOfFile: ExampleWorkspace.root + "/docs/console.md", encoding: .utf8)
        let start = try #require(docs.range(of: "```nginx\n"))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let server = String(docs[start.upperBound..<end.lowerBound])
        let first = try #require(server.range(of: "    location /"))
        // Everything from the first `location` to the closing brace of `server`; TLS is the proxy's own business and is
        // simulated by the test.
        let blocks = String(server[first.lowerBound...])
        let close = try #require(blocks.range(of: "}", options: .backwards))
        let body = String(blocks[..<close.lowerBound])
        return body.replacingOccurrences(of: "http://127.0.0.1:8080", with: upstream)
    }

    /// Starts the daemon on a free port and nginx in front of it, as the documentation shows.
    func start(https: Bool) async throws {
        let started = try DetourBinary.start(["watch", "--listen", "127.0.0.1:0"], in: workspace.root)
        daemon = started
        #expect(try await started.waitForOutput("watching 1 channels", timeout: .seconds(60)), "\(started.stderrSoFar)")
        let line = try #require(started.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("console: http://127.0.0.1:") })
        let upstream = String(line.dropFirst("console: ".count).dropLast("/console".count))

        let prefix = workspace.root + "/nginx"
        try FileManager.default.createDirectory(atPath: prefix + "/logs", withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        var locations = try Self.documentedLocations(upstream: upstream)
        // Without TLS here, nginx's $scheme is http; the test stands in for a TLS proxy by saying https itself.
        if https { locations = locations.replacingOccurrences(of: "X-Forwarded-Proto $scheme", with: "X-Forwarded-Proto https") }
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(prefix)/body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    server_name localhost;
            \(locations)
                }
            }
            """
        try config.write(toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.nginxBinary)
        process.arguments = ["-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/logs/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        nginx = process
        proxy = "http://127.0.0.1:\(port)"
        let up = try await eventually(within: .seconds(10)) {
            (try? RawSocket(port: port)) != nil
        }
        let log = (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
        #expect(up, "nginx did not start: \(log)")
    }

    func get(_ path: String, cookie: String? = nil) async throws -> HTTPResponse {
        let headers = cookie.map { [HTTPHeader("Cookie", "detour_session=\($0)")] } ?? []
        return try await http.send(HTTPRequest(url: proxy + path, headers: headers, followRedirects: false)).get()
    }

    func post(_ path: String, _ form: String, origin: String, cookie: String? = nil) async throws -> HTTPResponse {
        var headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Origin", origin)]
        if let cookie { headers.append(HTTPHeader("Cookie", "detour_session=\(cookie)")) }
        return try await http.send(HTTPRequest(method: "POST", url: proxy + path, headers: headers, body: Array(form.utf8), followRedirects: false)).get()
    }

    /// Signs in through the proxy with a fresh link; returns the whole `Set-Cookie` and the cookie's value.
    func signIn(origin: String) async throws -> (header: String, value: String) {
        let link = try DetourBinary.run(["console", "login", "sato"], in: workspace.root)
        #expect(link.status == 0, "\(link.output)")
        let token = try #require(link.stdout.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await get("/console/login?token=\(token)").status == 200)
        let answer = try await post("/console/login", "token=\(token)", origin: origin)
        #expect(answer.status == 303, "\(answer.bodyText)")
        let header = try #require(answer.header("Set-Cookie"))
        let value = try #require(header.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last)
        return (header, String(value))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: nginxBinary), "needs nginx (.ci/setup installs nginx-light)"))
    func statusPageHealthSignInAndEventsThroughNginx() async throws {
        try await start(https: false)
        let page = try await get("/")
        #expect(page.status == 200)
        #expect(page.bodyText.contains("モール店"))
        #expect(try await get("/status.json").bodyText.contains("\"components\""))
        let health = try await get("/healthz")
        #expect(health.status == 200)
        #expect(health.bodyText.hasPrefix("{\"ok\":true"))

        let session = try await signIn(origin: proxy)
        #expect(!session.header.contains("Secure"), "plain http behind the proxy: no Secure cookie")
        let console = try await get("/console", cookie: session.value)
        #expect(console.status == 200)
        // A form from another site is still refused through the proxy.
        #expect(try await post("/console/action", "action=hold&target=mall", origin: "https://evil.example", cookie: session.value).status == 403)

        // Server-sent events arrive through nginx as they happen: an action's update, not only at the end of the stream.
        let port = try #require(UInt16(proxy.split(separator: ":").last!))
        let stream = try RawSocket(port: port)
        stream.send("GET /console/events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: detour_session=\(session.value)\r\n\r\n")
        #expect(await stream.read(until: ": connected").contains("text/event-stream"))
        let marker = "value=\"hold\"><input type=\"hidden\" name=\"target\" value=\"mall\"><input type=\"hidden\" name=\"csrf\" value=\""
        let range = try #require(console.bodyText.range(of: marker))
        let csrf = String(console.bodyText[range.upperBound...].prefix(64))
        let held = try await post("/console/action", "action=hold&target=mall&reason=work&csrf=\(csrf)", origin: proxy, cookie: session.value)
        #expect(held.status == 303, "\(held.bodyText)")
        #expect(await stream.read(until: "event: update").contains("event: update"))
        #expect(try workspace.journalText().contains("channel.held"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: nginxBinary), "needs nginx (.ci/setup installs nginx-light)"))
    func theCookieIsSecureWhenNginxSaysHttps() async throws {
        try await start(https: true)
        let session = try await signIn(origin: proxy.replacingOccurrences(of: "http://", with: "https://"))
        for attribute in ["; Secure", "HttpOnly", "SameSite=Strict"] { #expect(session.header.contains(attribute), "\(session.header)") }
        #expect(try await get("/console", cookie: session.value).status == 200)
        // The browser's origin is https now; the plain-http origin is another site.
        let refused = try await post("/console/login", "token=x", origin: proxy)
        #expect(refused.status == 403)
    }
}
