import Foundation
import Testing

@testable import DetourCore

/// Five-field cron expressions in the workspace's time zone.
struct CronExpressionTests {
    var tokyo: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        return calendar
    }

    func time(_ text: String) -> Date { LocalTime.parse(text + "+09:00", in: .gmt)! }

    @Test(arguments: [
        ("0 8 * * *", "2026-11-25T07:59", "2026-11-25T08:00"),
        ("0 8 * * *", "2026-11-25T08:00", "2026-11-26T08:00"),
        ("*/15 * * * *", "2026-11-25T08:01", "2026-11-25T08:15"),
        ("30 9 * * mon-fri", "2026-11-27T10:00", "2026-11-30T09:30"),  // Friday → Monday
        ("0 0 1 jan *", "2026-11-25T00:00", "2027-01-01T00:00"),
        ("0 12 13 * 5", "2026-11-25T00:00", "2026-11-27T12:00"),  // day 13 or a Friday (Vixie OR)
        ("0 0 * * 7", "2026-11-25T00:00", "2026-11-29T00:00"),  // 7 is Sunday
        ("0 9-18/3 * * *", "2026-11-25T12:30", "2026-11-25T15:00"),
    ])
    func nextFiring(expression: String, after: String, expected: String) throws {
        let cron = try CronExpression(expression)
        #expect(cron.next(after: time(after), in: tokyo) == time(expected))
        #expect(cron.matches(time(expected), in: tokyo))
    }

    @Test func latestLooksBackOnlyWithinTheWindow() throws {
        let cron = try CronExpression("0 8 * * *")
        #expect(cron.latest(atOrBefore: time("2026-11-25T08:04"), within: .seconds(300), in: tokyo) == time("2026-11-25T08:00"))
        #expect(cron.latest(atOrBefore: time("2026-11-25T08:06"), within: .seconds(300), in: tokyo) == nil)
    }

    @Test(arguments: [
        ("0 8 * *", "has 4 fields"), ("60 * * * *", "minute field \"60\""), ("0 25 * * *", "hour field"),
        ("0 8 * foo *", "month field"), ("*/0 * * * *", "minute field"), ("5-1 * * * *", "minute field"),
    ])
    func rejectsBadExpressions(expression: String, fragment: String) {
        #expect {
            try CronExpression(expression)
        } throws: { error in
            (error as? CronError)?.message.contains(fragment) == true
        }
    }
}
