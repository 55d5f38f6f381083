import Foundation

/// The simulation as RFC 4180 CSV, one outage a row, then one row a false alarm.
public struct SimulationCSV: Sendable {
    /// The run.
    public var result: SimulationResult

    /// Creates the CSV of a run.
    public init(_ result: SimulationResult) { self.result = result }

    /// The text, with a header row.
    public func render() -> String {
        var lines = [
            "kind,channel,from,to,shape,confirmed,mitigated,recovered,resolved,unmitigated_minutes,money_without,money_with,recapture,currency,"
                + "sale_multiplier,notices,notice_texts"
        ]
        let time = { (date: Date?) in date.map(result.isoTime) ?? "" }
        for outage in result.outages {
            let fields = [
                "outage", outage.event.channel, time(outage.event.from), time(outage.event.to), outage.event.shape.description, time(outage.confirmed),
                time(outage.mitigated), time(outage.recovered), time(outage.resolved), String(format: "%.1f", outage.unmitigatedMinutes),
                String(outage.moneyWithout), String(outage.moneyWith), String(outage.recapture), outage.currency, SimulationTable.number(outage.saleMultiplier),
                String(outage.notices.count), outage.notices.map { "\($0.provider): \($0.text)" }.joined(separator: "\n"),
            ]
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        for alarm in result.falseAlarms {
            let fields = [
                "false-alarm", alarm.channel, time(alarm.event?.from), time(alarm.event?.to), alarm.event?.shape.description ?? "", "", "", "", "", "", "", "",
                "",
                result.currency, "", String(alarm.notices.count), alarm.notices.map { "\($0.provider): \($0.text)" }.joined(separator: "\n"),
            ]
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
