import Foundation

/// One outage as money: from the first failed probe to the first success of the recovery.
public struct LostSaleWindow: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// The channel's display name.
    public var channelName: String
    /// The incident.
    public var incident: String
    /// Probes or an operator.
    public var trigger: IncidentTrigger
    /// The last success before the outage (the earliest the outage can have started).
    public var earliest: Date?
    /// The first failed probe (or the manual failover).
    public var from: Date
    /// When the outage was confirmed.
    public var detected: Date
    /// When every failover step was done.
    public var mitigated: Date?
    /// The first success of the recovery; nil while the outage goes on.
    public var to: Date?
    /// When undo and recovery steps were done.
    public var resolved: Date?
    /// Length in minutes (up to the report time while ongoing).
    public var minutes: Double
    /// Minutes before failover was complete (all of them when it never was).
    public var unmitigatedMinutes: Double
    /// Revenue over the window, with hour, weekday and sale factors.
    public var moneyAtRisk: Double
    /// The part of `moneyAtRisk` before failover was complete.
    public var moneyBeforeMitigation: Double
    /// The part of `moneyAtRisk` after failover was complete.
    public var moneyAfterMitigation: Double
    /// Estimated sales the alternates won back: money after mitigation × their recapture rates.
    public var recapture: Double
    /// The currency of the amounts.
    public var currency: String
    /// The largest sale multiplier during the window (1 outside sales).
    public var saleMultiplier: Double
    /// The incident before this one, when its channel was restored by force while still failing.
    public var follows: String? = nil
    /// When someone acknowledged the page (`detour ack`).
    public var acknowledged: Date? = nil
    /// Who acknowledged it.
    public var acknowledgedBy: String? = nil

    /// Seconds from confirmation to the acknowledgement (MTTA).
    public var secondsToAcknowledge: Double? { acknowledged.map { $0.timeIntervalSince(detected) } }

    /// Seconds from the first failure to confirmation.
    public var secondsToDetect: Double { detected.timeIntervalSince(from) }
    /// Seconds from confirmation until every failover step was done: how long failover took.
    public var secondsToMitigate: Double? { mitigated.map { $0.timeIntervalSince(detected) } }
    /// Seconds from the first failure to the first success of the recovery.
    public var secondsToRecover: Double? { to.map { $0.timeIntervalSince(from) } }
}

/// A planned maintenance window: listed beside the outages, never counted as lost sales.
public struct PlannedMaintenance: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// When it starts.
    public var from: Date
    /// When it ends.
    public var to: Date
    /// What it is (`RMS定期メンテナンス`).
    public var note: String

    /// Creates a window.
    public init(channel: String, from: Date, to: Date, note: String) {
        self.channel = channel
        self.from = from
        self.to = to
        self.note = note
    }
}

/// Which windows a report covers.
public struct ReportFilter: Sendable {
    /// Windows that end before this are left out.
    public var since: Date?
    /// Windows that start after this are left out.
    public var until: Date?
    /// Only these channel ids; empty for all.
    public var channels: [String]

    /// Every window.
    public static let all = ReportFilter(since: nil, until: nil, channels: [])

    /// Creates a filter.
    public init(since: Date?, until: Date?, channels: [String]) {
        self.since = since
        self.until = until
        self.channels = channels
    }
}

/// Totals of a set of windows in one currency.
public struct LostSaleTotals: Sendable, Equatable {
    /// How many outages.
    public var outages = 0
    /// Outage minutes.
    public var minutes = 0.0
    /// Minutes before failover was complete.
    public var unmitigatedMinutes = 0.0
    /// Money at risk.
    public var moneyAtRisk = 0.0
    /// Before failover was complete.
    public var moneyBeforeMitigation = 0.0
    /// After failover was complete.
    public var moneyAfterMitigation = 0.0
    /// Estimated recapture on the alternates.
    public var recapture = 0.0

    mutating func add(_ window: LostSaleWindow) {
        outages += 1
        minutes += window.minutes
        unmitigatedMinutes += window.unmitigatedMinutes
        moneyAtRisk += window.moneyAtRisk
        moneyBeforeMitigation += window.moneyBeforeMitigation
        moneyAfterMitigation += window.moneyAfterMitigation
        recapture += window.recapture
    }
}

