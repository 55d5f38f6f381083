import Foundation
import Testing

@testable import DetourCore

/// Durations, money, templates, secrets masking and journal lines.
struct SupportTests {
    @Test(
        arguments: [
            ("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("500ms", 500), ("2d", 172_800_000),
        ] as [(String, Int64)])
    func parsesDurations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text)?.milliseconds == milliseconds)
        #expect(DurationText.format(.milliseconds(milliseconds)) == text)
    }

    @Test(arguments: ["", "1 minute", "5", "m", "1x", "-3s"])
    func rejectsNonDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(
        arguments: [
            (1_234_567.4, "JPY", "¥1,234,567"), (999, "JPY", "¥999"), (0, "JPY", "¥0"), (1234.5, "USD", "$1,234.50"),
        ] as [(Double, String, String)])
    func formatsMoney(amount: Double, currency: String, expected: String) {
        #expect(Money.format(amount, currency: currency) == expected)
    }

    @Test func templatesRenderIntoJSONValuesNotText() throws {
        let template = try Template.parse("{{channel.name}}で障害: \"{{x}}\"").get()
        let value = template.render { path in path == ["x"] ? .string("a\"b") : .string("楽天") }
        #expect(value == .string("楽天で障害: \"a\"b\""))
        #expect(JSONValue.object([("text", value)]).jsonText == #"{"text":"楽天で障害: \"a\"b\""}"#)
        let lone = try Template.parse("{{n}}").get()
        #expect(lone.render { _ in .number(3) } == .number(3))
    }

    @Test(arguments: ["{{channel.name", "{{}}", "a {{ .x}}"])
    func rejectsBrokenPlaceholders(text: String) {
        #expect(throws: TemplateSyntaxError.self) { try Template.parse(text).get() }
    }

    @Test func redactorMasksEveryResolvedSecret() throws {
        let resolver = SecretResolver(environment: ["TOKEN": "s3cr3t-value"], workspaceRoot: "/")
        #expect(try resolver.resolve(.environment("TOKEN")) == "s3cr3t-value")
        #expect(resolver.redactor.mask("Bearer s3cr3t-value!") == "Bearer ••••!")
        #expect(throws: SecretError.self) { try resolver.resolve(.environment("MISSING")) }
    }

    @Test func journalLinesStartWithTimeAndTypeAndRoundTrip() throws {
        let record = JournalRecord(
            ts: Date(timeIntervalSince1970: 1_800_000_000.25),
            event: .stepFinished(
                StepFinished(incident: "i", step: "p/s", phase: .failover, attempt: 1, outcome: .succeeded, status: 200, error: nil, durationMs: 12)))
        let line = try JournalCoding.encode(record)
        #expect(line.hasPrefix(#"{"ts":"2027-01-15T08:00:00.250Z","type":"step.finished","#))
        #expect(try JournalCoding.decode(Data(line.utf8)) == record)
    }

    @Test func redirectKeepsTheOriginalHostInThePath() {
        let redirect = URLRedirect(base: "http://127.0.0.1:8080")
        #expect(redirect.apply("https://api.line.me/v2/bot/message/broadcast?x=1") == "http://127.0.0.1:8080/ext/api.line.me/v2/bot/message/broadcast?x=1")
        #expect(redirect.apply("http://127.0.0.1:8080/store/a") == "http://127.0.0.1:8080/store/a")
    }

    @Test func tablesAlignJapaneseText() {
        let table = TextTable.render([["a", "b"], ["楽天", "x"]])
        #expect(table == "a     b\n楽天  x\n")
    }
}

/// How much of a page a probe keeps.
struct ProbeRequestTests {
    func probe(_ expect: DetourCore.Expectation) -> Probe {
        Probe(name: "p", url: "http://127.0.0.1:9/", method: "GET", headers: [], timeout: .seconds(5), expect: expect, critical: true)
    }

    @Test func onlyProbesThatReadTheBodyKeepWholePages() {
        let statusOnly = DetourCore.Expectation(status: .range(2), bodyContains: [], bodyNotContains: [], maxLatency: nil)
        var withMarker = statusOnly
        withMarker.bodyContains = ["買い物かご"]
        #expect(ProbeEvaluator.request(for: probe(statusOnly), url: "http://127.0.0.1:9/").maxBodyBytes == 64 << 10)
        #expect(ProbeEvaluator.request(for: probe(withMarker), url: "http://127.0.0.1:9/").maxBodyBytes == 4 << 20)
    }
}
