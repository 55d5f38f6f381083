import DetourCore
import Foundation
import Testing

/// Every wait a provider can ask for, read without overflow and cut to an hour.
struct RetryAfterTests {
    /// 2026-12-02T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_796_169_600)

    /// One header value, how it is read, and the wait expected (nil: not a wait).
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var source: RetryAfter.Source
        var expected: Duration?
        var testDescription: String { "\(source) \"\(text)\"" }
    }

    static let hour: Duration = .seconds(3_600)

    static let cases: [Case] = [
        Case(text: "25", source: .retryAfterHeader, expected: .seconds(25)),
        Case(text: " 2 ", source: .retryAfterHeader, expected: .seconds(2)),
        Case(text: "1.5", source: .retryAfterHeader, expected: .milliseconds(1_500)),
        Case(text: "0", source: .retryAfterHeader, expected: .zero),
        Case(text: "3600", source: .retryAfterHeader, expected: hour),
        Case(text: "3601", source: .retryAfterHeader, expected: hour),
        Case(text: "999999999999999999999", source: .retryAfterHeader, expected: hour),
        Case(text: "9223372036854775807", source: .retryAfterHeader, expected: hour),
        Case(text: "1e300", source: .retryAfterHeader, expected: hour),
        Case(text: "1e400", source: .retryAfterHeader, expected: hour),
        Case(text: "inf", source: .retryAfterHeader, expected: hour),
        Case(text: "infinity", source: .retryAfterHeader, expected: hour),
        Case(text: "nan", source: .retryAfterHeader, expected: nil),
        Case(text: "-nan", source: .retryAfterHeader, expected: nil),
        Case(text: "-5", source: .retryAfterHeader, expected: nil),
        Case(text: "-inf", source: .retryAfterHeader, expected: nil),
        Case(text: "", source: .retryAfterHeader, expected: nil),
        Case(text: "soon", source: .retryAfterHeader, expected: nil),
        Case(text: String(repeating: "9", count: 100_000), source: .retryAfterHeader, expected: nil),
        Case(text: "Wed, 02 Dec 2026 00:00:30 GMT", source: .retryAfterHeader, expected: .seconds(30)),
        Case(text: "Tue, 01 Dec 2026 23:00:00 GMT", source: .retryAfterHeader, expected: .zero),
        Case(text: "Fri, 31 Dec 9999 23:59:59 GMT", source: .retryAfterHeader, expected: hour),
        Case(text: "Wednesday, 02-Dec-26 00:01:00 GMT", source: .retryAfterHeader, expected: .seconds(60)),
        Case(text: "Wed Dec  2 00:00:10 2026", source: .retryAfterHeader, expected: .seconds(10)),
        Case(text: "Wed, 99 Foo 2026 00:00:30 GMT", source: .retryAfterHeader, expected: nil),
        Case(text: "60", source: .rateLimitReset, expected: .seconds(60)),
        Case(text: "1796169690", source: .rateLimitReset, expected: .seconds(90)),
        Case(text: "1796160000", source: .rateLimitReset, expected: .zero),
        Case(text: "99999999999999999999", source: .rateLimitReset, expected: hour),
        Case(text: "1e300", source: .rateLimitReset, expected: hour),
        Case(text: "inf", source: .rateLimitReset, expected: hour),
        Case(text: "-inf", source: .rateLimitReset, expected: .zero),
        Case(text: "-100", source: .rateLimitReset, expected: .zero),
        Case(text: "nan", source: .rateLimitReset, expected: nil),
        Case(text: "0.25", source: .seconds, expected: .milliseconds(250)),
        Case(text: "1e300", source: .seconds, expected: hour),
        Case(text: "nan", source: .seconds, expected: nil),
        Case(text: "-1", source: .seconds, expected: nil),
    ]

    @Test(arguments: cases)
    func aWaitIsReadFiniteAndWithinAnHour(_ example: Case) {
        let wait = RetryAfter.parse(example.text, as: example.source, now: Self.now)
        #expect(wait == example.expected)
        if let wait { #expect(wait >= .zero && wait <= RetryAfter.maximum) }
    }

    @Test func jsonNumbersOfAnySizeAreRead() throws {
        let body = #"{"a": 1e300, "b": 999999999999999999999999, "c": 0.5, "d": -3, "e": "12", "f": true, "g": null}"#
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(RetryAfter.seconds(json: json["a"], now: Self.now) == Self.hour)
        #expect(RetryAfter.seconds(json: json["b"], now: Self.now) == Self.hour)
        #expect(RetryAfter.seconds(json: json["c"], now: Self.now) == .milliseconds(500))
        #expect(RetryAfter.seconds(json: json["d"], now: Self.now) == nil)
        #expect(RetryAfter.seconds(json: json["e"], now: Self.now) == .seconds(12))
        #expect(RetryAfter.seconds(json: json["g"], now: Self.now) == nil)
        #expect(RetryAfter.seconds(json: nil, now: Self.now) == nil)
    }

    @Test(arguments: [Double.infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-300, 3_599.9999])
    func clampNeverTraps(_ seconds: Double) {
        let wait = RetryAfter.clamp(seconds: seconds)
        if seconds.isNaN {
            #expect(wait == nil)
        } else {
            let wait = try? #require(wait)
            #expect(wait.map { $0 >= .zero && $0 <= RetryAfter.maximum } == true)
        }
    }
}
