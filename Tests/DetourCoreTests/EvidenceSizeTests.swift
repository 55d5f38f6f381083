import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// A stranger's page cannot make the journal, the state or a notice huge: evidence has a size.
struct EvidenceSizeTests {
    static let hugeTitle = String(repeating: "メンテナンス中", count: 450_000)

    func response(body: String, headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "text/html; charset=utf-8")] + headers, body: Array(body.utf8), bodyTruncated: false,
            effectiveURL: "https://shop.example/", redirectCount: 0, timings: HTTPTimings(), certificateExpiry: nil)
    }

    func probe(_ change: (inout DetourCore.Expectation) -> Void) -> Probe {
        Probe(
            name: "item", url: "https://shop.example/", method: "GET", headers: [], timeout: .seconds(5), expect: ConditionCase.expecting(change),
            critical: true)
    }

    @Test func aHugeTitleIsCutTo200CharactersAndTheExcerptTo500() throws {
        let body = "<title>\(Self.hugeTitle)</title>"
        let missing = ProbeEvaluator.evaluate(probe { $0.bodyContains = ["買い物かご"] }, .success(response(body: body)))
        let actual = try #require(missing.failure?.actual)
        #expect(actual.count == ProbeEvaluator.titleLimit + 2, "the title, quoted")
        #expect(actual.hasPrefix("\"メンテナンス中") && actual.hasSuffix("…\""))

        let marker = String(repeating: "閉店", count: 1_000)
        let present = ProbeEvaluator.evaluate(probe { $0.bodyNotContains = [marker] }, .success(response(body: body + marker)))
        let failure = try #require(present.failure)
        for text in [failure.detail, failure.actual ?? "", failure.expected ?? ""] { #expect(text.count <= ProbeEvaluator.excerptLimit) }

        let header = ProbeEvaluator.evaluate(
            probe { $0.headers = [HeaderExpectation(name: "X-Shop", contains: "matcha")] },
            .success(response(body: "<title>ok</title>", headers: [HTTPHeader("X-Shop", String(repeating: "x", count: 16_000))])))
        #expect((header.failure?.actual?.count ?? 0) == ProbeEvaluator.excerptLimit)
    }

    @Test func incidentReasonRendersAtMost200Characters() throws {
        let folder = try TemporaryWorkspace()
        try folder.write("channels/mall.json5", #"{ name: "モール", kind: "mall", url: "https://mall.example/", probes: [{ url: "https://mall.example/" }] }"#)
        let workspace = try #require(WorkspaceLoader(root: folder.root, environment: [:]).load().workspace)
        let incident = Incident(id: "i-1", channel: "mall", trigger: .probe, by: nil, reason: "item: " + Self.hugeTitle, openedAt: Date())
        let context = TemplateContext(workspace: workspace, channel: workspace.channels[0], incident: incident)
        let reason = try context.resolve(["incident", "reason"], secrets: SecretResolver(environment: [:], workspaceRoot: folder.root)).textValue
        #expect(reason.count == TemplateContext.reasonLimit)
        #expect(reason.hasPrefix("item: メンテナンス中") && reason.hasSuffix("…"))
    }
}
