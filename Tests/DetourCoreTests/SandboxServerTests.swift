import DetourSandbox
import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - A tiny raw-socket HTTP client (URLSession is not used anywhere in Detour)

/// A response as read off the wire by `RawHTTPClient`.
private struct RawResponse {
    /// Interim `1xx` status codes received before the final response.
    var interim: [Int] = []
    /// The final status code.
    var status: Int
    /// Header fields keyed by lowercased name.
    var headers: [String: String]
    /// The body decoded as UTF-8.
    var body: String
}

/// Minimal blocking HTTP/1.1 client over POSIX sockets, for tests only.
private enum RawHTTPClient {
    /// A client-side failure (connect error, unparsable response).
    struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        var description: String
    }

    /// Connects to 127.0.0.1:`port`, returning the socket.
    static func connect(port: UInt16, timeout: Int = 15) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: in_addr_t(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect failed: errno \(code)")
        }
        return fd
    }

    /// Writes all bytes (MSG_NOSIGNAL so a closed server cannot kill the test process).
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the peer closes (or the receive timeout hits).
    static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { data += chunk[0..<n] } else if n < 0, errno == EINTR { continue } else { break }
        }
        return data
    }

    /// Reads until the end of a response head (CRLFCRLF) and returns the bytes read so far.
    static func readHead(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            data.append(byte)
            if data.count >= 4, Array(data.suffix(4)) == [13, 10, 13, 10] { break }
        }
        return data
    }

    /// Sends raw bytes and returns whatever came back before the server closed.
    static func exchange(port: UInt16, _ bytes: [UInt8]) throws -> [UInt8] {
        let fd = try connect(port: port)
        defer { close(fd) }
        write(fd, bytes)
        return readAll(fd)
    }

    /// Sends a request with `Content-Length` (when a body is given) and parses the response.
    static func request(
        _ method: String, port: UInt16, path: String, host: String = "127.0.0.1",
        headers: [(String, String)] = [], body: String? = nil
    ) throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.utf8.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + Array((body ?? "").utf8)
        return try parse(exchange(port: port, bytes))
    }

    /// Parses a response, skipping (and reporting) interim 1xx responses.
    static func parse(_ data: [UInt8]) throws -> RawResponse {
        var rest = data[...]
        var interim: [Int] = []
        while true {
            guard let end = findHeadEnd(rest) else {
                throw Failure(description: "no complete response head in \(data.count) bytes: \(String(decoding: data, as: UTF8.self))")
            }
            let headText = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            rest = rest[(end + 4)...]
            let lines = headText.components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ", maxSplits: 2)
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
                throw Failure(description: "bad status line \(lines[0])")
            }
            if (100..<200).contains(status) {
                interim.append(status)
                continue
            }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return RawResponse(interim: interim, status: status, headers: headers, body: String(decoding: rest, as: UTF8.self))
        }
    }

    private static func findHeadEnd(_ data: ArraySlice<UInt8>) -> Int? {
        var index = data.startIndex
        while index + 3 < data.endIndex {
            if data[index] == 13, data[index + 1] == 10, data[index + 2] == 13, data[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }
}

/// Runs blocking `work` on a Dispatch thread; `wait()` blocks until its result is there.
private final class Background<T: Sendable>: Sendable {
    private let result = Mutex<T?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Starts `work` on a global queue.
    init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue.global().async {
            let value = work()
            self.result.withLock { $0 = value }
            self.done.signal()
        }
    }

    /// Whether `work` has finished.
    var isFinished: Bool { result.withLock { $0 != nil } }

    /// Blocks until `work` has finished and returns its result.
    func wait() -> T {
        done.wait()
        done.signal()
        return result.withLock { $0! }
    }
}

/// Blocks until `condition` holds, checking every 10 ms on the test's own thread; false only if it
/// never does within `limit`, a bound far beyond any wait expected, so a loaded machine makes the
/// test slower, never red. (A synchronous wait: async waits need a free thread of the shared pool
/// to wake up, and the suite's other tests block those threads while their commands run.)
private func waitUntil(within limit: Duration = .seconds(30), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Seconds elapsed while running `body`.
private func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    let elapsed = ContinuousClock.now - start
    let (seconds, attoseconds) = elapsed.components
    return (value, Double(seconds) + Double(attoseconds) / 1e18)
}

