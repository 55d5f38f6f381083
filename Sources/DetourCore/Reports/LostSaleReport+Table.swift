import Foundation

extension LostSaleReport {
    /// An aligned table for terminals, with a total per currency.
    public func table(l10n: Localizer = .english) -> String {
        var output = recomputed ? l10n.text("report.recomputed") + "\n\n" : ""
        if windows.isEmpty {
            output += l10n.text("report.no-outages") + "\n"
        } else {
            var rows = [
                [
                    l10n.text("report.heading.channel"), l10n.text("report.heading.incident"), l10n.text("report.heading.from"),
                    l10n.text("report.heading.to"), l10n.text("report.heading.minutes"), l10n.text("report.heading.unmitigated"),
                    l10n.text("report.heading.failover-took"), l10n.text("report.heading.money-at-risk"), l10n.text("report.heading.recapture"),
                ]
            ]
            for window in windows {
                rows.append([
                    window.channelName, window.incident, time(window.from), window.to.map(time) ?? l10n.text("show.ongoing"),
                    String(format: "%.1f", window.minutes), String(format: "%.1f", window.unmitigatedMinutes),
                    window.secondsToMitigate.map(Elapsed.text) ?? "—", window.moneyAtRisk.formatted,
                    window.recapture.formatted,
                ])
            }
            for (currency, total) in totals {
                let outages =
                    total.outages == 1 ? l10n.text("report.outage") : l10n.text("report.outages", ["count": "\(total.outages)"])
                rows.append([
                    l10n.text("report.total"), outages, "", "", String(format: "%.1f", total.minutes),
                    String(format: "%.1f", total.unmitigatedMinutes), "", total.moneyAtRisk.formatted,
                    total.recapture.formatted,
                ])
            }
            output += TextTable.render(rows, rightAligned: [4, 5, 6, 7, 8])
        }
        if !maintenance.isEmpty {
            output += "\n" + l10n.text("report.maintenance") + "\n"
            var rows = [
                [l10n.text("report.heading.channel"), l10n.text("report.heading.from"), l10n.text("report.heading.to"), l10n.text("report.heading.note")]
            ]
            for window in maintenance { rows.append([name(of: window.channel), time(window.from), time(window.to), window.note]) }
            output += TextTable.render(rows)
        }
        return output
    }
}
