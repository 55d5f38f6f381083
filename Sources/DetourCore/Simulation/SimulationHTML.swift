import Foundation

/// The simulation as one self-contained HTML page; every text from the workspace or the timeline is escaped.
public struct SimulationHTML: Sendable {
    /// The run.
    public var result: SimulationResult

    /// Creates the page of a run.
    public init(_ result: SimulationResult) { self.result = result }

    /// The page.
    public func render() -> String {
        let money = { (amount: Int) in Money.format(Double(amount), currency: result.currency) }
        let totals = result.totals
        var page = """
            <!doctype html>
            <html lang="ja"><head><meta charset="utf-8"><title>Detour simulation</title>
            <style>body{font-family:system-ui,sans-serif;margin:24px;color:#111827}table{border-collapse:collapse;font-size:13px;width:100%}
            th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left}th{background:#f3f4f6}.n{text-align:right}
            .big{font-size:20px;margin:12px 0}.muted{color:#6b7280}</style></head><body>
            <h1>What the outages would have cost</h1>

            """
        page += "<p class=\"muted\">\(text("Simulated as \(result.runsAs) from \(result.time(result.start)) to \(result.time(result.end))"))"
        if !result.overrides.isEmpty { page += text(" with \(result.overrides.map(\.description).joined(separator: " "))") }
        page +=
            "</p>\n<p class=\"big\">\(text("Without Detour: \(money(totals.moneyWithout)) · with Detour: \(money(totals.moneyWith)) · won back: \(money(totals.recapture))"))</p>\n"
        page +=
            "<p>\(text("\(totals.outages) outages, \(totals.confirmed) confirmed, \(totals.mitigated) mitigated; \(result.falseAlarms.count) false alarms"))</p>\n"
        page += "<h2>Outages</h2>\n<table><tr>"
        for header in [
            "channel", "started", "shape", "confirmed", "mitigated", "recovered", "unmitigated min", "without Detour", "with Detour", "recapture", "notices",
        ] {
            page += "<th>\(text(header))</th>"
        }
        page += "</tr>\n"
        for outage in result.outages {
            let cells = [
                outage.channelName, result.time(outage.event.from),
                outage.event.shape.description + (outage.event.note.isEmpty ? "" : " (\(outage.event.note))"), outage.confirmed.map(result.time) ?? "—",
                outage.mitigated.map(result.time) ?? "—", outage.recovered.map(result.time) ?? "—",
            ]
            page += "<tr>" + cells.map { "<td>\(text($0))</td>" }.joined()
            let numbers = [String(format: "%.1f", outage.unmitigatedMinutes), money(outage.moneyWithout), money(outage.moneyWith), money(outage.recapture)]
            page += numbers.map { "<td class=\"n\">\(text($0))</td>" }.joined()
            page +=
                "<td>" + outage.notices.map { "\(text(result.time($0.time))) \(text($0.provider)): \(text($0.text))" }.joined(separator: "<br>")
                + "</td></tr>\n"
        }
        page += "</table>\n<h2>False alarms</h2>\n"
        if result.falseAlarms.isEmpty {
            page += "<p class=\"muted\">None: customers were told only about real outages.</p>\n"
        } else {
            page += "<table><tr><th>channel</th><th>event</th><th>notices</th></tr>\n"
            for alarm in result.falseAlarms {
                let what = alarm.event.map { "\($0.shape) at \(result.time($0.from))" } ?? "no event in the timeline"
                page += "<tr><td>\(text(alarm.channel))</td><td>\(text(what))</td><td>"
                page += alarm.notices.map { "\(text($0.provider)): \(text($0.text))" }.joined(separator: "<br>") + "</td></tr>\n"
            }
            page += "</table>\n"
        }
        page += "</body></html>\n"
        return page
    }

    private func text(_ value: String) -> String { HTML.escape(value) }
}
