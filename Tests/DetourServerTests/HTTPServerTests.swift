import DetourCore
import DetourServer
import DetourTestSupport
import Foundation
import Testing

/// The console's HTTP server against real sockets on 127.0.0.1: limits, keep-alive, streams and shutdown.
@Suite struct HTTPServerTests {
    /// Limits for tests: connections stay open across the test's own pauses (a loaded machine may
    /// resume a test many seconds late), except for the limit a test sets itself.
    static var patient: ServerLimits {
        var limits = ServerLimits()
        limits.idleTimeout = .seconds(600)
        limits.headTimeout = .seconds(600)
        return limits
    }

    static func start(_ limits: ServerLimits = patient, handler: HTTPServer.Handler? = nil) throws -> HTTPServer {
        try HTTPServer.start(ListenAddress(host: "127.0.0.1", port: 0), limits: limits) { request in
            if let handler { return handler(request) }
            return .text(200, "you asked for \(request.target.path) from \(request.clientAddress)\n")
        }
    }

    @Test func answersThroughTheProjectsClient() async throws {
        let server = try Self.start()
        defer { server.shutdown() }
        let http = HTTPClient()
        defer { http.shutdown() }
        let response = try await http.send(DetourCore.HTTPRequest(url: "http://127.0.0.1:\(server.port)/hello")).get()
        #expect(response.status == 200)
        #expect(response.bodyText == "you asked for /hello from 127.0.0.1\n")
    }

