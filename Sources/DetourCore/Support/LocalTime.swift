import Foundation

/// Times as merchants and spreadsheets read them, in the workspace's time zone.
public enum LocalTime {
    /// `2026-11-27T10:01:00+09:00`: RFC 3339 with the zone's offset (colon included).
    public static func iso8601(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let zone = offset == 0 ? "Z" : String(format: "%@%02d:%02d", sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!) + zone
    }
}

extension LocalTime {
    /// Reads `2026-12-02T06:00:00+09:00` or `2026-12-02T06:00+09:00`; nil when it is neither.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        // Allow minutes without seconds, as merchants write maintenance windows.
        if let match = text.firstMatch(of: /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})([+-]\d{2}:\d{2}|Z)$/) {
            return try? Date.ISO8601FormatStyle().parse("\(match.1):00\(match.2)")
        }
        return nil
    }
}
