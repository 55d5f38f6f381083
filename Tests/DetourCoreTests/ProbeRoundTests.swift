import CCurl
import DetourSandbox
import Foundation
import Testing

@testable import DetourCore

/// One condition case: what the sandbox answers, what the probe expects, and the verdict.
struct ConditionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var answer: ScriptedResponse
    var expect: DetourCore.Expectation
    /// Nil when the probe must pass; otherwise the class and a phrase of the failure.
    var failure: (ProbeFailureClass, String)?

    var testDescription: String { name }

    static func expecting(_ change: (inout DetourCore.Expectation) -> Void) -> DetourCore.Expectation {
        var expect = DetourCore.Expectation(status: .range(2), bodyContains: [], bodyNotContains: [], maxLatency: nil)
        change(&expect)
        return expect
    }

    static let page = ScriptedResponse(
        status: 200, headers: [SandboxHeader("Content-Type", "text/html; charset=utf-8"), SandboxHeader("X-Shop", "matcha-do")],
        body: "<html><head><title>抹茶堂</title></head><body>宇治抹茶 30g ¥1,980 <button>買い物かご</button></body></html>")
    static let maintenance = ScriptedResponse(
        status: 200, headers: [SandboxHeader("Content-Type", "text/html")],
        body: "<html><head><title>ただいまメンテナンス中</title></head><body>ただいまメンテナンス中です</body></html>")
    static let stock = ScriptedResponse(status: 200, body: #"{"item":{"id":"a-1","stock":{"available":true,"count":12}},"tags":["新茶","限定"]}"#)

    static let all: [ConditionCase] = [
        ConditionCase(name: "status class passes", answer: page, expect: expecting { _ in }),
        ConditionCase(
            name: "status class fails", answer: ScriptedResponse(status: 503, body: "busy"), expect: expecting { _ in }, failure: (.http, "status 503")),
        ConditionCase(name: "status code passes", answer: page, expect: expecting { $0.status = .codes([200]) }),
        ConditionCase(
            name: "status list fails", answer: ScriptedResponse(status: 404), expect: expecting { $0.status = .codes([200, 302]) },
            failure: (.http, "status 404")),
        ConditionCase(
            name: "503 maintenance page says so", answer: ScriptedResponse(status: 503, body: maintenance.body), expect: expecting { _ in },
            failure: (.http, "maintenance page: status 503")),
        ConditionCase(name: "bodyContains passes", answer: page, expect: expecting { $0.bodyContains = ["買い物かご"] }),
        ConditionCase(
            name: "bodyContains fails on a captcha page", answer: ScriptedResponse(status: 200, body: "<title>Robot Check</title>"),
            expect: expecting { $0.bodyContains = ["買い物かご"] }, failure: (.condition, "body does not contain \"買い物かご\"")),
        ConditionCase(name: "bodyNotContains passes", answer: page, expect: expecting { $0.bodyNotContains = ["メンテナンス中"] }),
        ConditionCase(
            name: "bodyNotContains fails on a maintenance page", answer: maintenance, expect: expecting { $0.bodyNotContains = ["メンテナンス中"] },
            failure: (.condition, "maintenance page: body contains \"メンテナンス中\"")),
        ConditionCase(name: "bodyMatches passes", answer: page, expect: expecting { $0.bodyMatches = [#"¥[0-9,]+"#] }),
        ConditionCase(
            name: "bodyMatches fails", answer: maintenance, expect: expecting { $0.bodyMatches = [#"¥[0-9,]+"#] },
            failure: (.condition, "does not match /¥[0-9,]+/")),
        ConditionCase(
            name: "json passes", answer: stock,
            expect: expecting {
                $0.json = [JSONExpectation(pointer: "/item/stock/available", value: .bool(true)), JSONExpectation(pointer: "/tags/1", value: .string("限定"))]
            }),
        ConditionCase(
            name: "json fails on a value", answer: ScriptedResponse(status: 200, body: #"{"item":{"stock":{"available":false}}}"#),
            expect: expecting { $0.json = [JSONExpectation(pointer: "/item/stock/available", value: .bool(true))] },
            failure: (.condition, "json /item/stock/available is false")),
        ConditionCase(
            name: "json fails on HTML", answer: maintenance, expect: expecting { $0.json = [JSONExpectation(pointer: "/ok", value: .bool(true))] },
            failure: (.condition, "body is not JSON")),
        ConditionCase(name: "header passes", answer: page, expect: expecting { $0.headers = [HeaderExpectation(name: "content-type", contains: "text/html")] }),
        ConditionCase(
            name: "header fails", answer: stock, expect: expecting { $0.headers = [HeaderExpectation(name: "Content-Type", contains: "text/html")] },
            failure: (.condition, "header Content-Type does not contain \"text/html\"")),
        ConditionCase(
            name: "a missing header fails", answer: page, expect: expecting { $0.headers = [HeaderExpectation(name: "X-Cache", contains: "HIT")] },
            failure: (.condition, "header X-Cache")),
        ConditionCase(
            name: "certValidFor fails on plain http", answer: page, expect: expecting { $0.certValidFor = .seconds(14 * 86_400) },
            failure: (.tls, "no TLS certificate")),
    ]
}

/// Probe conditions, failure classes and channel verdicts against the real sandbox server.
@Suite(.serialized)
final class ProbeRoundTests {
    let sandbox = SandboxServer()
    let client = HTTPClient(maxConcurrent: 64, userAgent: "detour/test")
    var round: ProbeRound { ProbeRound(http: client) }

    init() throws { try sandbox.start() }

    deinit {
        client.shutdown()
        sandbox.stop()
    }

    func probe(_ name: String, _ path: String, expect: DetourCore.Expectation? = nil, critical: Bool = true, timeout: Duration = .seconds(5)) -> Probe {
        Probe(
            name: name, url: path.hasPrefix("http") ? path : sandbox.baseURL + path, method: "GET", headers: [], timeout: timeout,
            expect: expect ?? ConditionCase.expecting { _ in }, critical: critical)
    }

    func channel(_ probes: [Probe]) -> Channel {
        Channel(
            id: "mall", name: "テストモール店", kind: .mall, url: sandbox.baseURL, probes: probes, schedule: .standard, revenue: nil, alternates: [],
            location: SourceLocation(file: "channels/mall.json5", line: 1, column: 1))
    }

    @Test(arguments: ConditionCase.all)
    func everyConditionPassesAndFails(_ test: ConditionCase) async throws {
        let path = "/cond/\(UUID().uuidString)"
        sandbox.enqueue(test.answer, forPath: path)
        let verdicts = await round.run([channel([probe("page", path, expect: test.expect)])])
        let result = try #require(verdicts.first?.results.first)
        if let (kind, phrase) = test.failure {
            let failure = try #require(result.failure)
            #expect(failure.kind == kind, "\(failure.text)")
            #expect(failure.detail.contains(phrase), "\(failure.text)")
            #expect(failure.expected != nil && failure.actual != nil, "a failed condition says what was expected and what came back: \(failure.text)")
        } else {
            #expect(result.passed, "\(result.summary)")
        }
    }

    @Test func aRedirectToAMaintenancePageCountsAsDown() async throws {
        sandbox.setMode(.maintenance, for: "mall")
        let result = try #require(await round.run([channel([probe("cart", "/store/mall/cart")])]).first?.results.first)
        #expect(result.failure?.kind == .condition)
        #expect(result.summary.contains("maintenance page: redirected to \(sandbox.baseURL)/_maintenance/mall"), "\(result.summary)")
    }

    @Test func redirectsCanBeLeftUnfollowed() async throws {
        sandbox.setMode(.maintenance, for: "mall")
        var cart = probe("cart", "/store/mall/cart", expect: ConditionCase.expecting { $0.status = .codes([302]) })
        cart.followRedirects = false
        let result = try #require(await round.run([channel([cart])]).first?.results.first)
        #expect(result.passed, "\(result.summary)")
        #expect(result.status == 302)
    }

    @Test func tooManyRedirectsFail() async throws {
        sandbox.setMode(.maintenance, for: "mall")
        var cart = probe("cart", "/store/mall/cart")
        cart.maxRedirects = 0
        let result = try #require(await round.run([channel([cart])]).first?.results.first)
        #expect(result.failure?.kind == .protocolError, "\(result.summary)")
    }

    @Test func slowerThanMaxLatencyIsDegradedNotDown() async throws {
        sandbox.setDelay(.milliseconds(250), forPath: "/slow/item")
        let verdict = try #require(
            await round.run([channel([probe("item", "/slow/item", expect: ConditionCase.expecting { $0.maxLatency = .milliseconds(50) })])]).first)
        #expect(verdict.passed)
        #expect(verdict.degraded)
        #expect(verdict.reason?.contains("slower than maxLatency 50ms") == true, "\(verdict.reason ?? "")")
        #expect(verdict.evidence.first?.slow != nil)
    }

    @Test func aClosedPortIsAConnectFailure() async throws {
        let closed = SandboxServer()
        let port = try closed.start()
        closed.stop()
        let result = try #require(await round.run([channel([probe("top", "http://127.0.0.1:\(port)/")])]).first?.results.first)
        #expect(result.failure?.kind == .connect, "\(result.summary)")
    }

    @Test func tlsToAPlainPortIsATLSFailure() async throws {
        let result = try #require(await round.run([channel([probe("top", "https://127.0.0.1:\(sandbox.port)/", timeout: .seconds(10))])]).first?.results.first)
        #expect(result.failure?.kind == .tls || result.failure?.kind == .protocolError, "\(result.summary)")
    }

    @Test func slowerThanTheTimeoutIsATimeout() async throws {
        sandbox.setDelay(.seconds(3), forPath: "/very-slow")
        let result = try #require(await round.run([channel([probe("top", "/very-slow", timeout: .milliseconds(200))])]).first?.results.first)
        #expect(result.failure?.kind == .timeout, "\(result.summary)")
    }

    @Test func aResolveErrorIsTheDNSClass() {
        // Classified from libcurl's own code: no name is looked up, so no query leaves the machine.
        let failure = HTTPFailure(
            errorClass: HTTPClient.classify(CURLE_COULDNT_RESOLVE_HOST), message: "Could not resolve host: shop.invalid", timings: HTTPTimings())
        let result = ProbeEvaluator.evaluate(probe("top", "http://shop.invalid/"), .failure(failure))
        #expect(result.failure?.kind == .dns)
        #expect(result.summary.contains("dns: Could not resolve host"))
    }

    @Test(arguments: [(40, true), (5, false)])
    func certValidForComparesTheDaysLeft(daysLeft: Int, passes: Bool) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let response = HTTPResponse(
            status: 200, headers: [], body: [], bodyTruncated: false, effectiveURL: "https://shop.example/", redirectCount: 0,
            timings: HTTPTimings(), certificateExpiry: now.addingTimeInterval(Double(daysLeft) * 86_400))
        let expect = ConditionCase.expecting { $0.certValidFor = .seconds(14 * 86_400) }
        let result = ProbeEvaluator.evaluate(probe("top", "https://shop.example/", expect: expect), .success(response), now: now)
        #expect(result.passed == passes, "\(result.summary)")
        if !passes {
            #expect(result.failure?.expected == "valid for 14 days")
            #expect(result.failure?.actual == "5 days left")
        }
    }

    @Test func certValidForAsksCurlForTheCertificate() {
        let expect = ConditionCase.expecting { $0.certValidFor = .seconds(86_400) }
        #expect(ProbeEvaluator.request(for: probe("top", "https://shop.example/", expect: expect), url: "https://shop.example/").captureCertificate)
        #expect(!ProbeEvaluator.request(for: probe("top", "https://shop.example/"), url: "https://shop.example/").captureCertificate)
    }

    @Test func onlyACriticalProbeTakesTheChannelDown() async throws {
        sandbox.enqueue(ScriptedResponse(status: 500), forPath: "/reviews")
        let informs = try #require(
            await round.run([channel([probe("item", "/store/mall/item"), probe("reviews", "/reviews", critical: false)])]).first)
        #expect(informs.passed)
        #expect(informs.results.map(\.passed) == [true, false])
        sandbox.setMode(.maintenance, for: "mall")
        let down = try #require(await round.run([channel([probe("item", "/store/mall/item"), probe("reviews", "/reviews", critical: false)])]).first)
        #expect(!down.passed)
        #expect(down.evidence.map(\.probe) == ["item"])
        #expect(down.evidence.first?.failure?.expected == "no redirect to a maintenance page")
    }

    @Test func everyProbeSendsTheDetourUserAgent() async throws {
        _ = await round.run([channel([probe("a", "/ua/a"), probe("b", "/ua/b")])])
        #expect(sandbox.requests().filter { $0.path.hasPrefix("/ua/") }.allSatisfy { $0.header("user-agent") == "detour/test" })
    }
}
