import CCurl
import DetourSandbox
import Foundation
import Testing

@testable import DetourCore

/// The libcurl client against the real sandbox server on 127.0.0.1.
@Suite(.serialized)
final class HTTPClientTests {
    let sandbox = SandboxServer()
    let client = HTTPClient(maxConcurrent: 64, userAgent: "detour/test")

    init() throws { try sandbox.start() }

    deinit {
        client.shutdown()
        sandbox.stop()
    }

    @Test func sendsMethodHeadersAndBodyAndReadsTheAnswer() async throws {
        sandbox.enqueue(ScriptedResponse(status: 201, headers: [SandboxHeader("X-Answer", "42")], body: #"{"id":"1"}"#), forPath: "/v1/things")
        let request = HTTPRequest(
            method: "POST", url: sandbox.baseURL + "/v1/things?x=1", headers: [HTTPHeader("Authorization", "Bearer t")],
            body: Array(#"{"名前":"楽天"}"#.utf8))
        let response = try await client.send(request).get()
        #expect(response.status == 201)
        #expect(response.header("x-answer") == "42")
        #expect(response.bodyText == #"{"id":"1"}"#)
        #expect(response.timings.total > .zero)
        let recorded = try #require(sandbox.requests(path: "/v1/things").first)
        #expect(recorded.method == "POST")
        #expect(recorded.query == "x=1")
        #expect(recorded.header("authorization") == "Bearer t")
        #expect(recorded.header("user-agent") == "detour/test")
        #expect(recorded.body == #"{"名前":"楽天"}"#)
    }

    @Test func followsRedirectsAndReportsWhereItLanded() async throws {
        sandbox.setMode(.maintenance, for: "shop")
        let response = try await client.send(HTTPRequest(url: sandbox.baseURL + "/store/shop/cart")).get()
        #expect(response.status == 200)
        #expect(response.redirectCount == 1)
        #expect(response.effectiveURL.contains("/_maintenance/shop"))
        #expect(response.bodyText.contains("メンテナンス中"))
        let unfollowed = try await client.send(HTTPRequest(url: sandbox.baseURL + "/store/shop/cart", followRedirects: false)).get()
        #expect(unfollowed.status == 302)
    }

    @Test func aClosedPortIsAConnectFailure() async throws {
        let closed = SandboxServer()
        let port = try closed.start()
        closed.stop()
        let result = await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/"))
        #expect(throws: HTTPFailure.self) { try result.get() }
        if case .failure(let failure) = result { #expect(failure.errorClass == .connect) }
    }

    @Test func aSlowAnswerIsATimeout() async throws {
        // The answer would take 10 s; a loaded machine may wake the awaiting task late, so the bound is
        // well above the 300 ms timeout and well below the answer.
        sandbox.setSlowDelay(.seconds(10))
        sandbox.setMode(.slow, for: "slow")
        let started = ContinuousClock.now
        let result = await client.send(HTTPRequest(url: sandbox.baseURL + "/store/slow/", timeout: .milliseconds(300)))
        #expect(ContinuousClock.now - started < .seconds(6))
        if case .failure(let failure) = result {
            #expect(failure.errorClass == .timeout)
        } else {
            Issue.record("a 10 s answer must time out at 300 ms")
        }
    }

    @Test func tlsToAPlainPortIsATLSFailure() async throws {
        let result = await client.send(HTTPRequest(url: "https://127.0.0.1:\(sandbox.port)/"))
        if case .failure(let failure) = result {
            #expect(failure.errorClass == .tls || failure.errorClass == .protocolError, "\(failure)")
        } else {
            Issue.record("TLS to a plain HTTP port must fail")
        }
    }

    @Test func resolveErrorsAreClassifiedAsDNSWithoutSendingAQuery() {
        #expect(HTTPClient.classify(CURLE_COULDNT_RESOLVE_HOST) == .dns)
        #expect(HTTPClient.classify(CURLE_OPERATION_TIMEDOUT) == .timeout)
        #expect(HTTPClient.classify(CURLE_COULDNT_CONNECT) == .connect)
        #expect(HTTPClient.classify(CURLE_SSL_CONNECT_ERROR) == .tls)
    }

    @Test(arguments: [(20 << 10, 1), (200 << 10, 1), (15 << 10, 20)])
    func oversizedHeadersAreReportedAsSuch(bytes: Int, count: Int) async throws {
        let headers = (0..<count).map { SandboxHeader("X-Padding-\($0)", String(repeating: "a", count: bytes)) }
        sandbox.enqueue(ScriptedResponse(status: 200, headers: headers, body: "ok"), forPath: "/huge-header")
        let result = await client.send(HTTPRequest(url: sandbox.baseURL + "/huge-header"))
        guard case .failure(let failure) = result else {
            Issue.record("a \(bytes)-byte header must be refused")
            return
        }
        #expect(failure.errorClass == .protocolError)
        let expected = count == 1 ? "a response header is over 16 KB" : "the response headers are over 256 KB in total"
        #expect(failure.message.contains(expected), "\(failure.message)")
        #expect(!failure.message.lowercased().contains("memory"))
    }

    @Test func aBatchAnswersInOrder() async throws {
        let requests = (0..<200).map { HTTPRequest(url: sandbox.baseURL + "/batch/\($0)") }
        let results = await client.send(all: requests)
        #expect(results.count == 200)
        #expect(results.allSatisfy { (try? $0.get().status) == 200 })
        #expect(sandbox.requests().map(\.path).sorted() == (0..<200).map { "/batch/\($0)" }.sorted())
    }
}
