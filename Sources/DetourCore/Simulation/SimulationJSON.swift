import Foundation

/// The simulation as one JSON document: times in the workspace's zone, money in whole units.
public struct SimulationJSON: Sendable {
    /// The run.
    public var result: SimulationResult

    /// Creates the document of a run.
    public init(_ result: SimulationResult) { self.result = result }

    /// The document.
    public func value() -> JSONValue {
        func time(_ date: Date?) -> JSONValue { date.map { .string(result.isoTime($0)) } ?? .null }
        func seconds(_ value: Double?) -> JSONValue { value.map { .number(($0 * 10).rounded() / 10) } ?? .null }
        func notices(_ list: [SimulatedNotice]) -> JSONValue {
            .array(
                list.map {
                    .object([
                        ("time", time($0.time)), ("incident", .string($0.incident)), ("step", .string($0.step)), ("provider", .string($0.provider)),
                        ("text", .string($0.text)),
                    ])
                })
        }
        func event(_ event: TimelineEvent) -> [(String, JSONValue)] {
            [
                ("channel", .string(event.channel)), ("from", time(event.from)), ("to", time(event.to)), ("shape", .string(event.shape.description)),
                ("note", .string(event.note)),
            ]
        }
        let outages: [JSONValue] = result.outages.map { outage in
            .object(
                event(outage.event) + [
                    ("channelName", .string(outage.channelName)), ("incidents", .array(outage.incidents.map(JSONValue.string))),
                    ("confirmed", time(outage.confirmed)), ("mitigated", time(outage.mitigated)), ("recovered", time(outage.recovered)),
                    ("resolved", time(outage.resolved)), ("secondsToConfirm", seconds(outage.secondsToConfirm)),
                    ("unmitigatedMinutes", .number((outage.unmitigatedMinutes * 10).rounded() / 10)), ("moneyWithout", .number(Double(outage.moneyWithout))),
                    ("moneyWith", .number(Double(outage.moneyWith))), ("recapture", .number(Double(outage.recapture))), ("currency", .string(outage.currency)),
                    ("saleMultiplier", .number(outage.saleMultiplier)), ("notices", notices(outage.notices)),
                ])
        }
        let alarms: [JSONValue] = result.falseAlarms.map { alarm in
            .object([
                ("channel", .string(alarm.channel)), ("event", alarm.event.map { .object(event($0)) } ?? .null), ("incident", .string(alarm.incident)),
                ("notices", notices(alarm.notices)),
            ])
        }
        let totals = result.totals
        return .object([
            ("runsAs", .string(result.runsAs.description)), ("settings", .array(result.overrides.map { .string($0.description) })),
            ("from", time(result.start)), ("to", time(result.end)), ("timeZone", .string(result.timeZone.identifier)), ("currency", .string(result.currency)),
            ("outages", .array(outages)), ("falseAlarms", .array(alarms)),
            (
                "totals",
                .object([
                    ("outages", .number(Double(totals.outages))), ("confirmed", .number(Double(totals.confirmed))),
                    ("mitigated", .number(Double(totals.mitigated))), ("blipsAndCaptchas", .number(Double(result.nonOutages))),
                    ("unmitigatedMinutes", .number((totals.unmitigatedMinutes * 10).rounded() / 10)), ("moneyWithout", .number(Double(totals.moneyWithout))),
                    ("moneyWith", .number(Double(totals.moneyWith))), ("recapture", .number(Double(totals.recapture))),
                    ("notices", .number(Double(totals.notices))), ("falseAlarms", .number(Double(totals.falseAlarms))),
                    ("meanSecondsToConfirm", seconds(totals.meanSecondsToConfirm)), ("slowestSecondsToConfirm", seconds(totals.slowestSecondsToConfirm)),
                ])
            ),
        ])
    }
}
