import Foundation

extension LostSaleReport {
    /// The report as one JSON document (times in the workspace's zone, amounts rounded).
    public func json() -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(isoTime($0)) } ?? .null }
        func seconds(_ value: Double?) -> JSONValue { value.map { .number(($0 * 1_000).rounded() / 1_000) } ?? .null }
        func totalsValue(_ totals: LostSaleTotals) -> [(String, JSONValue)] {
            [
                ("outages", .number(Double(totals.outages))), ("minutes", .number((totals.minutes * 10).rounded() / 10)),
                ("unmitigatedMinutes", .number((totals.unmitigatedMinutes * 10).rounded() / 10)),
                ("moneyAtRisk", .number(Double(totals.moneyAtRisk.wholeUnits))),
                ("moneyBeforeMitigation", .number(Double(totals.moneyBeforeMitigation.wholeUnits))),
                ("moneyAfterMitigation", .number(Double(totals.moneyAfterMitigation.wholeUnits))),
                ("recapture", .number(Double(totals.recapture.wholeUnits))),
            ]
        }
        func value(_ cell: LostSaleCell) -> JSONValue {
            switch cell {
            case .text(let text): .string(text)
            case .optionalText(let text): text.map(JSONValue.string) ?? .null
            case .time(let date): time(date)
            case .minutes(let minutes): .number((minutes * 10).rounded() / 10)
            case .money(let amount): .number(Double(amount.wholeUnits))
            case .seconds(let value): seconds(value)
            case .number(let number): .number(number)
            }
        }
        let windows: [JSONValue] = self.windows.map { window in
            .object(LostSaleColumn.all.map { ($0.json, value($0.value(window))) })
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
}
