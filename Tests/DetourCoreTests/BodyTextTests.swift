import DetourSandbox
import Foundation
import Testing

@testable import DetourCore

/// Pages in Japanese legacy encodings are read as the text they are, through the real client.
@Suite(.serialized)
final class BodyTextTests {
    let sandbox = SandboxServer()
    let client = HTTPClient(maxConcurrent: 8, userAgent: "detour/test")

    init() throws { try sandbox.start() }

    deinit {
        client.shutdown()
        sandbox.stop()
    }

    /// "買い物かご" and "メンテナンス中" in EUC-JP and Shift_JIS.
    static let cartEUC: [UInt8] = [0xC7, 0xE3, 0xA4, 0xA4, 0xCA, 0xAA, 0xA4, 0xAB, 0xA4, 0xB4]
    static let maintenanceEUC: [UInt8] = [0xA5, 0xE1, 0xA5, 0xF3, 0xA5, 0xC6, 0xA5, 0xCA, 0xA5, 0xF3, 0xA5, 0xB9, 0xC3, 0xE6]
    static let cartShiftJIS: [UInt8] = [0x94, 0x83, 0x82, 0xA2, 0x95, 0xA8, 0x82, 0xA9, 0x82, 0xB2]

    static func page(_ marker: [UInt8], meta: String = "") -> [UInt8] {
        Array("<html><head>\(meta)<title>shop</title></head><body><button>".utf8) + marker + Array("</button></body></html>".utf8)
    }

    static let cases: [(String, [SandboxHeader], [UInt8])] = [
        ("EUC-JP by Content-Type", [SandboxHeader("Content-Type", "text/html; charset=EUC-JP")], page(cartEUC)),
        ("Shift_JIS by Content-Type", [SandboxHeader("Content-Type", "text/html; charset=Shift_JIS")], page(cartShiftJIS)),
        ("Shift_JIS by meta tag", [SandboxHeader("Content-Type", "text/html")], page(cartShiftJIS, meta: "<meta charset=\"shift_jis\">")),
        (
            "EUC-JP by http-equiv meta", [SandboxHeader("Content-Type", "text/html")],
            page(cartEUC, meta: "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-jp\">")
        ),
        ("UTF-8", [SandboxHeader("Content-Type", "text/html; charset=utf-8")], page(Array("買い物かご".utf8))),
    ]

    let probe = Probe(
        name: "item", url: "", method: "GET", headers: [], timeout: .seconds(5),
        expect: Expectation(status: .range(2), bodyContains: ["買い物かご"], bodyNotContains: ["メンテナンス中"], maxLatency: nil), critical: true)

    @Test(arguments: cases)
    func aHealthyPageInAnyJapaneseEncodingContainsItsMarker(name: String, headers: [SandboxHeader], body: [UInt8]) async throws {
        sandbox.enqueue(ScriptedResponse(status: 200, headers: headers, bytes: body), forPath: "/item")
        var probe = probe
        probe.url = sandbox.baseURL + "/item"
        let result = ProbeEvaluator.evaluate(probe, await client.send(HTTPRequest(url: probe.url)))
        #expect(result.passed, "\(name): \(result.summary)")
    }

    @Test func aMaintenanceMarkerInEUCJPIsFound() async throws {
        let body = Self.page(Self.cartEUC + Self.maintenanceEUC)
        sandbox.enqueue(ScriptedResponse(status: 200, headers: [SandboxHeader("Content-Type", "text/html; charset=euc-jp")], bytes: body), forPath: "/item")
        var probe = probe
        probe.url = sandbox.baseURL + "/item"
        let result = ProbeEvaluator.evaluate(probe, await client.send(HTTPRequest(url: probe.url)))
        #expect(!result.passed)
        #expect(result.summary.contains("メンテナンス中"), "\(result.summary)")
    }

    @Test(arguments: [("abc", "b", true), ("abc", "abcd", false), ("", "a", false), ("aab", "ab", true), ("楽天市場", "市場", true), ("x", "", true)])
    func byteSearch(haystack: String, needle: String, found: Bool) {
        #expect(BodyText.contains(Array(haystack.utf8), Array(needle.utf8)) == found)
    }
}
