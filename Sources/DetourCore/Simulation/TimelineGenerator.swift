import Foundation

/// A SplitMix64 generator: small, fast and seeded; the same seed gives the same numbers everywhere.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A whole number in a range, without modulo bias worth noticing at these sizes.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// A number in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Makes a year of failures shaped like the malls' published record, from a seed: each mall down
/// 18 to 22 times for 2 to 6 hours, a quarter of them during sales, some overlapping another
/// mall's, the own shop a few times, blips and captchas, and two provider outages; mostly 503s,
/// then maintenance pages, timeouts and refused connections.
public struct TimelineGenerator: Sendable {
    /// The seed.
    public var seed: UInt64
    /// The calendar year.
    public var year: Int
    /// The workspace whose channels fail.
    public var workspace: Workspace

    /// Creates a generator.
    public init(seed: UInt64, year: Int, workspace: Workspace) {
        self.seed = seed
        self.year = year
        self.workspace = workspace
    }

    /// Reads `seed:N`.
    public static func seed(from text: String) -> UInt64? {
        guard text.hasPrefix("seed:") else { return nil }
        return UInt64(text.dropFirst(5))
    }

    /// The year's timeline.
    public func timeline() -> Timeline {
        var random = SeededRandom(seed: seed)
        let zone = workspace.settings.timeZone
        func day(_ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, year: Int? = nil) -> Date {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            return calendar.date(from: DateComponents(year: year ?? self.year, month: month, day: day, hour: hour, minute: minute))!
        }
        let start = day(1, 1)
        let end = day(1, 1, year: year + 1)
        // Heartbeat channels are not probed: their jobs' check-ins are not part of a simulated year.
        let probed = workspace.channels.filter { $0.kind != .heartbeat }
        let malls = probed.filter { $0.kind == .mall }.map(\.id)
        let mallIDs = malls.isEmpty ? probed.map(\.id) : malls
        let others = probed.map(\.id).filter { !mallIDs.contains($0) }
        let rakuten = mallIDs.first { $0.contains("rakuten") }
        let amazon = mallIDs.first { $0.contains("amazon") }
        var sales = [SaleEvent(name: "ブラックフライデー", from: day(11, 21), to: day(12, 2), channels: nil, multiplier: 2)]
        for month in [3, 6, 9, 12] {
            sales.append(SaleEvent(name: "スーパーSALE", from: day(month, 4, 20), to: day(month, 11, 2), channels: rakuten.map { [$0] } ?? mallIDs, multiplier: 3))
        }
        sales.append(SaleEvent(name: "プライムデー", from: day(7, 11), to: day(7, 15), channels: amazon.map { [$0] } ?? mallIDs, multiplier: 2.5))

        let minute = 60.0
        let span = end.timeIntervalSince(start)
        func shape() -> FaultShape {
            let roll = random.int(1...100)
            switch roll {
            case 1...55: return .unavailable
            case 56...70: return .maintenancePage
            case 71...82: return .timeout
            default: return .refused
            }
        }
        func minuteAligned(_ date: Date) -> Date { Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60) }
        var events: [TimelineEvent] = []
        for channel in mallIDs {
            for _ in 0..<random.int(18...22) {
                var from: Date
                let inSale = sales.filter { $0.applies(to: channel) }
                if random.int(1...4) == 1, let sale = inSale.randomElement(using: &random) {
                    from = sale.from.addingTimeInterval(random.unit() * max(0, sale.to.timeIntervalSince(sale.from) - 6 * 3_600))
                } else {
                    from = start.addingTimeInterval(random.unit() * (span - 7 * 3_600))
                }
                from = minuteAligned(from)
                let length = Double(random.int(120...360)) * minute
                events.append(TimelineEvent(channel: channel, from: from, to: from.addingTimeInterval(length), shape: shape()))
            }
        }
        // Some outages hit two malls at once (a shared payment or CDN provider).
        let firsts = events
        for _ in 0..<random.int(4...7) where mallIDs.count > 1 {
            let first = firsts[random.int(0...(firsts.count - 1))]
            let other = mallIDs.filter { $0 != first.channel }[random.int(0...(mallIDs.count - 2))]
            let from = minuteAligned(first.from.addingTimeInterval(Double(random.int(-60...60)) * minute))
            events.append(TimelineEvent(channel: other, from: from, to: from.addingTimeInterval(Double(random.int(120...360)) * minute), shape: .unavailable))
        }
        for channel in others {
            for _ in 0..<random.int(2...4) {
                let from = minuteAligned(start.addingTimeInterval(random.unit() * (span - 3 * 3_600)))
                events.append(TimelineEvent(channel: channel, from: from, to: from.addingTimeInterval(Double(random.int(30...120)) * minute), shape: shape()))
            }
        }
        let all = probed.map(\.id)
        for _ in 0..<(all.isEmpty ? 0 : random.int(12...20)) {
            let from = start.addingTimeInterval((random.unit() * (span - 3_600)).rounded(.down))
            events.append(TimelineEvent(channel: all[random.int(0...(all.count - 1))], from: from, to: from.addingTimeInterval(20), shape: .blip))
        }
        for _ in 0..<random.int(4...8) {
            let from = start.addingTimeInterval((random.unit() * (span - 3_600)).rounded(.down))
            events.append(TimelineEvent(channel: mallIDs[random.int(0...(mallIDs.count - 1))], from: from, to: from.addingTimeInterval(60), shape: .captcha))
        }
        // One channel fails one way at a time: a later event that meets an earlier one on its channel waits for it.
        var placed: [TimelineEvent] = []
        var busyUntil: [String: Date] = [:]
        for var event in events.sorted(by: { $0.from < $1.from }) {
            if let busy = busyUntil[event.channel], event.from < busy.addingTimeInterval(3_600) {
                let length = event.to.timeIntervalSince(event.from)
                event.from = minuteAligned(busy.addingTimeInterval(3_600 + 60))
                event.to = event.from.addingTimeInterval(length)
            }
            guard event.to < end else { continue }
            busyUntil[event.channel] = max(busyUntil[event.channel] ?? event.to, event.to)
            placed.append(event)
        }
        let outages = placed.filter { $0.shape.isOutage }
        var faults: [ProviderFault] = []
        for (provider, answer) in [("line", 500), ("x", 503)] where !outages.isEmpty {
            let outage = outages[random.int(0...(outages.count - 1))]
            faults.append(
                ProviderFault(provider: provider, from: outage.from, to: outage.from.addingTimeInterval(Double(random.int(30...90)) * minute), answer: answer))
        }
        return Timeline(events: placed, providerFaults: faults, sales: sales, start: start, end: end)
    }
}