/// One channel's outages summed, with its mean reaction times.
public struct ChannelSummary: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// Its display name.
    public var name: String
    /// The channel's currency.
    public var currency: String
    /// Sums.
    public var totals = LostSaleTotals()
    /// Mean seconds from first failure to confirmation.
    public var meanSecondsToDetect: Double?
    /// Mean seconds from confirmation to complete failover.
    public var meanSecondsToMitigate: Double?
    /// Mean seconds from first failure to the first success of the recovery.
    public var meanSecondsToRecover: Double?
}

/// Lost-sale windows of every incident in a state, as table, CSV, JSON or HTML.
public struct LostSaleReport: Sendable {
    /// Windows, oldest first.
    public var windows: [LostSaleWindow]
    /// Planned maintenance in the period, listed apart from the outages.
    public var maintenance: [PlannedMaintenance]
    /// Time zone for printed times.
    public var timeZone: TimeZone
    /// The filter the windows were chosen by.
    public var filter: ReportFilter
    /// When the report was made (ongoing outages count up to here).
    public var now: Date
    /// The channels covered, in workspace order: (id, name).
    public var channels: [(id: String, name: String)]
    /// Sale events that overlap the report, per channel id.
    public var sales: [String: [SaleEvent]]
    /// Whether money was recomputed with today's revenue and calendar instead of the rates journaled when each incident opened.
    public var recomputed: Bool

    /// The label a recomputed report carries.
    public static let recomputedLabel = "recomputed with today's settings (revenue and sale calendar), not the rates in force when each outage opened"

    /// Builds the report; ongoing outages are counted up to `now`.
    ///
    /// Each outage's money uses the revenue per hour and sale multiplier journaled when it opened,
    /// so a sale added to the calendar later leaves past outages as they were; `recompute` applies
    /// today's settings instead (and journals written before the rates were kept always do).
    public init(
        state: DetourState, workspace: Workspace, now: Date, filter: ReportFilter = .all, maintenance: [PlannedMaintenance]? = nil, recompute: Bool = false
    ) {
        timeZone = workspace.settings.timeZone
        self.now = now
        self.filter = filter
        recomputed = recompute
        let model = RevenueModel(calendar: workspace.settings.calendar, timeZone: workspace.settings.timeZone)
        let wanted = { (channel: String) in filter.channels.isEmpty || filter.channels.contains(channel) }
        let inRange = { (from: Date, to: Date) in (filter.since.map { to >= $0 } ?? true) && (filter.until.map { from <= $0 } ?? true) }
        windows = state.incidents.filter(\.isOutage).compactMap { incident in
            guard wanted(incident.channel), inRange(incident.outageStart, incident.recoveringAt ?? now) else { return nil }
            return Self.window(incident, channel: workspace.channel(incident.channel), model: model, now: now, recompute: recompute)
        }
        // Planned windows that have begun are listed apart from lost sales.
        let planned = maintenance ?? workspace.plannedMaintenance.filter { $0.from <= now }
        self.maintenance = planned.filter { wanted($0.channel) && inRange($0.from, $0.to) }
        channels = workspace.channels.filter { wanted($0.id) }.map { ($0.id, $0.name) }
        let start = filter.since ?? windows.map(\.from).min() ?? now
        let end = filter.until ?? now
        var sales: [String: [SaleEvent]] = [:]
        for channel in channels { sales[channel.id] = workspace.settings.calendar.sales(for: channel.id, overlapping: start, end) }
        self.sales = sales
    }

