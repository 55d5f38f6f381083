import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) read in a time zone.
///
/// Fields take `*`, numbers, ranges `1-5`, lists `1,15`, steps `*/10` or `8-18/2`, and names
/// for months (`jan`) and weekdays (`mon`; 0 and 7 are Sunday). As in Vixie cron, when both
/// day fields are restricted a time matches either.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    private let weekdays: Set<Int>
    private let daysRestricted: Bool
    private let weekdaysRestricted: Bool
    /// The expression as written.
    public let description: String

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Parses an expression; the error says which field is wrong and how to write it.
    public init(_ text: String) throws(CronError) {
        let fields = HalfWidth.normalise(text).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(.text("check.cron.fields", ["text": text, "count": "\(fields.count)"]))
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        days = try Self.field(fields[2], name: "day of month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstNameValue: 1)
        var weekdays = try Self.field(fields[4], name: "weekday", range: 0...7, names: Self.weekdayNames)
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        self.weekdays = weekdays
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
        description = text
        if daysRestricted, !weekdaysRestricted, !days.contains(where: { day in months.contains { day <= Self.longestMonth[$0 - 1] } }) {
            let monthList = months.sorted().map { Self.monthNames[$0 - 1] }.joined(separator: ", ")
            throw CronError(
                .text("check.cron.never", ["text": text, "months": monthList, "days": days.sorted().map(String.init).joined(separator: ", ")]))
        }
    }

    /// The most days each month can have (February: 29, in leap years).
    private static let longestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// Whether the minute containing `date` matches.
    public func matches(_ date: Date, in calendar: Calendar) -> Bool {
        let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard minutes.contains(c.minute!), hours.contains(c.hour!), months.contains(c.month!) else { return false }
        return dayMatches(day: c.day!, weekday: c.weekday! - 1)
    }

    /// The first matching minute strictly after `date`, within five years.
    public func next(after date: Date, in calendar: Calendar) -> Date? {
        guard var candidate = calendar.dateInterval(of: .minute, for: date)?.end else { return nil }
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while candidate < limit {
            let c = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: candidate)
            // Skip whole months, days and hours that cannot match instead of walking minute by minute.
            if !months.contains(c.month!) {
                candidate = calendar.dateInterval(of: .month, for: candidate)!.end
            } else if !dayMatches(day: c.day!, weekday: c.weekday! - 1) {
                candidate = calendar.dateInterval(of: .day, for: candidate)!.end
            } else if !hours.contains(c.hour!) {
                candidate = calendar.dateInterval(of: .hour, for: candidate)!.end
            } else if !minutes.contains(c.minute!) {
                candidate = candidate.addingTimeInterval(60)
            } else {
                return candidate
            }
        }
        return nil
    }

    /// The latest matching minute in `(date - window, date]`, if any.
    public func latest(atOrBefore date: Date, within window: Duration, in calendar: Calendar) -> Date? {
        guard var minute = calendar.dateInterval(of: .minute, for: date)?.start else { return nil }
        let earliest = date.addingTimeInterval(-window.timeInterval)
        while minute > earliest {
            if matches(minute, in: calendar) { return minute }
            minute = minute.addingTimeInterval(-60)
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): days.contains(day) || weekdays.contains(weekday)
        case (true, false): days.contains(day)
        case (false, true): weekdays.contains(weekday)
        case (false, false): true
        }
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], firstNameValue: Int = 0) throws(CronError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw fieldError(text, name, range) }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else { throw fieldError(text, name, range) }
                step = value
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2, let low = value(ends[0], names, firstNameValue) else { throw fieldError(text, name, range) }
                let high = ends.count == 2 ? value(ends[1], names, firstNameValue) : (pieces.count == 2 ? range.upperBound : low)
                guard let high, low <= high, range.contains(low), range.contains(high) else { throw fieldError(text, name, range) }
                bounds = low...high
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, _ names: [String], _ firstNameValue: Int) -> Int? {
        if let number = Int(text) { return number }
        return names.firstIndex(of: text.lowercased()).map { $0 + firstNameValue }
    }

    private static func fieldError(_ text: String, _ name: String, _ range: ClosedRange<Int>) -> CronError {
        let field: Message =
            switch name {
            case "minute": .text("check.cron.minute")
            case "hour": .text("check.cron.hour")
            case "day of month": .text("check.cron.day")
            case "month": .text("check.cron.month")
            default: .text("check.cron.weekday")
            }
        return CronError(
            .text(
                "check.cron.field",
                values: [
                    "field": .message(field), "text": .plain(text), "low": .plain("\(range.lowerBound)"), "high": .plain("\(range.upperBound)"),
                ]))
    }
}

/// A cron expression that cannot be read.
public struct CronError: LocalizableDetourError {
    /// What is wrong and how to write it, in English.
    public var message: String
    /// The same as a catalog message.
    public var text: Message?
    /// The message.
    public var description: String { message }

    /// Creates an error from a catalog message; its English text is `message`.
    init(_ text: Message) {
        message = text.rendered(by: .english)
        self.text = text
    }
}