/// Starts a sandbox on a free port.
private func startedServer() throws -> (SandboxServer, UInt16) {
    let server = SandboxServer()
    let port = try server.start()
    return (server, port)
}

// MARK: - Storefronts

/// Tests for storefronts.
@Suite("SandboxServer storefronts")
struct SandboxStorefrontTests {
    /// Checks that healthy storefront serves the Japanese shop page.
    @Test("healthy storefront serves the Japanese shop page")
    func healthy() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let response = try RawHTTPClient.request("GET", port: port, path: "/store/rakuten/item/42?ref=top")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["connection"] == "close")
        #expect(response.headers["content-length"] == String(response.body.utf8.count))
        #expect(response.body.contains("<title>rakuten</title>"))
        #expect(response.body.contains("商品ページ"))
        #expect(response.body.contains("カートに入れる"))
        #expect(response.body.contains("買い物かご"))
        #expect(server.hits("rakuten") == 1)
        #expect(server.mode(of: "rakuten") == .healthy)
        #expect(server.requests().isEmpty)
    }

    /// Checks a custom healthy body and hit counting in every mode.
    @Test("custom healthy body and hit counting in every mode")
    func customBodyAndHits() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.addStorefront("shop", healthyBody: "<html>custom</html>")
        server.setSlowDelay(.milliseconds(10))
        // `.timeout` holds a request until the client gives up; the test below covers it.
        let answering = StorefrontMode.allCases.filter { $0 != .timeout }
        for mode in answering {
            server.setMode(mode, for: "shop")
            // `.refused` closes the connection without an answer.
            _ = try? RawHTTPClient.request("GET", port: port, path: "/store/shop")
        }
        server.setMode(.healthy, for: "shop")
        let response = try RawHTTPClient.request("GET", port: port, path: "/store/shop/")
        #expect(response.body == "<html>custom</html>")
        #expect(server.hits("shop") == answering.count + 1)
        #expect(server.hits("never-seen") == 0)
    }

    /// Checks the failure modes a simulation uses: no answer, a closed connection, one bot page, a failing provider.
    @Test("timeout, refused, captcha and provider failures")
    func failureModes() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.enableProviderFakes()
        server.setMode(.captcha, for: "shop")
        let captcha = try RawHTTPClient.request("GET", port: port, path: "/store/shop/item")
        #expect(captcha.status == 503)
        #expect(captcha.body.contains("captcha"))
        #expect(try RawHTTPClient.request("GET", port: port, path: "/store/shop/item").status == 200, "a captcha is served once")
        server.setMode(.refused, for: "shop")
        #expect(throws: (any Error).self) { try RawHTTPClient.request("GET", port: port, path: "/store/shop/item") }
        server.setMode(.timeout, for: "shop")
        let fd = try RawHTTPClient.connect(port: port, timeout: 1)
        defer { close(fd) }
        RawHTTPClient.write(fd, Array("GET /store/shop/item HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(RawHTTPClient.readAll(fd).isEmpty, "no answer within the client's 1 s")
        server.setSlowDelay(.milliseconds(200), for: "slowshop")
        server.setMode(.slow, for: "slowshop")
        let started = ContinuousClock.now
        #expect(try RawHTTPClient.request("GET", port: port, path: "/store/slowshop/").status == 200)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        server.failProvider(host: "api.line.me", status: 500)
        #expect(try RawHTTPClient.request("POST", port: port, path: "/ext/api.line.me/v2/bot/message/broadcast", body: "{}").status == 500)
        server.failProvider(host: "api.line.me", status: nil)
        #expect(try RawHTTPClient.request("POST", port: port, path: "/ext/api.line.me/v2/bot/message/broadcast", body: "{}").status != 500)
        server.failProvider(host: ".myshopify.com", status: 503)
        #expect(try RawHTTPClient.request("POST", port: port, path: "/ext/matcha-do.myshopify.com/admin/api/graphql.json", body: "{}").status == 503)
    }

    /// Checks that down storefront answers 503 Service Unavailable.
    @Test("down storefront answers 503 Service Unavailable")
    func down() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.setMode(.down, for: "amazon")
        let response = try RawHTTPClient.request("GET", port: port, path: "/store/amazon/dp/B000")
        #expect(response.status == 503)
        #expect(response.body == "Service Unavailable")
        #expect(server.hits("amazon") == 1)
    }

    /// Checks that maintenance storefront redirects to the maintenance page.
    @Test("maintenance storefront redirects to the maintenance page")
    func maintenance() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.setMode(.maintenance, for: "yahoo")
        let response = try RawHTTPClient.request("GET", port: port, path: "/store/yahoo/")
        #expect(response.status == 302)
        let location = try #require(response.headers["location"])
        #expect(location == "\(server.baseURL)/_maintenance/yahoo")
        let page = try RawHTTPClient.request("GET", port: port, path: String(location.dropFirst(server.baseURL.count)))
        #expect(page.status == 200)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.body.contains("ただいまメンテナンス中です"))
        #expect(server.hits("yahoo") == 1)
    }

    /// Checks that slow storefront waits the delay without blocking other connections.
    @Test("slow storefront waits the delay without blocking other connections")
    func slow() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.setSlowDelay(.seconds(4))
        server.setMode(.slow, for: "slowshop")
        let slowCall = Background { () -> (Int, Double) in
            let (response, seconds) = timed { try? RawHTTPClient.request("GET", port: port, path: "/store/slowshop/") }
            return (response?.status ?? -1, seconds)
        }
        #expect(waitUntil { server.hits("slowshop") == 1 })
        let fast = try RawHTTPClient.request("GET", port: port, path: "/store/fastshop/")
        #expect(fast.status == 200)
        // The fast answer came while the slow one still waited: one slow connection blocks no other.
        #expect(!slowCall.isFinished)
        let (slowStatus, slowSeconds) = slowCall.wait()
        #expect(slowStatus == 200)
        #expect(slowSeconds >= 4)
    }

    /// Checks that HEAD gets headers with Content-Length but no body.
    @Test("HEAD gets headers with Content-Length but no body")
    func head() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let response = try RawHTTPClient.request("HEAD", port: port, path: "/store/rakuten/")
        #expect(response.status == 200)
        #expect(Int(response.headers["content-length"] ?? "") ?? 0 > 0)
        #expect(response.body.isEmpty)
    }
}