    private static func window(_ incident: Incident, channel: Channel?, model: RevenueModel, now: Date, recompute: Bool) -> LostSaleWindow {
        let from = incident.outageStart
        let end = max(from, incident.recoveringAt ?? now)
        let mitigationPoint = min(max(incident.mitigatedAt ?? end, from), end)
        var revenue = channel?.revenue
        var model = model
        if !recompute {
            if let perHour = incident.revenuePerHour {
                if revenue == nil { revenue = Revenue(perHour: perHour, currency: "JPY") }
                revenue?.perHour = perHour
            }
            if let sales = incident.sales {
                // The calendar as it was when the incident opened: a sale starting mid-outage counts, one added later does not.
                model.calendar = WorkspaceCalendar(
                    sales: sales.map { SaleEvent(name: $0.name, from: $0.from, to: $0.to, channels: [incident.channel], multiplier: $0.multiplier) })
            } else {
                model.fixedMultiplier = incident.saleMultiplier
            }
        }
        let before = revenue.map { model.amount($0, channel: incident.channel, from: from, to: mitigationPoint) } ?? 0
        let after = revenue.map { model.amount($0, channel: incident.channel, from: mitigationPoint, to: end) } ?? 0
        let share = RevenueModel.recaptureShare(revenue, alternates: channel?.alternates ?? [])
        let multiplier = model.fixedMultiplier ?? model.calendar.sales(for: incident.channel, overlapping: from, end).map(\.multiplier).max() ?? 1
        return LostSaleWindow(
            channel: incident.channel, channelName: channel?.name ?? incident.channel, incident: incident.id, trigger: incident.trigger,
            earliest: incident.lastSuccessAt, from: from, detected: incident.openedAt, mitigated: incident.mitigatedAt, to: incident.recoveringAt,
            resolved: incident.resolvedAt, minutes: end.timeIntervalSince(from) / 60, unmitigatedMinutes: mitigationPoint.timeIntervalSince(from) / 60,
            moneyAtRisk: before + after, moneyBeforeMitigation: before, moneyAfterMitigation: after, recapture: after * share,
            currency: revenue?.currency ?? "JPY", saleMultiplier: max(1, multiplier), follows: incident.follows, acknowledged: incident.acknowledgedAt,
            acknowledgedBy: incident.acknowledgedBy)
    }

