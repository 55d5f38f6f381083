import DetourSandbox
import Foundation
import Testing

@testable import DetourCore

/// The HTTP client against the sandbox's hostile routes: every one ends in an answer or a clear failure, in time.
@Suite(.serialized)
final class HostileServerTests {
    let sandbox = SandboxServer()
    let client = HTTPClient(maxConcurrent: 8, userAgent: "detour/test")

    init() throws { try sandbox.start() }

    deinit {
        client.shutdown()
        sandbox.stop()
    }

    func url(_ path: String) -> String { sandbox.baseURL + "/hostile/" + path }

    /// A request as a probe of a public shop sends it: the sandbox on 127.0.0.1 stands in for a public address.
    func publicProbe(_ path: String, headers: [HTTPHeader] = [], allowPrivate: Bool = false) -> HTTPRequest {
        var request = HTTPRequest(url: url(path), headers: headers, timeout: .seconds(5))
        request.redirectPolicy = RedirectPolicy(allowPrivate: allowPrivate)
        request.redirectPolicy.originScope = .public
        return request
    }

    func failureOf(_ result: Result<HTTPResponse, HTTPFailure>) -> HTTPFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    // MARK: - Redirects

    @Test func aPublicPageCannotSendTheProbeToALoopbackAddress() async throws {
        let failure = try #require(failureOf(await client.send(publicProbe("redirect/private"))))
        #expect(failure.message.contains("redirect to \(url("internal-admin")) refused"), "\(failure.message)")
        #expect(failure.message.contains("127.0.0.1, a loopback address"), "\(failure.message)")
        #expect(failure.message.contains("allowPrivateRedirect: true"), "\(failure.message)")
        #expect(sandbox.requests(path: "/hostile/internal-admin").isEmpty, "the private address is never connected to")
    }

    @Test func aPublicPageCannotSendTheProbeToTheCloudMetadataAddress() async throws {
        let failure = try #require(failureOf(await client.send(publicProbe("redirect/link-local"))))
        #expect(failure.message.contains("169.254.169.254, a link-local address"), "\(failure.message)")
    }

    @Test func allowPrivateRedirectFollowsToThePrivateAddress() async throws {
        let response = try await client.send(publicProbe("redirect/private", allowPrivate: true)).get()
        #expect(response.status == 200)
        #expect(response.bodyText.contains("internal admin"))
        #expect(response.redirectCount == 1)
        #expect(response.effectiveURL == url("internal-admin"))
    }

    @Test func aLoopbackShopMayRedirectWithinLoopback() async throws {
        // The origin itself is loopback (a shop on the monitor's own network): nothing public is being turned inwards.
        let response = try await client.send(HTTPRequest(url: url("redirect/private"))).get()
        #expect(response.status == 200)
        #expect(sandbox.requests(path: "/hostile/internal-admin").count == 1)
    }

    @Test(arguments: ["file", "ftp"])
    func aRedirectToAnotherProtocolIsRefused(_ kind: String) async throws {
        let failure = try #require(failureOf(await client.send(HTTPRequest(url: url("redirect/\(kind)")))))
        #expect(failure.message.contains("only http and https addresses are followed"), "\(failure.message)")
    }

    @Test func anotherOriginGetsNoneOfTheProbesHeaders() async throws {
        let headers = [HTTPHeader("X-Api-Key", "key-for-the-shop-only"), HTTPHeader("Authorization", "Bearer shop"), HTTPHeader("Cookie", "a=b")]
        let response = try await client.send(HTTPRequest(url: url("redirect/other-origin"), headers: headers)).get()
        #expect(response.status == 200)
        let first = try #require(sandbox.requests(path: "/hostile/redirect/other-origin").first)
        #expect(first.header("x-api-key") == "key-for-the-shop-only")
        let echoed = try #require(sandbox.requests(path: "/hostile/echo").first)
        #expect(echoed.host == "localhost")
        #expect(echoed.header("x-api-key") == nil)
        #expect(echoed.header("authorization") == nil)
        #expect(echoed.header("cookie") == nil)
        #expect(echoed.header("user-agent") == "detour/test")
    }

    @Test func theSameOriginKeepsTheProbesHeaders() async throws {
        _ = await client.send(HTTPRequest(url: url("redirect/loop"), headers: [HTTPHeader("X-Api-Key", "k")], maxRedirects: 2))
        let hops = sandbox.requests(path: "/hostile/redirect/loop")
        #expect(hops.count == 3)
        #expect(hops.allSatisfy { $0.header("x-api-key") == "k" })
    }