// MARK: - Routing and recording

/// Tests for provider endpoints.
@Suite("SandboxServer provider endpoints")
struct SandboxProviderTests {
    /// Checks that `/ext/<host>` registered to a storefront serves that storefront.
    @Test("/ext/<host> registered to a storefront serves that storefront")
    func extStorefront() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.addStorefront("rakuten", hosts: ["www.rakuten.co.jp"])
        let healthy = try RawHTTPClient.request("GET", port: port, path: "/ext/www.rakuten.co.jp/shop/item?x=1")
        #expect(healthy.status == 200)
        #expect(healthy.body.contains("<h1>rakuten</h1>"))
        server.setMode(.down, for: "rakuten")
        let down = try RawHTTPClient.request("GET", port: port, path: "/ext/WWW.Rakuten.co.jp/")
        #expect(down.status == 503)
        #expect(server.hits("rakuten") == 2)
        #expect(server.requests().isEmpty)
    }

    /// Checks that `/ext/<host>` for an unknown host is a recorded provider request.
    @Test("/ext/<host> for an unknown host is a recorded provider request")
    func extProvider() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let body = #"{"to":"U123","messages":[{"type":"text","text":"楽天店が停止中"}]}"#
        let response = try RawHTTPClient.request(
            "POST", port: port, path: "/ext/api.line.me/v2/bot/message/push?dry=1",
            headers: [("Authorization", "Bearer tok"), ("Content-Type", "application/json"), ("X-Line-Retry-Key", "k1")],
            body: body)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.body == "{}")
        let recorded = try #require(server.requests().first)
        #expect(server.requests().count == 1)
        #expect(recorded.method == "POST")
        #expect(recorded.host == "api.line.me")
        #expect(recorded.path == "/v2/bot/message/push")
        #expect(recorded.query == "dry=1")
        #expect(recorded.header("authorization") == "Bearer tok")
        #expect(recorded.header("Content-Type") == "application/json")
        #expect(recorded.headers["x-line-retry-key"] == "k1")
        #expect(recorded.body == body)
        #expect(recorded.answeredStatus == 200)
        #expect(abs(recorded.receivedAt.timeIntervalSinceNow) < 10)
        #expect(server.requests(path: "/v2/bot/message/push").count == 1)
        #expect(server.requests(path: "/other").isEmpty)
    }

    /// Checks that other paths are provider requests recorded under the Host header's host.
    @Test("other paths are provider requests recorded under the Host header's host")
    func plainProvider() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        _ = try RawHTTPClient.request("PUT", port: port, path: "/services/T000/B000", host: "hooks.slack.com:443", body: "x")
        _ = try RawHTTPClient.request("GET", port: port, path: "/")
        let log = server.requests()
        #expect(log.map(\.host) == ["hooks.slack.com", "127.0.0.1"])
        #expect(log.map(\.path) == ["/services/T000/B000", "/"])
        #expect(log.map(\.method) == ["PUT", "GET"])
        #expect(log[0].query == nil)
        #expect(log[0].body == "x")
        server.clearRequests()
        #expect(server.requests().isEmpty)
    }

    /// Checks that scripted responses are used in order, then the default.
    @Test("scripted responses are used in order, then the default")
    func scripted() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.enqueue(ScriptedResponse(status: 429, body: #"{"error":"slow down"}"#, retryAfter: 2), forPath: "/2/tweets", count: 2)
        server.enqueue(
            ScriptedResponse(status: 500, headers: [SandboxHeader("Content-Type", "text/plain")], body: "boom"),
            forPath: "/2/tweets")
        var statuses: [Int] = []
        for index in 0..<4 {
            let response = try RawHTTPClient.request("POST", port: port, path: "/ext/api.x.com/2/tweets?n=\(index)", body: "{}")
            statuses.append(response.status)
            switch index {
            case 0, 1:
                #expect(response.headers["retry-after"] == "2")
                #expect(response.body == #"{"error":"slow down"}"#)
                #expect(response.headers["content-type"] == "application/json")
            case 2:
                #expect(response.body == "boom")
                #expect(response.headers["content-type"] == "text/plain")
            default:
                #expect(response.body == "{}")
                #expect(response.headers["retry-after"] == nil)
            }
        }
        #expect(statuses == [429, 429, 500, 200])
        #expect(server.requests(path: "/2/tweets").map(\.answeredStatus) == [429, 429, 500, 200])
    }

    /// Checks that per-path delay applies, and the request is logged before the answer.
    @Test("per-path delay applies, and the request is logged before the answer")
    func delayedPath() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        server.setDelay(.seconds(4), forPath: "/v2/enqueue")
        let call = Background { () -> (Int, Double) in
            let (response, seconds) = timed { try? RawHTTPClient.request("POST", port: port, path: "/ext/events.pagerduty.com/v2/enqueue", body: "{}") }
            return (response?.status ?? -1, seconds)
        }
        let logged = waitUntil { !server.requests(path: "/v2/enqueue").isEmpty }
        #expect(logged)
        #expect(!call.isFinished)
        let (status, seconds) = call.wait()
        #expect(status == 200)
        #expect(seconds >= 4)
        server.setDelay(.zero, forPath: "/v2/enqueue")
        let (_, quick) = try timed { try RawHTTPClient.request("POST", port: port, path: "/ext/events.pagerduty.com/v2/enqueue", body: "{}") }
        #expect(quick < 4, "the delay no longer applies")
    }

    /// Checks that chunked request bodies are decoded.
    @Test("chunked request bodies are decoded")
    func chunked() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let raw =
            "POST /hook HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let response = try RawHTTPClient.parse(RawHTTPClient.exchange(port: port, Array(raw.utf8)))
        #expect(response.status == 200)
        #expect(server.requests().first?.body == "hello, world")
        #expect(server.requests().first?.host == "example.com")
    }

    /// Checks that `Expect: 100-continue` gets an interim 100 before the body is sent.
    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let body = String(repeating: "あ", count: 100_000)
        let fd = try RawHTTPClient.connect(port: port)
        defer { close(fd) }
        let head = "POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        RawHTTPClient.write(fd, Array(head.utf8))
        let interim = String(decoding: RawHTTPClient.readHead(fd), as: UTF8.self)
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue"))
        RawHTTPClient.write(fd, Array(body.utf8))
        let response = try RawHTTPClient.parse(RawHTTPClient.readAll(fd))
        #expect(response.status == 200)
        #expect(server.requests().first?.body == body)
    }

    /// Checks that bodies over 8 MiB get 413.
    @Test("bodies over 8 MiB get 413")
    func tooLarge() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let raw = "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(8 * 1024 * 1024 + 1)\r\n\r\n"
        let response = try RawHTTPClient.parse(RawHTTPClient.exchange(port: port, Array(raw.utf8)))
        #expect(response.status == 413)
        #expect(server.requests().isEmpty)
    }

    /// Checks that malformed requests get 400 and the server keeps serving.
    @Test(
        "malformed requests get 400 and the server keeps serving",
        arguments: [
            "GARBAGE\r\n\r\n",
            "GET /x\r\n\r\n",
            "GET /x HTTP/9.9\r\n\r\n",
            "GET nopath HTTP/1.1\r\n\r\n",
            "GET /x HTTP/1.1\r\nNo colon here\r\n\r\n",
            "G(T /x HTTP/1.1\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello",
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "\u{01}\u{02}\u{FF}\r\n\r\n",
        ])
    func malformed(raw: String) throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let response = try RawHTTPClient.parse(RawHTTPClient.exchange(port: port, Array(raw.utf8)))
        #expect(response.status == 400)
        #expect(server.requests().isEmpty)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/store/ok").status == 200)
    }

    /// Checks that a client that connects and hangs up gets nothing and does no harm.
    @Test("a client that connects and hangs up gets nothing and does no harm")
    func emptyConnection() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let silent = try RawHTTPClient.connect(port: port)
        shutdown(silent, Int32(SHUT_WR))
        #expect(RawHTTPClient.readAll(silent).isEmpty)
        close(silent)
        close(try RawHTTPClient.connect(port: port))
        #expect(try RawHTTPClient.request("GET", port: port, path: "/store/ok").status == 200)
    }
}