    @Test func keepsTheConnectionForTheNextRequest() async throws {
        let server = try Self.start()
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = await socket.read(until: "/one from")
        #expect(first.contains("Connection: keep-alive"))
        socket.send("GET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let second = await socket.read()
        #expect(second.contains("you asked for /two"))
        #expect(second.contains("Connection: close"))
        #expect(await socket.isClosed(within: .seconds(30)))
    }

    @Test func closesAfterTheLastRequestAllowedOnAConnection() async throws {
        var limits = Self.patient
        limits.maxRequestsPerConnection = 2
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await socket.read(until: "/1 from").contains("keep-alive"))
        socket.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await socket.read().contains("Connection: close"))
        #expect(await socket.isClosed(within: .seconds(30)))
    }

    @Test func waitsTheWholeIdleTimeoutNotJustOneReadTimeout() async throws {
        var limits = Self.patient
        limits.ioTimeout = .milliseconds(100)
        limits.idleTimeout = .seconds(60)
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = await socket.read(until: "/first from")
        // Idle for longer than one read may wait, well within the idle timeout: still open.
        #expect(await !socket.isClosed(within: .milliseconds(500)))
        socket.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await socket.read(until: "/later from").contains("200 OK"))
    }

    @Test func closesAnIdleKeptAliveConnection() async throws {
        var limits = Self.patient
        limits.idleTimeout = .milliseconds(200)
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = await socket.read(until: "from")
        #expect(await socket.isClosed(within: .seconds(30)))
    }

    @Test func answers408ToAHeadSentTooSlowly() async throws {
        var limits = Self.patient
        limits.headTimeout = .milliseconds(300)
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        // Slowloris: a head that never ends, one header at a time.
        socket.send("GET / HTTP/1.1\r\nHost: x\r\n")
        var answer = ""
        // Without a head timeout this would go on for the whole loop; the bound is far above the 300 ms.
        for index in 0..<300 where answer.isEmpty {
            socket.send("X-Slow-\(index): y\r\n")
            answer = await socket.read(until: "\r\n\r\n", timeout: .milliseconds(100))
        }
        #expect(answer.hasPrefix("HTTP/1.1 408"))
        #expect(await socket.isClosed(within: .seconds(30)))
    }

    @Test func answers408ToABodySentTooSlowly() async throws {
        var limits = Self.patient
        limits.bodyTimeout = .milliseconds(300)
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        #expect(await socket.read().hasPrefix("HTTP/1.1 408"))
    }

    @Test func answers431ToAnOversizedHead() async throws {
        var limits = Self.patient
        limits.maxHeadBytes = 1024
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4096))\r\n\r\n")
        #expect(await socket.read().hasPrefix("HTTP/1.1 431"))
    }

    @Test func answers413ToAnOversizedBody() async throws {
        var limits = Self.patient
        limits.maxBodyBytes = 100
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n\(String(repeating: "a", count: 101))")
        #expect(await socket.read().hasPrefix("HTTP/1.1 413"))
        let chunked = try RawSocket(port: server.port)
        chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n\(String(repeating: "a", count: 128))\r\n0\r\n\r\n")
        #expect(await chunked.read().hasPrefix("HTTP/1.1 413"))
    }

    @Test func answers503PastTheConnectionLimit() async throws {
        var limits = Self.patient
        limits.maxConnections = 2
        let server = try Self.start(limits)
        defer { server.shutdown() }
        let held = try (0..<2).map { _ in try RawSocket(port: server.port) }
        // Both held connections are counted once their first request has been answered.
        for socket in held {
            socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await socket.read(until: "from")
        }
        let third = try RawSocket(port: server.port)
        third.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await third.read().hasPrefix("HTTP/1.1 503"))
        held[0].send("GET /still HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await held[0].read(until: "/still from").contains("200 OK"))
    }

    @Test func streamsAChunkedBodyPieceByPiece() async throws {
        let server = try Self.start { _ in
            var response = ServerResponse(status: 200, headers: [ServerHeader("Content-Type", "text/event-stream")])
            response.stream = ServerStream { writer in
                writer.write("data: one\n\n")
                writer.write("data: two\n\n")
            }
            return response
        }
        defer { server.shutdown() }
        let socket = try RawSocket(port: server.port)
        socket.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        let answer = await socket.read(until: "0\r\n\r\n")
        #expect(answer.contains("Transfer-Encoding: chunked"))
        #expect(answer.contains("b\r\ndata: one\n\n\r\n"))
        #expect(answer.hasSuffix("0\r\n\r\n"))
    }

    @Test func shutdownLetsTheRequestInFlightFinish() async throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var limits = Self.patient
        // Far beyond the test's own waits, so a loaded machine cannot turn finishing into cutting off.
        limits.shutdownGrace = .seconds(120)
        let server = try Self.start(limits) { _ in
            entered.signal()
            release.wait()
            return .text(200, "finished\n")
        }
        let busy = try RawSocket(port: server.port)
        busy.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await onOwnThread { entered.wait() }
        let idle = try RawSocket(port: server.port)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            server.shutdown()
            stopped.signal()
        }.start()
        // New connections are refused once shutdown has begun; the idle one is closed.
        #expect(await idle.isClosed(within: .seconds(30)))
        #expect((try? RawSocket(port: server.port)) == nil)
        release.signal()
        let answer = await busy.read()
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.contains("Connection: close"))
        #expect(answer.hasSuffix("finished\n"))
        #expect(await onOwnThread { stopped.wait(timeout: .now() + 30) } == .success)
    }

    @Test func shutdownEndsAStreamWithinTheGrace() async throws {
        var limits = Self.patient
        // Far beyond the bound below: a stream that ignored the shutdown would hold it for the whole grace.
        limits.shutdownGrace = .seconds(90)
        let server = try Self.start(limits) { _ in
            var response = ServerResponse(status: 200)
            response.stream = ServerStream { writer in
                while writer.write("data: tick\n\n"), writer.wait(for: .seconds(60)) {}
            }
            return response
        }
        let socket = try RawSocket(port: server.port)
        socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = await socket.read(until: "tick")
        let took = await onOwnThread {
            let started = ContinuousClock.now
            server.shutdown()
            return ContinuousClock.now - started
        }
        #expect(took < .seconds(45))
        #expect(await socket.read().hasSuffix("0\r\n\r\n"))
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1:8080", true), ("localhost:80", "127.0.0.1:80", true), ("9000", "127.0.0.1:9000", true),
        ("[::1]:8080", "[::1]:8080", true), ("0.0.0.0:8080", "0.0.0.0:8080", false), ("192.168.1.5:1", "192.168.1.5:1", false),
    ])
    func parsesListenAddresses(text: String, written: String, loopback: Bool) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address.description == written)
        #expect(address.isLoopback == loopback)
    }

    @Test(arguments: ["", "example.com:80", "127.0.0.1:99999", "127.0.0.1:", "::1:80", "[::1]"])
    func refusesWhatIsNotAnAddress(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
