import Foundation
import Testing

@testable import DetourCore

/// Durations, times, amounts and patterns from hostile text: read or refused, never a trap.
struct NumberTextTests {
    @Test(
        arguments: [
            ("５ｍ", 300_000), ("１ｈ３０ｍ", 5_400_000), ("３０s", 30_000), ("366d", 31_622_400_000), ("999999999d", 86_399_999_913_600_000),
        ] as [(String, Int64)])
    func readsFullWidthAndLongDurations(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["9223372036854775807ms", "1000000000s", "1e3s", "٥m", "5ｍｓｓ", "　", "5m-3s"])
    func refusesDurationsItCannotHold(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func theLongestDurationIs366Days() {
        #expect(DurationText.parse(String(repeating: "999999999d", count: 200))! > DurationText.longest, "saturates, never wraps")
        #expect(DurationText.parse("366d")! <= DurationText.longest)
        #expect(DurationText.parse("366d1ms")! > DurationText.longest)
        #expect(DurationText.tooLong("400d").contains("366d"))
    }

    @Test(arguments: [
        ("２０２６-12-04", "2026-12-03T15:00:00Z"),
        ("2026-12-04T20:00+０９:００", "2026-12-04T11:00:00Z"),
        ("２０２６－１２－０４Ｔ２０：００＋０９：００", "2026-12-04T11:00:00Z"),
        ("2026-12-04T20:00-0130", "2026-12-04T21:30:00Z"),
    ])
    func readsFullWidthTimes(text: String, utc: String) throws {
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(LocalTime.parse(text, in: tokyo) == LocalTime.parse(utc, in: .gmt))
    }

    @Test(arguments: [
        "2026-12-04T20:00+٠٩:٠٠", "٢٠٢٦-12-04", "2026-12-04T20:00+99:00", "2026-12-04T20:00+09:99", "2026-02-29", "2026-12-04T24:00",
        "0000-00-00", "2026-12-04T20:00+", "+2026-12-04", "2026-12-04T20:00:00.+09:00",
    ])
    func refusesTimesThatAreNotTimes(text: String) {
        #expect(LocalTime.parse(text, in: .gmt) == nil)
    }

    @Test(
        arguments: [
            (Double.nan, 0), (.infinity, Int64.max), (-.infinity, Int64.min), (1e20, Int64.max), (-1e20, Int64.min), (9.3e18, Int64.max),
            (42.9, 42), (-42.9, -42),
        ] as [(Double, Int64)])
    func saturatingConversionNeverTraps(value: Double, expected: Int64) {
        #expect(Int64(saturating: value) == expected)
        #expect(Int(saturating: value) == Int(expected))
    }

    @Test(
        arguments: [
            (1e20, "JPY", "¥9,223,372,036,854,775,807"), (9.3e18 * 2, "JPY", "¥9,223,372,036,854,775,807"),
            (-1e20, "USD", "-$92,233,720,368,547,758.08"), (.infinity, "JPY", "¥9,223,372,036,854,775,807"), (.nan, "EUR", "€0.00"),
            (1.5e308, "USD", "$92,233,720,368,547,758.07"), (-0.004, "USD", "$0.00"), (-1.5, "USD", "-$1.50"),
        ] as [(Double, String, String)])
    func moneySaturatesInsteadOfTrapping(amount: Double, currency: String, expected: String) {
        #expect(Money.format(amount, currency: currency) == expected)
    }

    @Test func moneySumsSaturateAndRoundToWholeUnitsHalfAwayFromZero() {
        let most = Money(minorUnits: .max, currency: "JPY")
        #expect(most + Money(minorUnits: 1, currency: "JPY") == most)
        #expect(Money(minorUnits: .min, currency: "JPY") + Money(minorUnits: -1, currency: "JPY") == Money(minorUnits: .min, currency: "JPY"))
        #expect(Money(minorUnits: 150, currency: "USD").wholeUnits == 2)
        #expect(Money(minorUnits: 149, currency: "USD").wholeUnits == 1)
        #expect(Money(minorUnits: -150, currency: "USD").wholeUnits == -2)
        #expect(Money(minorUnits: 128_000, currency: "JPY").wholeUnits == 128_000)
        #expect(Money(1234.5, currency: "JPY").minorUnits == 1235)
    }

    @Test(arguments: [1e20, .infinity, .nan, -1, 1e300])
    func elapsedTimesNeverTrap(seconds: Double) {
        #expect(!Elapsed.text(seconds).isEmpty)
    }

    @Test(arguments: [
        ("(x+)+", true), ("(x*)*", true), (#"(\d+,?)+円"#, true), ("(?:a+b)*c", true), ("((ab)+)+", true), ("(a+){2,}", true),
        ("(?<n>a+)+", true), ("(a|b+)*", true),
        (#"[\d,]+円"#, false), (#"\d+,\d+"#, false), ("(ab)+", false), ("(a+)?", false), ("(a{1,3})+", false), (#"\(a+\)+"#, false),
        ("[(a+)]+", false), ("(?:https?://)+", false), ("在庫あり", false), ("", false), ("(((", false), (")))+", false), ("{,}+", false),
    ])
    func spotsNestedQuantifiers(pattern: String, risky: Bool) {
        #expect(PatternRisk.hasNestedQuantifier(pattern) == risky)
    }

    @Test(arguments: [
        ("0 0 31 2 *", false), ("0 0 30 2 *", false), ("0 0 31 4,6,9,11 *", false), ("0 0 30,31 2 *", false),
        ("0 0 29 2 *", true), ("0 0 31 2,3 *", true), ("0 0 31 2 mon", true), ("０ ８ * * *", true),
    ])
    func cronExpressionsThatNeverFireAreErrors(expression: String, fires: Bool) throws {
        if fires {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = .gmt
            let cron = try CronExpression(expression)
            #expect(cron.next(after: Date(timeIntervalSince1970: 1_795_742_100), in: calendar) != nil)
        } else {
            #expect(throws: CronError.self) { try CronExpression(expression) }
        }
    }

    @Test(arguments: [
        ("Retry-After", "999999999999999999999"), ("Retry-After", "inf"), ("Retry-After", "1e300"), ("Retry-After", "nan"),
        ("x-rate-limit-reset", "1e300"), ("x-rate-limit-reset", "-1e300"), ("x-rate-limit-reset", "nan"),
    ])
    func providerWaitHeadersNeverTrap(header: String, value: String) {
        let response = HTTPResponse(
            status: 429, headers: [HTTPHeader(header, value)], body: [], bodyTruncated: false, effectiveURL: "http://127.0.0.1/", redirectCount: 0,
            timings: HTTPTimings(dns: .zero, connect: .zero, tls: .zero, firstByte: .zero, total: .zero), certificateExpiry: nil)
        let wait = AnswerReading.retryAfter(response, now: Date(timeIntervalSince1970: 1_795_742_100))
        #expect(wait.map { $0 >= .zero } ?? true)
    }

    @Test func fullWidthNumbersParseInJSON5() throws {
        let node = try JSON5.parse("{ a: ８００００, b: －１．５, c: １ｅ３ }", file: "x.json5")
        #expect(node.plainValue == .object([("a", .number(80_000)), ("b", .number(-1.5)), ("c", .number(1_000))]))
        #expect(throws: JSON5SyntaxError.self) { try JSON5.parse("{ a: １２：００ }", file: "x.json5") }
    }
}

/// `bodyMatches` runs within what is left of the probe's timeout, however the pattern backtracks.
struct PatternDeadlineTests {
    static let digits = String(repeating: "1", count: 40) + " 円ではない"

    func response(_ body: String, took latency: Duration) -> HTTPResponse {
        HTTPResponse(
            status: 200, headers: [], body: Array(body.utf8), bodyTruncated: false, effectiveURL: "http://127.0.0.1/", redirectCount: 0,
            timings: HTTPTimings(dns: .zero, connect: .zero, tls: .zero, firstByte: latency, total: latency), certificateExpiry: nil)
    }

    @Test(arguments: [#"(\d+,?)+円"#, "(1*)*2", "(1|1)*2"])
    func aBacktrackingPatternFailsTheProbeAtItsTimeout(pattern: String) {
        var expect = Expectation(status: .range(2), bodyContains: [], bodyNotContains: [], maxLatency: nil)
        expect.bodyMatches = [pattern]
        let probe = Probe(name: "item", url: "http://127.0.0.1/", method: "GET", headers: [], timeout: .milliseconds(500), expect: expect, critical: true)
        let started = ContinuousClock.now
        let result = ProbeEvaluator.evaluate(probe, .success(response(Self.digits, took: .milliseconds(200))))
        let spent = ContinuousClock.now - started
        #expect(spent < .seconds(1), "took \(spent)")
        #expect(result.failure?.detail.contains("bodyMatches took longer than the probe's timeout (500ms)") == true, "\(String(describing: result.failure))")
    }

    @Test func aQuickPatternStillMatchesAndFails() {
        let deadline = ContinuousClock.now + .seconds(1)
        #expect(ProbeEvaluator.matches(#"[\d,]+円"#, in: "価格 1,980円", deadline: deadline) == true)
        #expect(ProbeEvaluator.matches(#"[\d,]+円"#, in: Self.digits, deadline: deadline) == false)
        #expect(ProbeEvaluator.matches("a", in: "a", deadline: ContinuousClock.now - .seconds(1)) == true, "a match found is a match, even late")
    }
}