// MARK: - Control API and lifecycle

/// Tests for control API and lifecycle.
@Suite("SandboxServer control API and lifecycle")
struct SandboxControlTests {
    /// Checks that storefront modes can be switched over HTTP.
    @Test("storefront modes can be switched over HTTP")
    func storeMode() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        #expect(try RawHTTPClient.request("POST", port: port, path: "/_sandbox/store/rakuten/down").status == 204)
        #expect(server.mode(of: "rakuten") == .down)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/store/rakuten/").status == 503)
        let snapshot = try RawHTTPClient.request("GET", port: port, path: "/_sandbox/store/rakuten")
        #expect(snapshot.body == #"{"hits":1,"mode":"down","name":"rakuten"}"#)
        #expect(try RawHTTPClient.request("POST", port: port, path: "/_sandbox/store/rakuten/exploded").status == 400)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/_sandbox/store/rakuten/down").status == 405)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/_sandbox/nope").status == 404)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/_sandbox/health").status == 200)
        #expect(server.requests().isEmpty)
    }

    /// Checks scripted responses, the request log and clearing over HTTP.
    @Test("scripted responses, request log and clearing over HTTP")
    func respondAndLog() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let script = try RawHTTPClient.request(
            "POST", port: port, path: "/_sandbox/respond?path=%2Fapi%2Fchat.postMessage&status=503&count=2&retryAfter=7",
            body: #"{"ok":false}"#)
        #expect(script.status == 204)
        for _ in 0..<2 {
            let response = try RawHTTPClient.request("POST", port: port, path: "/ext/slack.com/api/chat.postMessage", body: "m")
            #expect(response.status == 503)
            #expect(response.headers["retry-after"] == "7")
            #expect(response.body == #"{"ok":false}"#)
        }
        #expect(try RawHTTPClient.request("POST", port: port, path: "/ext/slack.com/api/chat.postMessage", body: "m").status == 200)
        #expect(try RawHTTPClient.request("POST", port: port, path: "/_sandbox/respond?status=200").status == 400)

        let listing = try RawHTTPClient.request("GET", port: port, path: "/_sandbox/requests")
        #expect(listing.status == 200)
        #expect(listing.headers["content-type"] == "application/json")
        #expect(listing.body.contains(#""receivedAt":"20"#))
        let decoded = try RecordedRequest.makeJSONDecoder().decode([RecordedRequest].self, from: Data(listing.body.utf8))
        let local = server.requests()
        #expect(decoded.count == 3)
        #expect(decoded.map(\.answeredStatus) == [503, 503, 200])
        for (remote, mine) in zip(decoded, local) {
            var adjusted = remote
            adjusted.receivedAt = mine.receivedAt
            #expect(adjusted == mine)
            #expect(abs(remote.receivedAt.timeIntervalSince(mine.receivedAt)) < 0.002)
        }

        #expect(try RawHTTPClient.request("DELETE", port: port, path: "/_sandbox/requests").status == 204)
        #expect(server.requests().isEmpty)
        #expect(try RawHTTPClient.request("GET", port: port, path: "/_sandbox/requests").body == "[]")
    }

    /// Checks that RecordedRequest JSON round-trips with ISO-8601 dates.
    @Test("RecordedRequest JSON round-trips with ISO-8601 dates")
    func jsonRoundTrip() throws {
        let original = RecordedRequest(
            method: "POST", host: "api.line.me", path: "/v2/bot/message/push", query: nil,
            headers: ["content-type": "application/json"], body: "{}",
            receivedAt: Date(timeIntervalSince1970: 1_700_000_000.25), answeredStatus: 429)
        let data = try RecordedRequest.makeJSONEncoder().encode(original)
        #expect(String(decoding: data, as: UTF8.self).contains(#""receivedAt":"2023-11-14T22:13:20.250Z""#))
        #expect(try RecordedRequest.makeJSONDecoder().decode(RecordedRequest.self, from: data) == original)
        let plain = Data(#"{"method":"GET","host":"h","path":"/","headers":{},"body":"","receivedAt":"2023-11-14T22:13:20Z","answeredStatus":200}"#.utf8)
        #expect(
            try RecordedRequest.makeJSONDecoder().decode(RecordedRequest.self, from: plain).receivedAt
                == Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// Checks that stop() then start() serves on a new port and that stop() is idempotent.
    @Test("stop() then start() serves on a new port; stop is idempotent")
    func restart() throws {
        let server = SandboxServer()
        #expect(server.port == 0)
        let first = try server.start()
        #expect(first != 0)
        #expect(server.port == first)
        #expect(server.baseURL == "http://127.0.0.1:\(first)")
        #expect(throws: SandboxError.self) { try server.start() }
        server.setMode(.down, for: "kept")
        server.stop()
        server.stop()
        #expect(server.port == 0)
        #expect(throws: (any Error).self) { try RawHTTPClient.connect(port: first) }

        let second = try server.start()
        defer { server.stop() }
        #expect(second != 0)
        #expect(try RawHTTPClient.request("GET", port: second, path: "/store/ok").status == 200)
        #expect(try RawHTTPClient.request("GET", port: second, path: "/store/kept").status == 503)
    }

    /// Checks that binding a port in use fails with a readable error.
    @Test("binding a port in use fails with a readable error")
    func portInUse() throws {
        let (server, port) = try startedServer()
        defer { server.stop() }
        let other = SandboxServer()
        do {
            try other.start(port: port)
            Issue.record("second bind on \(port) unexpectedly succeeded")
        } catch let error as SandboxError {
            #expect(error.description == "cannot listen on 127.0.0.1:\(port): address already in use")
            #expect(error.code == EADDRINUSE)
        }
    }

    /// Checks that stop() is prompt while a slow request is in flight.
    @Test("stop() is prompt while a slow request is in flight")
    func stopWhileInFlight() throws {
        let (server, port) = try startedServer()
        server.setSlowDelay(.seconds(30))
        server.setMode(.slow, for: "stuck")
        let call = Background { () -> Int in
            (try? RawHTTPClient.request("GET", port: port, path: "/store/stuck/"))?.status ?? -1
        }
        #expect(waitUntil { server.hits("stuck") == 1 })
        let (_, seconds) = timed { server.stop() }
        #expect(seconds < 10, "far less than the 30 s the request would wait")
        #expect(call.wait() == -1)
    }

    /// Checks that a server released without stop() shuts itself down.
    @Test("a server released without stop() shuts itself down")
    func deinitStops() throws {
        var port: UInt16 = 0
        do {
            let server = SandboxServer()
            port = try server.start()
            #expect(try RawHTTPClient.request("GET", port: port, path: "/store/a").status == 200)
        }
        #expect(throws: (any Error).self) { try RawHTTPClient.connect(port: port) }
    }
}