    @Test func aRedirectLoopStopsAtMaxRedirects() async throws {
        let failure = try #require(failureOf(await client.send(HTTPRequest(url: url("redirect/loop"), maxRedirects: 3))))
        #expect(failure.errorClass == .protocolError)
        #expect(failure.message.contains("more than 3 redirects"), "\(failure.message)")
        #expect(sandbox.requests(path: "/hostile/redirect/loop").count == 4)
    }

    // MARK: - Bodies and headers

    @Test func aDripFedBodyEndsAtTheTimeout() async throws {
        let started = ContinuousClock.now
        let failure = try #require(failureOf(await client.send(HTTPRequest(url: url("drip"), timeout: .milliseconds(500)))))
        #expect(failure.errorClass == .timeout)
        // The whole body would take 50 s.
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aHugeBodyIsCutAtTheLimit() async throws {
        let started = ContinuousClock.now
        let response = try await client.send(HTTPRequest(url: url("huge-body"), maxBodyBytes: 64 << 10)).get()
        #expect(response.bodyTruncated)
        #expect(response.body.count == 64 << 10)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func controlCharactersInAPageAreJustBytes() async throws {
        let response = try await client.send(HTTPRequest(url: url("control-title"))).get()
        #expect(response.status == 200)
        #expect(ProbeEvaluator.pageGist(response.bodyText).contains("Shop"))
    }

    @Test(arguments: ["giant-header/20", "giant-header/200", "giant-header/1024", "many-headers/10000"])
    func giantHeadersEndInAnAnswerOrAClearFailure(_ path: String) async throws {
        let started = ContinuousClock.now
        switch await client.send(HTTPRequest(url: url(path), timeout: .seconds(5))) {
        case .success(let response): #expect(response.status == 200)
        case .failure(let failure): #expect(!failure.message.isEmpty)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test(arguments: ["a\r\nX-Injected: yes", "a\nb", "a\rb", "a\u{0}b"])
    func aHeaderWithALineBreakNeverReachesTheWire(_ value: String) async throws {
        let result = await client.send(HTTPRequest(method: "POST", url: url("echo"), headers: [HTTPHeader("X-Reason", value)], body: []))
        let failure = try #require(failureOf(result))
        #expect(failure.message.hasPrefix("header X-Reason contains a"), "\(failure.message)")
        #expect(failure.message.contains("so the request was not sent"))
        #expect(sandbox.requests(path: "/hostile/echo").isEmpty)
    }

    // MARK: - Cancellation

    @Test func cancellingARequestThatNeverAnswersReturnsAtOnce() async throws {
        let (client, never) = (self.client, HTTPRequest(url: url("never"), timeout: .seconds(60)))
        let task = Task { await client.send(never) }
        // Wait until the request is really in flight (the sandbox has it), then cancel.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, sandbox.requests(path: "/hostile/never").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let cancelled = ContinuousClock.now
        task.cancel()
        let failure = try #require(failureOf(await task.value))
        #expect(failure.isCancellation)
        // The request's own timeout is a minute away.
        #expect(ContinuousClock.now - cancelled < .seconds(3))
        // The client is still usable afterwards.
        #expect(try await client.send(HTTPRequest(url: url("echo"))).get().status == 200)
    }

    @Test func cancellingARequestStillWaitingForASlotReturnsAtOnce() async throws {
        let single = HTTPClient(maxConcurrent: 1, userAgent: "detour/test")
        defer { single.shutdown() }
        let (never, echo) = (HTTPRequest(url: url("never"), timeout: .seconds(60)), HTTPRequest(url: url("echo")))
        let blocker = Task { await single.send(never) }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, sandbox.requests(path: "/hostile/never").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        let queued = Task { await single.send(echo) }
        // The only slot is taken, so the second request can do nothing but wait in the queue.
        try await Task.sleep(for: .milliseconds(50))
        queued.cancel()
        #expect(failureOf(await queued.value)?.isCancellation == true)
        blocker.cancel()
        #expect(failureOf(await blocker.value)?.isCancellation == true)
        #expect(sandbox.requests(path: "/hostile/echo").isEmpty)
    }

    @Test func aTaskCancelledBeforeSendingSendsNothing() async throws {
        let (client, echo) = (self.client, HTTPRequest(url: url("echo")))
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await client.send(echo)
        }
        #expect(failureOf(await task.value)?.isCancellation == true)
        #expect(sandbox.requests(path: "/hostile/echo").isEmpty)
    }
}
