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
    /// Length in minutes (up to the report time while ongoing).
    public var minutes: Double
    /// Revenue per hour × hours.
    public var moneyAtRisk: Double
    /// The currency of `moneyAtRisk`.
    public var currency: String
}

/// Lost-sale windows of every incident in a state, as table or CSV.
public struct LostSaleReport: Sendable {
    /// Windows, oldest first.
    public var windows: [LostSaleWindow]
    /// Time zone for printed times.
    public var timeZone: TimeZone

    /// Builds the report; ongoing outages are counted up to `now`.
    public init(state: DetourState, workspace: Workspace, now: Date) {
        timeZone = workspace.settings.timeZone
        windows = state.incidents.filter(\.isOutage).map { incident in
            let channel = workspace.channel(incident.channel)
            let end = incident.recoveringAt ?? now
            let seconds = max(0, end.timeIntervalSince(incident.outageStart))
            let revenue = channel?.revenue
            return LostSaleWindow(
                channel: incident.channel, channelName: channel?.name ?? incident.channel, incident: incident.id, trigger: incident.trigger,
                earliest: incident.lastSuccessAt, from: incident.outageStart, detected: incident.openedAt, mitigated: incident.mitigatedAt,
                to: incident.recoveringAt, minutes: seconds / 60, moneyAtRisk: (revenue?.perHour ?? 0) * seconds / 3_600,
                currency: revenue?.currency ?? "JPY")
        }
    }

    /// An aligned table for terminals, with a total per currency.
    public func table() -> String {
        guard !windows.isEmpty else { return "No outages recorded.\n" }
        var rows = [["channel", "incident", "from", "to", "minutes", "money at risk"]]
        for window in windows {
            rows.append([
                window.channelName, window.incident, time(window.from), window.to.map(time) ?? "ongoing",
                String(format: "%.1f", window.minutes), Money.format(window.moneyAtRisk, currency: window.currency),
            ])
        }
        var totals: [String: Double] = [:]
        for window in windows { totals[window.currency, default: 0] += window.moneyAtRisk }
        let minutes = windows.reduce(0) { $0 + $1.minutes }
        rows.append(["total", "", "", "", String(format: "%.1f", minutes), totals.sorted { $0.key < $1.key }.map { Money.format($1, currency: $0) }.joined(separator: " + ")])
        return TextTable.render(rows, rightAligned: [4, 5])
    }

    /// RFC 4180 CSV with a header row; amounts as plain numbers.
    public func csv() -> String {
        var lines = ["channel,incident,trigger,from,to,minutes,money_at_risk,currency"]
        for window in windows {
            let fields = [
                window.channel, window.incident, window.trigger.rawValue, isoTime(window.from), window.to.map(isoTime) ?? "",
                String(format: "%.1f", window.minutes), String(format: "%.0f", window.moneyAtRisk.rounded()), window.currency,
            ]
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func time(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }

    private func isoTime(_ date: Date) -> String {
        LocalTime.iso8601(date, in: timeZone)
    }
}

/// Money as merchants read it: `¥128,000`, no decimals for yen.
public enum Money {
    /// Formats an amount in a currency.
    public static func format(_ amount: Double, currency: String) -> String {
        let decimals = ["JPY", "KRW", "VND", "TWD"].contains(currency) ? 0 : 2
        let factor = pow(10, Double(decimals))
        let rounded = (amount * factor).rounded() / factor
        let whole = Int64(rounded.rounded(.towardZero))
        var digits = String(abs(whole))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        let fraction = decimals > 0 ? String(format: ".%02d", Int((abs(rounded) - Double(abs(whole))) * factor + 0.5)) : ""
        let symbol = ["JPY": "¥", "USD": "$", "EUR": "€"][currency] ?? currency + " "
        return (rounded < 0 ? "-" : "") + symbol + grouped + fraction
    }
}

/// CSV field quoting.
enum CSV {
    static func field(_ text: String) -> String {
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