    /// Totals per currency, sorted by currency code.
    public var totals: [(currency: String, totals: LostSaleTotals)] {
        var totals: [String: LostSaleTotals] = [:]
        for window in windows { totals[window.currency, default: LostSaleTotals()].add(window) }
        return totals.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// One summary per covered channel, in workspace order.
    public var summaries: [ChannelSummary] {
        channels.map { channel in
            let mine = windows.filter { $0.channel == channel.id }
            var summary = ChannelSummary(channel: channel.id, name: channel.name, currency: mine.first?.currency ?? "JPY")
            for window in mine { summary.totals.add(window) }
            summary.meanSecondsToDetect = Self.mean(mine.map(\.secondsToDetect))
            summary.meanSecondsToMitigate = Self.mean(mine.compactMap(\.secondsToMitigate))
            summary.meanSecondsToRecover = Self.mean(mine.compactMap(\.secondsToRecover))
            return summary
        }
    }

    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// An aligned table for terminals, with a total per currency.
    public func table() -> String {
        var output = recomputed ? Self.recomputedLabel + "\n\n" : ""
        if windows.isEmpty {
            output += "No outages recorded.\n"
        } else {
            var rows = [["channel", "incident", "from", "to", "minutes", "unmitigated", "failover took", "money at risk", "recapture"]]
            for window in windows {
                rows.append([
                    window.channelName, window.incident, time(window.from), window.to.map(time) ?? "ongoing",
                    String(format: "%.1f", window.minutes), String(format: "%.1f", window.unmitigatedMinutes),
                    window.secondsToMitigate.map(Elapsed.text) ?? "—", Money.format(window.moneyAtRisk, currency: window.currency),
                    Money.format(window.recapture, currency: window.currency),
                ])
            }
            for (currency, total) in totals {
                rows.append([
                    "total", "\(total.outages) outage\(total.outages == 1 ? "" : "s")", "", "", String(format: "%.1f", total.minutes),
                    String(format: "%.1f", total.unmitigatedMinutes), "", Money.format(total.moneyAtRisk, currency: currency),
                    Money.format(total.recapture, currency: currency),
                ])
            }
            output += TextTable.render(rows, rightAligned: [4, 5, 6, 7, 8])
        }
        if !maintenance.isEmpty {
            output += "\nPlanned maintenance (not counted as lost sales):\n"
            var rows = [["channel", "from", "to", "note"]]
            for window in maintenance { rows.append([name(of: window.channel), time(window.from), time(window.to), window.note]) }
            output += TextTable.render(rows)
        }
        return output
    }

    /// RFC 4180 CSV with a header row; amounts as plain numbers; a UTF-8 BOM first when asked (Excel).
    public func csv(byteOrderMark: Bool = false) -> String {
        var lines = [
            "channel,incident,trigger,from,to,minutes,money_at_risk,currency,channel_name,earliest,detected,mitigated,resolved,"
                + "unmitigated_minutes,money_before_mitigation,money_after_mitigation,recapture,seconds_to_detect,seconds_to_mitigate,sale_multiplier,"
                + "acknowledged,acknowledged_by,seconds_to_acknowledge"
        ]
        for window in windows {
            let fields = [
                window.channel, window.incident, window.trigger.rawValue, isoTime(window.from), window.to.map(isoTime) ?? "",
                String(format: "%.1f", window.minutes), amount(window.moneyAtRisk), window.currency, window.channelName,
                window.earliest.map(isoTime) ?? "", isoTime(window.detected), window.mitigated.map(isoTime) ?? "", window.resolved.map(isoTime) ?? "",
                String(format: "%.1f", window.unmitigatedMinutes), amount(window.moneyBeforeMitigation), amount(window.moneyAfterMitigation),
                amount(window.recapture), String(format: "%.0f", window.secondsToDetect), window.secondsToMitigate.map { String(format: "%.0f", $0) } ?? "",
                Self.number(window.saleMultiplier), window.acknowledged.map(isoTime) ?? "", window.acknowledgedBy ?? "",
                window.secondsToAcknowledge.map { String(format: "%.0f", $0) } ?? "",
            ]
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        return (byteOrderMark ? "\u{FEFF}" : "") + lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The report as one JSON document (times in the workspace's zone, amounts rounded).
    public func json() -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(isoTime($0)) } ?? .null }
        func seconds(_ value: Double?) -> JSONValue { value.map { .number(($0 * 1_000).rounded() / 1_000) } ?? .null }
        func totalsValue(_ totals: LostSaleTotals) -> [(String, JSONValue)] {
            [
                ("outages", .number(Double(totals.outages))), ("minutes", .number((totals.minutes * 10).rounded() / 10)),
                ("unmitigatedMinutes", .number((totals.unmitigatedMinutes * 10).rounded() / 10)), ("moneyAtRisk", .number(totals.moneyAtRisk.rounded())),
                ("moneyBeforeMitigation", .number(totals.moneyBeforeMitigation.rounded())),
                ("moneyAfterMitigation", .number(totals.moneyAfterMitigation.rounded())), ("recapture", .number(totals.recapture.rounded())),
            ]
        }
        let windows: [JSONValue] = self.windows.map { window in
            .object([
                ("channel", .string(window.channel)), ("channelName", .string(window.channelName)), ("incident", .string(window.incident)),
                ("trigger", .string(window.trigger.rawValue)), ("earliest", time(window.earliest)), ("from", time(window.from)),
                ("detected", time(window.detected)), ("mitigated", time(window.mitigated)), ("to", time(window.to)), ("resolved", time(window.resolved)),
                ("minutes", .number((window.minutes * 10).rounded() / 10)), ("unmitigatedMinutes", .number((window.unmitigatedMinutes * 10).rounded() / 10)),
                ("moneyAtRisk", .number(window.moneyAtRisk.rounded())), ("moneyBeforeMitigation", .number(window.moneyBeforeMitigation.rounded())),
                ("moneyAfterMitigation", .number(window.moneyAfterMitigation.rounded())), ("recapture", .number(window.recapture.rounded())),
                ("currency", .string(window.currency)), ("saleMultiplier", .number(window.saleMultiplier)),
                ("secondsToDetect", seconds(window.secondsToDetect)), ("secondsToMitigate", seconds(window.secondsToMitigate)),
                ("secondsToRecover", seconds(window.secondsToRecover)), ("follows", window.follows.map(JSONValue.string) ?? .null),
                ("acknowledged", time(window.acknowledged)), ("acknowledgedBy", window.acknowledgedBy.map(JSONValue.string) ?? .null),
                ("secondsToAcknowledge", seconds(window.secondsToAcknowledge)),
            ])
        }
        let channels: [JSONValue] = summaries.map { summary in
            .object(
                [("channel", .string(summary.channel)), ("name", .string(summary.name)), ("currency", .string(summary.currency))]
                    + totalsValue(summary.totals)
                    + [
                        ("meanSecondsToDetect", seconds(summary.meanSecondsToDetect)), ("meanSecondsToMitigate", seconds(summary.meanSecondsToMitigate)),
                        ("meanSecondsToRecover", seconds(summary.meanSecondsToRecover)),
                    ])
        }
        let maintenance: [JSONValue] = self.maintenance.map {
            .object([("channel", .string($0.channel)), ("from", time($0.from)), ("to", time($0.to)), ("note", .string($0.note))])
        }
        return .object([
            ("generatedAt", time(now)), ("timeZone", .string(timeZone.identifier)), ("since", time(filter.since)), ("until", time(filter.until)),
            ("recomputed", .bool(recomputed)),
            ("windows", .array(windows)), ("channels", .array(channels)),
            ("totals", .object(totals.map { ($0.currency, .object(totalsValue($0.totals))) })), ("maintenance", .array(maintenance)),
        ])
    }

    /// The display name of a channel id.
    public func name(of channel: String) -> String { channels.first { $0.id == channel }?.name ?? channel }

    private func amount(_ value: Double) -> String { String(format: "%.0f", value.rounded()) }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// `2026-11-27 10:01:00` in the report's zone.
    public func time(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }

    /// RFC 3339 in the report's zone.
    public func isoTime(_ date: Date) -> String {
        LocalTime.iso8601(date, in: timeZone)
    }
}

/// Money as merchants read it: `¥128,000`, no decimals for yen.
public enum Money {
    /// Formats an amount in a currency.
    public static func format(_ amount: Double, currency: String) -> String {
        let decimals = ["JPY", "KRW", "VND", "TWD"].contains(currency) ? 0 : 2
        let symbol = ["JPY": "¥", "USD": "$", "EUR": "€"][currency] ?? currency + " "
        let factor = pow(10, Double(decimals))
        let rounded = (amount * factor).rounded() / factor
        guard rounded.isFinite else { return amount.isNaN ? symbol + "?" : (amount < 0 ? "-" : "") + symbol + "∞" }
        // Digits from printf, not from an Int64: amounts past 9.2e18 must print, not trap.
        let whole = abs(rounded).rounded(.towardZero)
        var digits = String(format: "%.0f", whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        let fraction = decimals > 0 ? String(format: ".%02d", min(99, Int(saturating: (abs(rounded) - whole) * factor + 0.5))) : ""
        return (rounded < 0 ? "-" : "") + symbol + grouped + fraction
    }
}

/// CSV field quoting.
/// CSV cells as RFC 4180 writes them, safe to open in a spreadsheet.
enum CSV {
    /// One cell: quoted when it holds a comma, a quote or a line break; a leading `'` when a
    /// spreadsheet would read it as a formula (OWASP's advice), so a channel named `=HYPERLINK(…)` stays text.
    static func field(_ text: String) -> String {
        var text = text
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Column-aligned plain text, counting East Asian wide characters as two columns.
public enum TextTable {
    /// Renders rows; the first row is the header.
    public static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], displayWidth(cell)) } }
        var output = ""
        for row in rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - displayWidth(cell))
                line += rightAligned.contains(index) ? padding + cell : cell + padding
                if index < row.count - 1 { line += "  " }
            }
            output += line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        return output
    }

    /// Terminal columns a string takes: CJK, kana and full-width forms take two.
    public static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            let value = scalar.value
            let wide =
                (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
                || (0xF900...0xFAFF).contains(value) || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
                || (0xFFE0...0xFFE6).contains(value) || (0x1F300...0x1FAFF).contains(value) || (0x20000...0x3FFFD).contains(value)
            return width + (wide ? 2 : 1)
        }
    }
}

/// Elapsed time as people read it in reports: `40 s`, `3 min 20 s`, `2 h 05 min`.
public enum Elapsed {
    /// Formats a number of seconds.
    public static func text(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int(saturating: (max(0, seconds) * 1_000).rounded())) ms" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let whole = Int(saturating: seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3_600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
        return String(format: "%d h %02d min", whole / 3_600, whole % 3_600 / 60)
    }
}
