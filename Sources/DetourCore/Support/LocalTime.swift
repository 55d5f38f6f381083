import Foundation

/// Times as merchants and spreadsheets read them, in the workspace's time zone.
public enum LocalTime {
    /// `HH:mm:ss` in a time zone.
    public static func clock(_ date: Date, in timeZone: TimeZone) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }

    /// `2026-11-27T10:01:00+09:00`: RFC 3339 with the zone's offset (colon included).
    public static func iso8601(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let zone = offset == 0 ? "Z" : Self.offset(of: date, in: timeZone)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!) + zone
    }

    /// `+09:00`: the zone's offset from UTC at a moment (`+00:00` for UTC).
    public static func offset(of date: Date, in timeZone: TimeZone) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        return String(format: "%@%02d:%02d", sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
    }
}

extension LocalTime {
    /// Reads `2026-12-04T20:00:00+09:00`, `2026-12-04T20:00+09:00`, `2026-12-04T20:00` or `2026-12-04`;
    /// times without an offset are in `timeZone`. Full-width digits and signs (`２０２６-12-04`, `+０９:００`) are read as ASCII.
    public static func parse(_ text: String, in timeZone: TimeZone) -> Date? {
        // [0-9], not \d: \d also matches Arabic-Indic and other digits that Int() cannot read.
        let pattern = #/^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/#
        guard let match = HalfWidth.normalise(text).wholeMatch(of: pattern), let year = Int(match.1), let month = Int(match.2),
            let day = Int(match.3)
        else { return nil }
        let hour = match.4.flatMap { Int($0) } ?? 0
        let minute = match.5.flatMap { Int($0) } ?? 0
        let second = match.6.flatMap { Int($0) } ?? 0
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var zone = timeZone
        if let offset = match.7, offset != "Z" {
            let digits = offset.dropFirst().filter { $0 != ":" }
            guard let hours = Int(digits.prefix(2)), let minutes = Int(digits.suffix(2)), hours < 24, minutes < 60,
                let fixed = TimeZone(secondsFromGMT: (hours * 3600 + minutes * 60) * (offset.hasPrefix("-") ? -1 : 1))
            else { return nil }
            zone = fixed
        } else if match.7 != nil {
            zone = TimeZone(secondsFromGMT: 0) ?? timeZone
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day else { return nil }
        return date
    }
}
