import Foundation

extension Revenue {
    /// The most sales per hour a channel may declare: more would overflow the money arithmetic of reports.
    static let maxPerHour = 1e12
    /// The largest hour, weekday or sale factor.
    static let maxFactor = 1_000.0

    /// Weekday keys of `byWeekday`, Monday first.
    static let weekdayKeys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Reads a channel's `revenue: { perHour, currency, byHour, byWeekday, recapture }`, reporting every problem.
    static func read(_ node: JSONNode, channel: JSONNode, sink: DiagnosticSink) -> Revenue? {
        guard let reader = NodeReader(node, subject: "revenue", sink: sink) else { return nil }
        defer { reader.finish() }
        let perHour = reader.number("perHour")
        if perHour == nil, reader.value("perHour") == nil {
            sink.error(.text("check.revenue.per-hour-missing"), at: node.location)
        }
        if let perHour, perHour < 0 {
            sink.error(.text("check.revenue.per-hour-negative"), at: reader.value("perHour")!.location)
        }
        if let perHour, perHour > maxPerHour, let node = reader.value("perHour") {
            sink.error(.text("check.revenue.per-hour-large", ["value": node.literal]), at: node.location)
        }
        let currency = reader.string("currency") ?? "JPY"
        var revenue = Revenue(perHour: perHour ?? 0, currency: currency)
        if let items = reader.array("byHour") {
            let factors = items.compactMap { factor($0, key: "byHour", reader: reader) }
            if items.count != 24 {
                sink.error(.text("check.revenue.by-hour", ["count": "\(items.count)"]), at: reader.value("byHour")!.location)
            } else if factors.count == 24 {
                revenue.byHour = factors
            }
        }
        if let weekdays = reader.value("byWeekday") {
            if let members = weekdays.members {
                var factors = [Double](repeating: 1, count: 7)
                for member in members {
                    guard let index = weekdayKeys.firstIndex(of: member.key.lowercased()) else {
                        sink.error(.text("check.revenue.weekday", ["day": member.key]), at: member.keyLocation)
                        continue
                    }
                    if let value = factor(member.value, key: "byWeekday.\(member.key)", reader: reader) { factors[index] = value }
                }
                revenue.byWeekday = factors
            } else {
                reader.typeError("byWeekday", weekdays, expected: .message(.text("check.expected.by-weekday")))
            }
        }
        if let rates = reader.value("recapture") {
            let alternates = Set((channel.members?.last { $0.key == "alternates" }?.value.arrayItems ?? []).compactMap(\.stringValue))
            if let members = rates.members {
                for member in members {
                    if !alternates.contains(member.key) {
                        let list = alternates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                        sink.error(
                            .text("check.revenue.recapture-alternate", ["channel": member.key, "list": list.isEmpty ? "none" : list]), at: member.keyLocation)
                    }
                    guard let value = factor(member.value, key: "recapture.\(member.key)", reader: reader) else { continue }
                    if value > 1 {
                        sink.error(
                            .text("check.revenue.recapture-share", ["channel": member.key, "value": member.value.literal]), at: member.value.location)
                    }
                    revenue.recapture[member.key] = value
                }
            } else {
                reader.typeError("recapture", rates, expected: .message(.text("check.expected.recapture")))
            }
        }
        return perHour == nil ? nil : revenue
    }

    private static func factor(_ node: JSONNode, key: String, reader: NodeReader) -> Double? {
        guard let value = reader.expectNumber(node, key: key) else { return nil }
        guard value >= 0 else {
            reader.sink.error(.text("check.revenue.factor-negative", ["key": key, "value": node.literal]), at: node.location)
            return nil
        }
        guard value <= maxFactor else {
            reader.sink.error(.text("check.revenue.factor-large", ["key": key, "value": node.literal]), at: node.location)
            return nil
        }
        return value
    }
}

extension JSONNode {
    /// The items of an array node, or nil.
    var arrayItems: [JSONNode]? {
        if case .array(let items) = value { return items }
        return nil
    }

    /// The text of a string node, or nil.
    var stringValue: String? {
        if case .string(let text) = value { return text }
        return nil
    }
}
