/// Reads and writes durations the way merchants write them: `30s`, `5m`, `1h30m`, `500ms`, `2d`.
public enum DurationText {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// The longest duration a workspace or a command takes: 366 days.
    public static let longest = Duration.seconds(366 * 86_400)

    /// Parses `1h30m`-style text (full-width digits too); nil when it is not a duration.
    ///
    /// Never overflows: a sum past what a duration holds saturates, and callers check against
    /// `longest` to say it is too long.
    public static func parse(_ text: String) -> Duration? {
        let scalars = Array(HalfWidth.normalise(text).trimmingCharacters(in: .whitespaces).unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        var total: Int64 = 0
        var index = 0
        while index < scalars.count {
            var digits = ""
            while index < scalars.count, ("0"..."9").contains(scalars[index]) {
                digits.unicodeScalars.append(scalars[index])
                index += 1
            }
            var unit = ""
            while index < scalars.count, ("a"..."z").contains(scalars[index]) {
                unit.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard let value = Int64(digits), value < 1_000_000_000,
                let factor = units.first(where: { $0.suffix == unit })?.milliseconds
            else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(value * factor)
            total = overflow ? .max : sum
        }
        return .milliseconds(total)
    }

    /// The shortest exact text for a duration (`90s` → `1m30s`).
    public static func format(_ duration: Duration) -> String {
        var remaining = duration.milliseconds
        if remaining == 0 { return "0s" }
        var text = ""
        for (suffix, factor) in units.reversed() where remaining >= factor {
            text += "\(remaining / factor)\(suffix)"
            remaining %= factor
        }
        return text
    }

    /// The advice shown when a duration cannot be read.
    static let advice = "write a number and a unit, like \"30s\", \"5m\", \"1h30m\" (units: ms, s, m, h, d)"

    /// The problem with a duration that parses but is too long.
    public static func tooLong(_ text: String) -> String {
        "\"\(text)\" is longer than 366 days, the longest duration Detour takes; write at most \"366d\""
    }
}

extension Duration {
    /// Whole milliseconds, saturated at the ends of `Int64` rather than trapping.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? .max : total
    }

    /// Seconds as a floating-point number, for arithmetic with `Date`.
    public var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
