import Foundation

/// `--sweep failAfter=2,3,4 confirmEvery=5s,10s,30s`: every combination of the values, each run
/// through the same timeline, to weigh detection delay against false alarms.
public struct SimulationSweep: Sendable {
    /// Each setting and its values, in the order given.
    public var axes: [(key: String, values: [String])]

    /// Reads the axes, checking every value.
    public init(_ arguments: [String]) throws {
        var axes: [(key: String, values: [String])] = []
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw SimulationOptionError(description: "--sweep \"\(argument)\" has no values; write it like failAfter=2,3,4")
            }
            let key = String(argument[..<equals])
            let values = argument[argument.index(after: equals)...].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, !values.contains(where: \.isEmpty) else {
                throw SimulationOptionError(description: "--sweep \(key): write the values separated by commas, like \(key)=2,3,4")
            }
            for value in values { _ = try SettingOverride("\(key)=\(value)") }
            guard !axes.contains(where: { $0.key == key }) else {
                throw SimulationOptionError(description: "--sweep names \(key) twice; list all its values once, like \(key)=2,3,4")
            }
            axes.append((key, values))
        }
        guard !axes.isEmpty else { throw SimulationOptionError(description: "--sweep needs at least one setting, like failAfter=2,3,4") }
        let count = axes.reduce(1) { $0 * $1.values.count }
        guard count <= 64 else { throw SimulationOptionError(description: "--sweep makes \(count) runs; keep it to 64 or fewer combinations") }
        self.axes = axes
    }

    /// Every combination, as the settings of one run.
    public var combinations: [[SettingOverride]] {
        var result: [[SettingOverride]] = [[]]
        for axis in axes {
            result = result.flatMap { partial in axis.values.map { partial + [try! SettingOverride("\(axis.key)=\($0)")] } }
        }
        return result
    }
}

/// One run of a sweep in a few numbers.
public struct SweepRow: Sendable {
    /// The settings of the run.
    public var settings: [SettingOverride]
    /// Its totals.
    public var totals: SimulationTotals
    /// Outages never confirmed.
    public var missed: Int

    /// Sums a run.
    public init(settings: [SettingOverride], result: SimulationResult) {
        self.settings = settings
        totals = result.totals
        missed = result.totals.outages - result.totals.confirmed
    }
}

/// A sweep's rows as a table, JSON or CSV.
public struct SweepReport: Sendable {
    /// The rows, in grid order.
    public var rows: [SweepRow]
    /// The currency of the amounts.
    public var currency: String

    /// Creates a report.
    public init(rows: [SweepRow], currency: String) {
        self.rows = rows
        self.currency = currency
    }

    private static let headers = ["settings", "mean detection", "slowest", "missed", "false alarms", "unmitigated", "with Detour"]

    private func cells(_ row: SweepRow) -> [String] {
        [
            row.settings.map(\.description).joined(separator: " "), row.totals.meanSecondsToConfirm.map(Elapsed.text) ?? "—",
            row.totals.slowestSecondsToConfirm.map(Elapsed.text) ?? "—", String(row.missed), String(row.totals.falseAlarms),
            String(format: "%.1f min", row.totals.unmitigatedMinutes), Money.format(Double(row.totals.moneyWith), currency: currency),
        ]
    }

    /// An aligned table.
    public func table() -> String {
        "Detection delay against false alarms, one run per setting:\n\n" + TextTable.render([Self.headers] + rows.map(cells), rightAligned: [1, 2, 3, 4, 5, 6])
    }

    /// CSV with a header row.
    public func csv() -> String {
        var lines = ["settings,mean_seconds_to_confirm,slowest_seconds_to_confirm,missed,false_alarms,unmitigated_minutes,money_with,money_without"]
        for row in rows {
            let fields = [
                row.settings.map(\.description).joined(separator: " "), row.totals.meanSecondsToConfirm.map { String(format: "%.1f", $0) } ?? "",
                row.totals.slowestSecondsToConfirm.map { String(format: "%.1f", $0) } ?? "", String(row.missed), String(row.totals.falseAlarms),
                String(format: "%.1f", row.totals.unmitigatedMinutes), String(row.totals.moneyWith), String(row.totals.moneyWithout),
            ]
            lines.append(fields.map(CSV.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One JSON document.
    public func json() -> JSONValue {
        .object([
            ("currency", .string(currency)),
            (
                "runs",
                .array(
                    rows.map { row in
                        .object([
                            ("settings", .array(row.settings.map { .string($0.description) })),
                            ("meanSecondsToConfirm", row.totals.meanSecondsToConfirm.map { .number(($0 * 10).rounded() / 10) } ?? .null),
                            ("slowestSecondsToConfirm", row.totals.slowestSecondsToConfirm.map { .number(($0 * 10).rounded() / 10) } ?? .null),
                            ("missed", .number(Double(row.missed))), ("falseAlarms", .number(Double(row.totals.falseAlarms))),
                            ("unmitigatedMinutes", .number((row.totals.unmitigatedMinutes * 10).rounded() / 10)),
                            ("moneyWith", .number(Double(row.totals.moneyWith))), ("moneyWithout", .number(Double(row.totals.moneyWithout))),
                        ])
                    })
            ),
        ])
    }
}
