import Foundation

/// The KPI report as one self-contained HTML page: a table per channel and a small SVG chart of
/// the money at risk per period, labelled with the availability.
public struct KPIReportHTML: Sendable {
    /// The KPIs.
    public var report: KPIReport
    /// For the heading.
    public var timeZone: TimeZone

    /// Creates the renderer.
    public init(report: KPIReport, timeZone: TimeZone) {
        self.report = report
        self.timeZone = timeZone
    }

    /// Text placed in HTML: every value goes through here, so nothing is pasted unescaped.
    private func t(_ text: String) -> String { HTML.escape(text) }

    /// The page.
    public func render() -> String {
        var html = """
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><title>Detour KPI</title>
            <style>
            body { font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; } th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
            th:first-child, td:first-child { text-align: left; } svg text { font-size: 11px; fill: #444; }
            </style></head><body>
            <h1>インシデントKPI / Incident KPIs <small>(\(t(report.period.rawValue)), \(t(timeZone.identifier)))</small></h1>

            """
        var channels: [String] = []
        for row in report.rows where !channels.contains(row.channel) { channels.append(row.channel) }
        if channels.isEmpty { html += "<p>No outages in the period.</p>\n" }
        for channel in channels {
            let rows = report.rows.filter { $0.channel == channel }
            html += "<section><h2>\(t(rows[0].name)) <small>\(t(channel))</small></h2>\n"
            html += chart(rows)
            html += "<table><tr><th>\(t(report.period.rawValue))</th><th>outages</th><th>availability</th><th>MTTD</th><th>MTTA</th><th>MTTM</th><th>MTTR</th>"
            html += "<th>unmitigated min</th><th>money at risk</th><th>recaptured</th></tr>\n"
            for row in rows {
                let cells = [
                    row.period, String(row.outages), KPIReport.percent(row.availability), KPIReport.duration(row.mttd), KPIReport.duration(row.mtta),
                    KPIReport.duration(row.mttm), KPIReport.duration(row.mttr), String(format: "%.1f", row.unmitigatedMinutes),
                    Money.format(row.moneyAtRisk, currency: row.currency), Money.format(row.recaptured, currency: row.currency),
                ]
                html += "<tr>" + cells.map { "<td>\(t($0))</td>" }.joined() + "</tr>\n"
            }
            html += "</table></section>\n"
        }
        return html + "</body></html>\n"
    }

    /// Bars of the money at risk per period, each labelled with its availability.
    private func chart(_ rows: [KPIReport.Row]) -> String {
        let width = 60
        let height = 80
        let most = max(1, rows.map(\.moneyAtRisk).max() ?? 1)
        var svg = "<svg role=\"img\" aria-label=\"money at risk per period\" width=\"\(rows.count * width + 10)\" height=\"\(height + 34)\">\n"
        for (index, row) in rows.enumerated() {
            let bar = max(1, Int(Double(height) * row.moneyAtRisk / most))
            let x = 5 + index * width
            svg += "<rect x=\"\(x + 10)\" y=\"\(height - bar + 4)\" width=\"\(width - 20)\" height=\"\(bar)\" fill=\"#c0392b\"/>"
            svg += "<text x=\"\(x + 5)\" y=\"\(height + 17)\">\(t(row.period))</text>"
            svg += "<text x=\"\(x + 5)\" y=\"\(height + 30)\">\(t(KPIReport.percent(row.availability)))</text>\n"
        }
        return svg + "</svg>\n"
    }
}
