import Foundation

/// Dated events from `calendar` in `detour.json5` that change what an hour of selling is worth.
public struct WorkspaceCalendar: Sendable {
    /// Sale events (お買い物マラソン, 5と0のつく日), oldest first.
    public var sales: [SaleEvent] = []

    /// An empty calendar.
    public init(sales: [SaleEvent] = []) {
        self.sales = sales
    }

    /// The sale multiplier for a channel at a time: the largest of the sales running then, else 1.
    public func multiplier(channel: String, at time: Date) -> Double {
        var best = 1.0
        var found = false
        for sale in sales where sale.applies(to: channel) && sale.from <= time && time < sale.to {
            best = found ? max(best, sale.multiplier) : sale.multiplier
            found = true
        }
        return best
    }

    /// Sales that apply to a channel and overlap a period.
    /// The first time after `time` that a sale applying to the channel starts, if any.
    public func nextSaleStart(channel: String, after time: Date) -> Date? {
        sales.filter { $0.applies(to: channel) && $0.from > time }.map(\.from).min()
    }

    /// Whether a sale that applies to the channel runs at `time`.
    public func isSaleActive(channel: String, at time: Date) -> Bool {
        sales.contains { $0.applies(to: channel) && time >= $0.from && time < $0.to }
    }

    /// Sales that apply to a channel and overlap a span.
    public func sales(for channel: String, overlapping from: Date, _ to: Date) -> [SaleEvent] {
        sales.filter { $0.applies(to: channel) && $0.from < to && $0.to > from }
    }
}

/// One sale period: revenue on its channels is multiplied while it runs.
public struct SaleEvent: Sendable, Equatable {
    /// Shown in reports (`楽天スーパーSALE`).
    public var name: String
    /// When it starts.
    public var from: Date
    /// When it ends (exclusive).
    public var to: Date
    /// The channel ids it applies to; nil for every channel.
    public var channels: [String]?
    /// Revenue per hour is multiplied by this while it runs.
    public var multiplier: Double

    /// Creates a sale event.
    public init(name: String, from: Date, to: Date, channels: [String]?, multiplier: Double) {
        self.name = name
        self.from = from
        self.to = to
        self.channels = channels
        self.multiplier = multiplier
    }

    /// Whether it applies to a channel.
    public func applies(to channel: String) -> Bool { channels?.contains(channel) ?? true }
}

extension WorkspaceCalendar {
    /// Reads `calendar: { sales: [ … ] }`, reporting every problem.
    static func read(
        _ node: JSONNode, timeZone: TimeZone, sink: DiagnosticSink, maintenance readMaintenance: (JSONNode) -> Void = { _ in }
    ) -> WorkspaceCalendar {
        var calendar = WorkspaceCalendar()
        guard let reader = NodeReader(node, subject: "calendar", sink: sink) else { return calendar }
        // Planned maintenance is read with the channels' own windows, by the probing part of the loader.
        if let maintenance = reader.value("maintenance") { readMaintenance(maintenance) }
        for (index, item) in (reader.array("sales") ?? []).enumerated() {
            if let sale = readSale(item, index: index, timeZone: timeZone, sink: sink) { calendar.sales.append(sale) }
        }
        calendar.sales.sort { $0.from < $1.from }
        reader.finish()
        return calendar
    }

    private static func readSale(_ node: JSONNode, index: Int, timeZone: TimeZone, sink: DiagnosticSink) -> SaleEvent? {
        guard let reader = NodeReader(node, subject: .message(.text("check.subject.sale", ["index": "\(index + 1)"])), sink: sink) else { return nil }
        defer { reader.finish() }
        let name = reader.requiredString("name", hint: "name: \"楽天スーパーSALE\"")
        let from = readTime(reader, "from", timeZone: timeZone)
        let to = readTime(reader, "to", timeZone: timeZone)
        let channels = reader.stringArray("channels")?.map(\.value)
        var multiplier = 1.0
        if let value = reader.number("multiplier") {
            if value < 0 {
                sink.error(.text("check.sale.multiplier-negative"), at: reader.value("multiplier")!.location)
            } else if value > Revenue.maxFactor, let node = reader.value("multiplier") {
                sink.error(.text("check.sale.multiplier-large", ["value": node.literal]), at: node.location)
            }
            multiplier = value
        } else if reader.value("multiplier") == nil {
            sink.error(.text("check.sale.multiplier-missing", ["index": "\(index + 1)"]), at: node.location)
        }
        guard let name, let from, let to else { return nil }
        if to <= from {
            sink.error(.text("check.sale.order", ["name": name]), at: reader.value("to")!.location)
            return nil
        }
        return SaleEvent(name: name, from: from, to: to, channels: channels, multiplier: multiplier)
    }

    /// A required local or offset time: `2026-12-04T20:00+09:00`, `2026-12-04T20:00` or `2026-12-04`.
    static func readTime(_ reader: NodeReader, _ key: String, timeZone: TimeZone) -> Date? {
        guard let node = reader.required(key, hint: "\(key): \"2026-12-04T20:00+09:00\""), let text = reader.expectString(node, key: key) else { return nil }
        guard let date = LocalTime.parse(text, in: timeZone) else {
            reader.sink.error(.text("check.time.invalid", ["key": key, "text": text]), at: node.location)
            return nil
        }
        return date
    }
}