extension Timeline {
    /// The timeline as JSON5 a merchant can edit and run again.
    public func json5(timeZone: TimeZone, comment: String) -> String {
        func time(_ date: Date) -> String {
            String(LocalTime.iso8601(date, in: timeZone).prefix(19))
        }
        func quoted(_ text: String) -> String { JSONValue.string(text).jsonText }
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map { "// \($0)" }
        lines.append("{")
        if let start { lines.append("  from: \(quoted(time(start))),") }
        if let end { lines.append("  to: \(quoted(time(end))),") }
        if !sales.isEmpty {
            lines.append("  // The period's sales: money at risk is multiplied while they run.")
            lines.append("  sales: [")
            for sale in sales {
                let channels = sale.channels.map { ", channels: [\($0.map(quoted).joined(separator: ", "))]" } ?? ""
                lines.append(
                    "    { name: \(quoted(sale.name)), from: \(quoted(time(sale.from))), to: \(quoted(time(sale.to)))\(channels), multiplier: \(SimulationTable.number(sale.multiplier)) },"
                )
            }
            lines.append("  ],")
        }
        lines.append("  events: [")
        let rows: [(Date, String)] =
            events.map { event in
                (
                    event.from,
                    "    { channel: \(quoted(event.channel)), from: \(quoted(time(event.from))), to: \(quoted(time(event.to))), shape: \(quoted(event.shape.description))"
                        + (event.note.isEmpty ? "" : ", note: \(quoted(event.note))") + " },"
                )
            }
            + providerFaults.map { fault in
                (
                    fault.from,
                    "    { provider: \(quoted(fault.provider)), from: \(quoted(time(fault.from))), to: \(quoted(time(fault.to))), answer: \(fault.answer) },"
                )
            }
        lines += rows.sorted { $0.0 < $1.0 }.map(\.1)
        lines.append("  ],")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
