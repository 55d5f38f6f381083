import Foundation

/// The simulation as an aligned table for terminals: the outages, the false alarms, the notices, the year's totals.
public struct SimulationTable: Sendable {
    /// The run.
    public var result: SimulationResult

    /// Creates the table of a run.
    public init(_ result: SimulationResult) { self.result = result }

    /// The text.
    public func render() -> String {
        let money = { (amount: Int) in Money.format(Double(amount), currency: result.currency) }
        var output = "Simulated as \(result.runsAs) from \(result.time(result.start)) to \(result.time(result.end))"
        if !result.overrides.isEmpty { output += " with \(result.overrides.map(\.description).joined(separator: " "))" }
        output +=
            ": \(result.totals.outages) outage\(result.totals.outages == 1 ? "" : "s"), \(result.nonOutages) blip\(result.nonOutages == 1 ? "" : "s") or captcha\(result.nonOutages == 1 ? "" : "s")\n\n"
        if result.outages.isEmpty {
            output += "No outages in the timeline.\n"
        } else {
            var rows = [
                ["channel", "started", "shape", "confirmed", "mitigated", "recovered", "unmitigated", "without Detour", "with Detour", "recapture", "notices"]
            ]
            for outage in result.outages {
                rows.append([
                    outage.channelName, result.time(outage.event.from),
                    outage.event.shape.description + (outage.saleMultiplier > 1 ? " (sale ×\(SimulationTable.number(outage.saleMultiplier)))" : ""),
                    after(outage.confirmed, outage.event.from), after(outage.mitigated, outage.event.from), after(outage.recovered, outage.event.from),
                    String(format: "%.1f min", outage.unmitigatedMinutes), money(outage.moneyWithout), money(outage.moneyWith), money(outage.recapture),
                    String(outage.notices.count),
                ])
            }
            let totals = result.totals
            rows.append([
                "total", "\(totals.outages) outages", "", "\(totals.confirmed) confirmed", "\(totals.mitigated) mitigated", "",
                String(format: "%.1f min", totals.unmitigatedMinutes), money(totals.moneyWithout), money(totals.moneyWith), money(totals.recapture),
                String(totals.notices),
            ])
            output += TextTable.render(rows, rightAligned: [3, 4, 5, 6, 7, 8, 9, 10])
        }
        let totals = result.totals
        output += "\nWithout Detour the outages put \(money(totals.moneyWithout)) of sales at risk; with it \(money(totals.moneyWith)), "
        output += "\(money(totals.recapture)) won back on the alternates."
        if let mean = totals.meanSecondsToConfirm, let slowest = totals.slowestSecondsToConfirm {
            output += " Confirmed on average \(Elapsed.text(mean)) after an outage began (slowest \(Elapsed.text(slowest)))."
        }
        output += "\n"
        output += "\nFalse alarms (public notices for blips, captchas or nothing): \(result.falseAlarms.count)\n"
        for alarm in result.falseAlarms {
            let what = alarm.event.map { "\($0.shape) at \(result.time($0.from))" } ?? "no event in the timeline"
            output += "  \(alarm.channel): \(what), incident \(alarm.incident), \(alarm.notices.count) notice\(alarm.notices.count == 1 ? "" : "s")\n"
        }
        let notices =
            result.outages.flatMap { outage in outage.notices.map { (outage.channelName, $0) } }
            + result.falseAlarms.flatMap { alarm in alarm.notices.map { (alarm.channel, $0) } }
        if !notices.isEmpty {
            output += "\nNotices customers received:\n"
            var rows: [[String]] = []
            for (channel, notice) in notices.sorted(by: { $0.1.time < $1.1.time }) {
                rows.append([result.time(notice.time), channel, notice.provider, notice.text])
            }
            output += TextTable.render(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        output += "\n\(result.passes) passes on the simulated clock; \(result.realPasses) of them probed the sandbox, the rest reused its answers.\n"
        return output
    }

    /// `+1 min 20 s` after the outage began, or `—`.
    private func after(_ date: Date?, _ start: Date) -> String {
        guard let date else { return "—" }
        return "+" + Elapsed.text(max(0, date.timeIntervalSince(start)))
    }

    /// `2` or `2.5`: a multiplier as people write it.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
