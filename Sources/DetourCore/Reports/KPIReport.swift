import Foundation

/// Incident KPIs per channel and period (`detour report --kpi`): outages, availability, the mean
/// times to detect, acknowledge, mitigate and recover, unmitigated minutes, and the money.
public struct KPIReport: Sendable {
    /// Calendar months or weeks (Monday to Sunday), in the workspace's time zone.
    public enum Period: String, Sendable, CaseIterable {
        case month, week
    }

    /// One channel in one period.
    public struct Row: Sendable, Equatable {
        /// The channel id.
        public var channel: String
        /// Its name.
        public var name: String
        /// `2026-11` or `2026-W48`.
        public var period: String
        /// When the period starts.
        public var start: Date
        /// Outages that started in the period.
        public var outages: Int
        /// Percent of the period (up to now) the channel was up.
        public var availability: Double
        /// Mean seconds from the first failure to confirmation.
        public var mttd: Double?
        /// Mean seconds from the opening to `detour ack` (acknowledged incidents only).
        public var mtta: Double?
        /// Mean seconds from confirmation to mitigation.
        public var mttm: Double?
        /// Mean seconds from the first failure to recovery.
        public var mttr: Double?
        /// Minutes before failover was complete, summed.
        public var unmitigatedMinutes: Double
        /// Money at risk, summed.
        public var moneyAtRisk: Double
        /// Estimated money recaptured by the alternates, summed.
        public var recaptured: Double
        /// The currency.
        public var currency: String
    }

    /// Rows, by channel (workspace order) then period.
    public var rows: [Row]
    /// Months or weeks.
    public var period: Period

    /// Builds the KPIs from the lost-sale windows and the incidents behind them.
    public init(report: LostSaleReport, state: DetourState, period: Period) {
        self.period = period
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = report.timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        func bounds(_ date: Date) -> (key: String, start: Date, end: Date) {
            let component: Calendar.Component = period == .month ? .month : .weekOfYear
            let interval = calendar.dateInterval(of: component, for: date) ?? DateInterval(start: date, duration: 0)
            let key: String
            switch period {
            case .month:
                let c = calendar.dateComponents([.year, .month], from: interval.start)
                key = String(format: "%04d-%02d", c.year ?? 0, c.month ?? 0)
            case .week:
                let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: interval.start)
                key = String(format: "%04d-W%02d", c.yearForWeekOfYear ?? 0, c.weekOfYear ?? 0)
            }
            return (key, interval.start, interval.end)
        }
        var rows: [Row] = []
        for channel in report.channels {
            let windows = report.windows.filter { $0.channel == channel.id }
            var keys: [String] = []
            var grouped: [String: [LostSaleWindow]] = [:]
            var spans: [String: (Date, Date)] = [:]
            for window in windows {
                let (key, start, end) = bounds(window.from)
                if grouped[key] == nil { keys.append(key) }
                grouped[key, default: []].append(window)
                spans[key] = (start, end)
            }
            for key in keys.sorted() {
                let group = grouped[key] ?? []
                let (start, end) = spans[key]!
                let until = min(end, report.now)
                let length = max(1, until.timeIntervalSince(start))
                let down = group.reduce(0.0) { sum, window in
                    let from = max(window.from, start)
                    let to = min(window.to ?? report.now, until)
                    return sum + max(0, to.timeIntervalSince(from))
                }
                let acknowledged = group.compactMap { window in state.incident(window.incident)?.timeToAcknowledge }
                rows.append(
                    Row(
                        channel: channel.id, name: channel.name, period: key, start: start, outages: group.count,
                        availability: 100 * (1 - down / length), mttd: Self.mean(group.map(\.secondsToDetect)), mtta: Self.mean(acknowledged),
                        mttm: Self.mean(group.compactMap(\.secondsToMitigate)), mttr: Self.mean(group.compactMap(\.secondsToRecover)),
                        unmitigatedMinutes: group.reduce(0) { $0 + $1.unmitigatedMinutes }, moneyAtRisk: group.reduce(0) { $0 + $1.moneyAtRisk.amount },
                        recaptured: group.reduce(0) { $0 + $1.recapture.amount }, currency: group.first?.currency ?? "JPY"))
            }
        }
        self.rows = rows
    }

    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// `4m30s`, or `-` when there is nothing to average.
    static func duration(_ seconds: Double?) -> String {
        seconds.map { DurationText.format(.seconds(Int64(max(0, $0.rounded())))) } ?? "-"
    }

    /// `99.93%`.
    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value) }

    /// An aligned table for terminals.
    public func table(l10n: Localizer = .english) -> String {
        let periodHeading =
            switch period {
            case .month: l10n.text("report.heading.month")
            case .week: l10n.text("report.heading.week")
            }
        var lines = [
            [
                l10n.text("report.heading.channel"), periodHeading, l10n.text("report.heading.outages"),
                l10n.text("report.heading.availability"), "MTTD", "MTTA", "MTTM", "MTTR", l10n.text("report.heading.unmitigated-min"),
                l10n.text("report.heading.money-at-risk"), l10n.text("report.heading.recaptured"),
            ]
        ]
        for row in rows {
            lines.append([
                row.name, row.period, String(row.outages), Self.percent(row.availability), Self.duration(row.mttd), Self.duration(row.mtta),
                Self.duration(row.mttm), Self.duration(row.mttr), String(format: "%.1f", row.unmitigatedMinutes),
                Money.format(row.moneyAtRisk, currency: row.currency), Money.format(row.recaptured, currency: row.currency),
            ])
        }
        if rows.isEmpty { return l10n.text("report.no-outages-in-period") + "\n" }
        return TextTable.render(lines, rightAligned: Set(2...10))
    }

    /// CSV with seconds and plain numbers, for spreadsheets.
    public func csv() -> String {
        let header = "channel,period,outages,availability_percent,mttd_s,mtta_s,mttm_s,mttr_s,unmitigated_minutes,money_at_risk,recaptured,currency"
        let number = { (value: Double?) in value.map { String(Int64($0.rounded())) } ?? "" }
        let lines = rows.map { row in
            [
                row.channel, row.period, String(row.outages), String(format: "%.4f", row.availability), number(row.mttd), number(row.mtta),
                number(row.mttm), number(row.mttr), String(format: "%.1f", row.unmitigatedMinutes), String(Int64(row.moneyAtRisk.rounded())),
                String(Int64(row.recaptured.rounded())), row.currency,
            ].joined(separator: ",")
        }
        return ([header] + lines).joined(separator: "\r\n") + "\r\n"
    }

    /// JSON for scripts.
    public func json() -> JSONValue {
        let number = { (value: Double?) in value.map { JSONValue.number($0.rounded()) } ?? .null }
        return .object([
            ("period", .string(period.rawValue)),
            (
                "rows",
                .array(
                    rows.map { row in
                        .object([
                            ("channel", .string(row.channel)), ("name", .string(row.name)), ("period", .string(row.period)),
                            ("outages", .number(Double(row.outages))), ("availabilityPercent", .number((row.availability * 10_000).rounded() / 10_000)),
                            ("mttdSeconds", number(row.mttd)), ("mttaSeconds", number(row.mtta)), ("mttmSeconds", number(row.mttm)),
                            ("mttrSeconds", number(row.mttr)), ("unmitigatedMinutes", .number((row.unmitigatedMinutes * 10).rounded() / 10)),
                            ("moneyAtRisk", .number(row.moneyAtRisk.rounded())), ("recaptured", .number(row.recaptured.rounded())),
                            ("currency", .string(row.currency)),
                        ])
                    })
            ),
        ])
    }
}
