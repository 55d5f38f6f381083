import Foundation

/// What selling on a channel is worth over a period: perHour × hour-of-day factor × weekday
/// factor × the largest sale multiplier running, integrated piece by piece.
public struct RevenueModel: Sendable {
    /// Sale events.
    public var calendar: WorkspaceCalendar
    /// The zone hours and weekdays are read in.
    public var timeZone: TimeZone
    /// A sale multiplier that holds throughout (the one journaled when an incident opened) instead of the calendar's.
    public var fixedMultiplier: Double? = nil

    /// The default share of lost sales an alternate wins back when the channel sets none.
    public static let defaultRecaptureRate = 0.2

    /// Creates a model.
    public init(calendar: WorkspaceCalendar, timeZone: TimeZone) {
        self.calendar = calendar
        self.timeZone = timeZone
    }

    /// Revenue per hour of a channel at an instant.
    public func rate(_ revenue: Revenue, channel: String, at time: Date) -> Double {
        let local = time.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: time))
        let hour = Int(saturating: floorMod(floor(local / 3600), 24))
        // 1970-01-01 was a Thursday: index 3 when Monday is 0.
        let weekday = Int(saturating: floorMod(floor(local / 86_400) + 3, 7))
        let hourFactor = revenue.byHour?[hour] ?? 1
        let dayFactor = revenue.byWeekday?[weekday] ?? 1
        return revenue.perHour * hourFactor * dayFactor * (fixedMultiplier ?? calendar.multiplier(channel: channel, at: time))
    }

    /// Revenue of a channel between two instants.
    public func amount(_ revenue: Revenue, channel: String, from: Date, to: Date) -> Double {
        guard to > from else { return 0 }
        let cuts = saleBoundaries(channel: channel, from: from, to: to)
        var total = 0.0
        var start = from
        var cutIndex = 0
        while start < to {
            var end = min(to, nextHour(after: start))
            while cutIndex < cuts.count, cuts[cutIndex] <= start { cutIndex += 1 }
            if cutIndex < cuts.count { end = min(end, cuts[cutIndex]) }
            total += rate(revenue, channel: channel, at: start) * end.timeIntervalSince(start) / 3_600
            start = end
        }
        return total
    }

    /// The share of lost sales the alternates win back: each alternate's rate, capped at all of it.
    public static func recaptureShare(_ revenue: Revenue?, alternates: [String]) -> Double {
        min(1, alternates.reduce(0) { $0 + (revenue?.recapture[$1] ?? defaultRecaptureRate) })
    }

    private func saleBoundaries(channel: String, from: Date, to: Date) -> [Date] {
        guard fixedMultiplier == nil else { return [] }
        return calendar.sales(for: channel, overlapping: from, to).flatMap { [$0.from, $0.to] }.filter { $0 > from && $0 < to }.sorted()
    }

    private func nextHour(after time: Date) -> Date {
        let offset = Double(timeZone.secondsFromGMT(for: time))
        let local = time.timeIntervalSince1970 + offset
        return Date(timeIntervalSince1970: (floor(local / 3600) + 1) * 3600 - offset)
    }

    private func floorMod(_ value: Double, _ modulus: Double) -> Double {
        let remainder = value.truncatingRemainder(dividingBy: modulus)
        return remainder < 0 ? remainder + modulus : remainder
    }
}
