import Foundation

/// How long a provider asked to wait, read from whatever it sent without ever overflowing.
///
/// Every wait comes out finite and within `0...maximum`; the engine clamps it further to the step's budget.
/// A value that is not a wait at all (`nan`, a word, a negative number of seconds) reads as nil, so the
/// step's own backoff applies.
public enum RetryAfter {
    /// The longest wait a provider can ask for; anything longer (`1e300`, `inf`, a date in year 9999) is cut to this.
    public static let maximum: Duration = .seconds(3_600)

    /// Where a wait was read from, each with its own format.
    public enum Source: Sendable, Equatable {
        /// `Retry-After`: a number of seconds, or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
        case retryAfterHeader
        /// `x-rate-limit-reset` / `X-RateLimit-Reset`: seconds to wait when small, a Unix time when large (X).
        case rateLimitReset
        /// A number of seconds in a JSON body (Discord's `retry_after`).
        case seconds
    }

    /// The wait `text` asks for, read as `source` says, at `now`; nil when it is not a wait.
    public static func parse(_ text: String, as source: Source, now: Date) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // A real header is a few characters; a megabyte of digits is not worth converting.
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else { return nil }
        switch source {
        case .retryAfterHeader:
            if let seconds = Double(trimmed) { return seconds < 0 ? nil : clamp(seconds: seconds) }
            guard let date = httpDate(trimmed) else { return nil }
            return clamp(seconds: date.timeIntervalSince(now))
        case .rateLimitReset:
            guard let reset = Double(trimmed) else { return nil }
            // Small values are seconds to wait (SendGrid style), large ones Unix times (X).
            return clamp(seconds: reset > 1_000_000_000 ? reset - now.timeIntervalSince1970 : reset)
        case .seconds:
            guard let seconds = Double(trimmed), seconds >= 0 else { return nil }
            return clamp(seconds: seconds)
        }
    }

    /// A JSON number (or numeric string) of seconds, as `JSONSerialization` hands it over; nil when it is not one.
    public static func seconds(json value: Any?, now: Date) -> Duration? {
        switch value {
        case let number as NSNumber:
            // NSNumber covers Int, Double and the arbitrary-precision numbers JSONSerialization makes of huge literals.
            let seconds = number.doubleValue
            return seconds < 0 ? nil : clamp(seconds: seconds)
        case let text as String:
            return parse(text, as: .seconds, now: now)
        default:
            return nil
        }
    }

    /// `seconds` as a duration within `0...maximum`; nil for NaN. Past times (negative) wait nothing.
    public static func clamp(seconds: Double) -> Duration? {
        guard !seconds.isNaN else { return nil }
        let limit = Double(maximum.components.seconds)
        // Compared as doubles before any integer conversion, so no value can trap.
        let bounded = min(max(seconds, 0), limit)
        return .milliseconds(Int64((bounded * 1_000).rounded(.up)))
    }

    /// An HTTP date in any of the three forms RFC 9110 §5.6.7 lets a recipient accept.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
