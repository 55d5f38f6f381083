import Foundation

/// The lost-sale report as one self-contained HTML page: inline CSS and SVG, no scripts, no network.
public struct ReportHTML: Sendable {
    /// The report to draw.
    public var report: LostSaleReport

    /// Creates a renderer.
    public init(report: LostSaleReport) { self.report = report }

    private static let width = 1000.0
    private static let left = 10.0
    private static let right = 990.0

    /// The whole page.
    public func render() -> String {
        let (start, end) = span()
        var body: HTML = "<h1>販売機会損失レポート <small>Lost-sale report</small></h1>\n"
        body += "<p class=\"meta\">\(report.time(start)) – \(report.time(end)) (\(report.timeZone.identifier))"
        body += " · generated \(report.time(report.now))</p>\n"
        body += totalsSection()
        body += legend()
        // The channels that lost money come first, the biggest loss on top.
        let summaries = report.summaries.enumerated().sorted { a, b in
            (a.element.totals.moneyAtRisk, -a.offset) > (b.element.totals.moneyAtRisk, -b.offset)
        }.map(\.element)
        for summary in summaries {
            body += channelSection(summary, start: start, end: end)
        }
        body += maintenanceSection()
        let page: HTML = """
            <!DOCTYPE html>
            <html lang="ja">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Detour lost-sale report</title>
            <style>\(HTML.raw(Self.css))</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
        return page.text
    }

    /// The period drawn: the filter's bounds, or the outages with some margin.
    func span() -> (Date, Date) {
        let froms = report.windows.map { $0.earliest ?? $0.from } + report.maintenance.map(\.from)
        let tos = report.windows.map { $0.to ?? report.now } + report.maintenance.map(\.to)
        var start = report.filter.since ?? froms.min() ?? report.now.addingTimeInterval(-86_400)
        var end = report.filter.until ?? tos.max() ?? report.now
        if end <= start { end = start.addingTimeInterval(3_600) }
        if report.filter.since == nil || report.filter.until == nil {
            let margin = max(300, end.timeIntervalSince(start) * 0.08)
            if report.filter.since == nil { start = start.addingTimeInterval(-margin) }
            if report.filter.until == nil { end = end.addingTimeInterval(margin) }
        }
        return (start, end)
    }

    private func totalsSection() -> HTML {
        var html: HTML = "<section class=\"totals\">\n"
        if report.totals.isEmpty {
            html += "<div class=\"card\"><b>0</b><span>outages</span></div>\n"
        }
        for (currency, totals) in report.totals {
            let cards: [(String, String)] = [
                ("\(totals.outages)", "outages 障害"),
                (Elapsed.text(totals.minutes * 60), "down 停止時間"),
                (totals.moneyAtRisk.formatted, "money at risk 損失見込み"),
                (totals.moneyBeforeMitigation.formatted, "before failover 切替前"),
                (totals.moneyAfterMitigation.formatted, "after failover 切替後"),
                (totals.recapture.formatted, "recaptured 代替店で回収見込み"),
                (Elapsed.text(totals.unmitigatedMinutes * 60), "unmitigated 未対応時間"),
            ]
            for (value, label) in cards {
                html += "<div class=\"card\"><b>\(value)</b><span>\(label)</span></div>\n"
            }
        }
        return html + "</section>\n"
    }

    private func legend() -> HTML {
        """
        <p class="legend"><i class="sw unknown"></i>last success → first failure <i class="sw before"></i>down, before failover \
        <i class="sw after"></i>down, after failover <i class="sw sale"></i>sale period <i class="sw mark"></i>failover complete</p>

        """
    }

    private func channelSection(_ summary: ChannelSummary, start: Date, end: Date) -> HTML {
        let windows = report.windows.filter { $0.channel == summary.channel }
        var html: HTML = "<section class=\"channel\" id=\"channel-\(summary.channel)\">\n"
        html += "<h2>\(summary.name) <small>\(summary.channel)</small></h2>\n"
        html += "<p class=\"stats\">"
        html += "<span>outages <b>\(summary.totals.outages)</b></span>"
        html += "<span>money at risk <b>\(summary.totals.moneyAtRisk.formatted)</b></span>"
        html += "<span>time to detect <b>\(summary.meanSecondsToDetect.map(Elapsed.text) ?? "—")</b></span>"
        html += "<span>time to mitigate (failover) <b>\(summary.meanSecondsToMitigate.map(Elapsed.text) ?? "—")</b></span>"
        html += "<span>time to recover <b>\(summary.meanSecondsToRecover.map(Elapsed.text) ?? "—")</b></span>"
        html += "</p>\n"
        html += timeline(summary.channel, windows: windows, start: start, end: end)
        if !windows.isEmpty {
            html += "<table>\n<tr><th>incident</th><th>first failure</th><th>detected</th><th>failover done</th><th>back</th>"
            html +=
                "<th class=\"n\">minutes</th><th class=\"n\">unmitigated</th><th class=\"n\">money at risk</th><th class=\"n\">before / after failover</th><th class=\"n\">recapture</th></tr>\n"
            for window in windows {
                let money = { (value: Money) in value.formatted }
                html += "<tr><td>\(window.incident)\(window.trigger == .manual ? " (manual)" : "")</td>"
                html += "<td>\(report.time(window.from))</td><td>\(report.time(window.detected))</td>"
                html +=
                    "<td>\(window.mitigated.map { report.time($0) + " (" + Elapsed.text($0.timeIntervalSince(window.detected)) + ")" } ?? "—")</td>"
                html += "<td>\(window.to.map { report.time($0) } ?? "ongoing")</td>"
                html +=
                    "<td class=\"n\">\(String(format: "%.1f", window.minutes))</td><td class=\"n\">\(String(format: "%.1f", window.unmitigatedMinutes))</td>"
                html +=
                    "<td class=\"n\"><b>\(money(window.moneyAtRisk))</b></td><td class=\"n\">\(money(window.moneyBeforeMitigation)) / \(money(window.moneyAfterMitigation))</td>"
                html += "<td class=\"n\">\(money(window.recapture))</td></tr>\n"
            }
            html += "</table>\n"
        } else {
            html += "<p class=\"none\">No outages in this period.</p>\n"
        }
        return html + "</section>\n"
    }

    /// One channel's SVG: sale periods shaded, outage bars split at failover, failover marks.
    func timeline(_ channel: String, windows: [LostSaleWindow], start: Date, end: Date) -> HTML {
        let total = end.timeIntervalSince(start)
        let x = { (date: Date) -> Double in
            let fraction = min(1, max(0, date.timeIntervalSince(start) / total))
            return ((Self.left + fraction * (Self.right - Self.left)) * 10).rounded() / 10
        }
        let barTop = 34.0, barHeight = 26.0, height = 106.0
        var labelRows = [-Double.infinity, -Double.infinity]
        var svg: HTML = "<svg class=\"timeline\" data-channel=\"\(channel)\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" "
        svg += "width=\"100%\" role=\"img\" aria-label=\"timeline of \(report.name(of: channel))\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        svg += "<rect class=\"track\" x=\"\(Self.left)\" y=\"\(barTop)\" width=\"\(Self.right - Self.left)\" height=\"\(barHeight)\"/>\n"
        svg += axis(start: start, end: end, x: x, y: 10)
        for sale in report.sales[channel] ?? [] {
            let x1 = x(sale.from), x2 = max(x(sale.to), x1 + 1)
            svg += "<g class=\"sale\"><rect x=\"\(x1)\" y=\"14\" width=\"\(fmt(x2 - x1))\" height=\"\(barTop + barHeight - 14)\"/>"
            svg += "<text x=\"\(fmt(x1 + 3))\" y=\"25\">\(sale.name) ×\(fmt(sale.multiplier))</text>"
            svg +=
                "<title>\(sale.name): \(report.time(sale.from)) – \(report.time(sale.to)), ×\(fmt(sale.multiplier))</title></g>\n"
        }
        for window in report.maintenance where window.channel == channel {
            let x1 = x(window.from), x2 = max(x(window.to), x1 + 2)
            svg += "<rect class=\"maintenance\" x=\"\(x1)\" y=\"\(barTop)\" width=\"\(fmt(x2 - x1))\" height=\"\(barHeight)\">"
            svg += "<title>planned maintenance: \(window.note)</title></rect>\n"
        }
        for window in windows {
            let end = window.to ?? report.now
            let mitigation = min(max(window.mitigated ?? end, window.from), end)
            let tip =
                "\(window.incident): \(report.time(window.from)) – \(window.to.map(report.time) ?? "ongoing"), "
                + window.moneyAtRisk.formatted
            svg += "<g class=\"outage\" data-incident=\"\(window.incident)\"><title>\(tip)</title>\n"
            if let earliest = window.earliest, earliest < window.from {
                svg += bar("unknown", x(earliest), x(window.from), barTop + 8, barHeight - 16)
            }
            svg += bar("before", x(window.from), x(mitigation), barTop, barHeight)
            if mitigation < end { svg += bar("after", x(mitigation), x(end), barTop, barHeight) }
            if let mitigated = window.mitigated, mitigated <= end {
                let mx = x(mitigated)
                svg += "<line class=\"mark\" x1=\"\(mx)\" y1=\"\(barTop - 4)\" x2=\"\(mx)\" y2=\"\(barTop + barHeight + 4)\"/>"
                svg +=
                    "<path class=\"mark\" d=\"M\(fmt(mx - 4)) \(fmt(barTop + barHeight + 10)) L\(fmt(mx + 4)) \(fmt(barTop + barHeight + 10)) L\(mx) \(fmt(barTop + barHeight + 4)) Z\"/>\n"
            }
            let failover = window.secondsToMitigate.map { " · failover \(Elapsed.text($0))" } ?? " · no failover"
            let label = window.moneyAtRisk.formatted + failover
            // Labels go on the first of two rows with room; crowded ones are left to the tooltip and the table.
            let labelX = min(x(window.from), Self.right - Self.labelWidth(label))
            if let row = labelRows.firstIndex(where: { labelX >= $0 }) {
                labelRows[row] = labelX + Self.labelWidth(label) + 10
                svg += "<text class=\"label\" x=\"\(fmt(labelX))\" y=\"\(fmt(barTop + barHeight + 22 + Double(row) * 15))\">\(label)</text>\n"
            }
            svg += "</g>\n"
        }
        return svg + "</svg>\n"
    }

    /// Roughly how wide a label is in the 12px bold font, in viewBox units.
    private static func labelWidth(_ text: String) -> Double {
        text.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 12 : 7) }
    }

    private func bar(_ kind: String, _ x1: Double, _ x2: Double, _ y: Double, _ height: Double) -> HTML {
        "<rect class=\"\(kind)\" x=\"\(x1)\" y=\"\(y)\" width=\"\(fmt(max(2, x2 - x1)))\" height=\"\(height)\"/>\n"
    }

    private func axis(start: Date, end: Date, x: (Date) -> Double, y: Double) -> HTML {
        let total = end.timeIntervalSince(start)
        let steps: [Double] = [60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800, 1_209_600, 2_592_000]
        let step = steps.first { total / $0 <= 10 } ?? 2_592_000 * ((total / 2_592_000 / 10).rounded(.up))
        let offset = Double(report.timeZone.secondsFromGMT(for: start))
        var tick = ((start.timeIntervalSince1970 + offset) / step).rounded(.up) * step - offset
        var svg: HTML = ""
        let format: Date.VerbatimFormatStyle
        if step < 86_400 {
            format = Date.VerbatimFormatStyle(
                format: "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)", timeZone: report.timeZone,
                calendar: Calendar(identifier: .gregorian))
        } else {
            format = Date.VerbatimFormatStyle(
                format: "\(month: .twoDigits)/\(day: .twoDigits)", timeZone: report.timeZone, calendar: Calendar(identifier: .gregorian))
        }
        while tick <= end.timeIntervalSince1970 {
            let date = Date(timeIntervalSince1970: tick)
            let tx = x(date)
            svg += "<line class=\"tick\" x1=\"\(tx)\" y1=\"\(y + 20)\" x2=\"\(tx)\" y2=\"\(y + 56)\"/>"
            if tx < Self.right - 30 { svg += "<text class=\"tick\" x=\"\(fmt(tx + 2))\" y=\"\(y)\">\(date.formatted(format))</text>" }
            svg += "\n"
            tick += step
        }
        return svg
    }

    private func fmt(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }

    private func maintenanceSection() -> HTML {
        guard !report.maintenance.isEmpty else { return "" }
        var html: HTML = "<section class=\"maintenance-list\">\n<h2>Planned maintenance <small>not counted as lost sales</small></h2>\n<table>\n"
        html += "<tr><th>channel</th><th>from</th><th>to</th><th>note</th></tr>\n"
        for window in report.maintenance {
            html += "<tr><td>\(report.name(of: window.channel))</td><td>\(report.time(window.from))</td>"
            html += "<td>\(report.time(window.to))</td><td>\(window.note)</td></tr>\n"
        }
        return html + "</table>\n</section>\n"
    }

    private static let css = """
        body{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",system-ui,sans-serif;margin:24px auto;max-width:1080px;color:#1f2937;padding:0 16px}
        h1{font-size:24px;margin:0 0 4px}h1 small,h2 small{color:#6b7280;font-weight:normal;font-size:60%}
        h2{font-size:19px;margin:28px 0 6px}.meta{color:#6b7280;margin:0 0 16px}
        .totals{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
        .card{border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:120px;background:#f9fafb}
        .card b{display:block;font-size:20px}.card span{color:#6b7280;font-size:12px}
        .stats{display:flex;flex-wrap:wrap;gap:18px;margin:4px 0 6px;font-size:14px}.stats b{margin-left:4px}
        .legend{font-size:12px;color:#4b5563}.sw{display:inline-block;width:14px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
        .sw.unknown{background:#d1d5db}.sw.before{background:#dc2626}.sw.after{background:#f59e0b}.sw.sale{background:#fde68a}.sw.mark{background:#111827;width:3px}
        svg.timeline{display:block;border:1px solid #e5e7eb;border-radius:6px;background:#fff;margin:6px 0}
        svg .track{fill:#ecfdf5}svg .unknown{fill:#d1d5db}svg .before{fill:#dc2626}svg .after{fill:#f59e0b}
        svg .maintenance{fill:#93c5fd}svg .sale rect{fill:#fde68a;opacity:.6}svg .sale text{font-size:11px;fill:#92400e}
        svg line.mark{stroke:#111827;stroke-width:2}svg path.mark{fill:#111827}
        svg .label{font-size:12px;fill:#111827;font-weight:bold}
        svg line.tick{stroke:#e5e7eb}svg text.tick{font-size:10px;fill:#6b7280}
        table{border-collapse:collapse;font-size:13px;margin:6px 0 0;width:100%}
        th,td{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left}th{background:#f3f4f6}.n{text-align:right}
        .none{color:#6b7280;font-size:13px}
        """
}
