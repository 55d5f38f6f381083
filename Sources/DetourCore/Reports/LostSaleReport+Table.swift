import Foundation

extension LostSaleReport {
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
                    window.secondsToMitigate.map(Elapsed.text) ?? "—", window.moneyAtRisk.formatted,
                    window.recapture.formatted,
                ])
            }
            for (currency, total) in totals {
                rows.append([
                    "total", "\(total.outages) outage\(total.outages == 1 ? "" : "s")", "", "", String(format: "%.1f", total.minutes),
                    String(format: "%.1f", total.unmitigatedMinutes), "", total.moneyAtRisk.formatted,
                    total.recapture.formatted,
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
}
