import Foundation

/// One outage as money: from the first failed probe to the first success of the recovery.
public struct LostSaleWindow: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// The channel's display name.
    public var channelName: String
    /// The incident.
    public var incident: String
    /// Probes or an operator.
    public var trigger: IncidentTrigger
    /// The last success before the outage (the earliest the outage can have started).
    public var earliest: Date?
    /// The first failed probe (or the manual failover).
    public var from: Date
    /// When the outage was confirmed.
    public var detected: Date
    /// When every failover step was done.
    public var mitigated: Date?
    /// The first success of the recovery; nil while the outage goes on.
    public var to: Date?
    /// When undo and recovery steps were done.
    public var resolved: Date?
    /// Length in minutes (up to the report time while ongoing).
    public var minutes: Double
    /// Minutes before failover was complete (all of them when it never was).
    public var unmitigatedMinutes: Double
    /// Revenue over the window, with hour, weekday and sale factors.
    public var moneyAtRisk: Money
    /// The part of `moneyAtRisk` before failover was complete.
    public var moneyBeforeMitigation: Money
    /// The part of `moneyAtRisk` after failover was complete.
    public var moneyAfterMitigation: Money
    /// Estimated sales the alternates won back: money after mitigation × their recapture rates.
    public var recapture: Money
    /// The currency of the amounts.
    public var currency: String
    /// The largest sale multiplier during the window (1 outside sales).
    public var saleMultiplier: Double
    /// The incident before this one, when its channel was restored by force while still failing.
    public var follows: String? = nil
    /// When someone acknowledged the page (`detour ack`).
    public var acknowledged: Date? = nil
    /// Who acknowledged it.
    public var acknowledgedBy: String? = nil

    /// Seconds from confirmation to the acknowledgement (MTTA).
    public var secondsToAcknowledge: Double? { acknowledged.map { $0.timeIntervalSince(detected) } }

    /// Seconds from the first failure to confirmation.
    public var secondsToDetect: Double { detected.timeIntervalSince(from) }
    /// Seconds from confirmation until every failover step was done: how long failover took.
    public var secondsToMitigate: Double? { mitigated.map { $0.timeIntervalSince(detected) } }
    /// Seconds from the first failure to the first success of the recovery.
    public var secondsToRecover: Double? { to.map { $0.timeIntervalSince(from) } }
}

/// A planned maintenance window: listed beside the outages, never counted as lost sales.
public struct PlannedMaintenance: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// When it starts.
    public var from: Date
    /// When it ends.
    public var to: Date
    /// What it is (`RMS定期メンテナンス`).
    public var note: String

    /// Creates a window.
    public init(channel: String, from: Date, to: Date, note: String) {
        self.channel = channel
        self.from = from
        self.to = to
        self.note = note
    }
}

/// Which windows a report covers.
public struct ReportFilter: Sendable {
    /// Windows that end before this are left out.
    public var since: Date?
    /// Windows that start after this are left out.
    public var until: Date?
    /// Only these channel ids; empty for all.
    public var channels: [String]

    /// Every window.
    public static let all = ReportFilter(since: nil, until: nil, channels: [])

    /// Creates a filter.
    public init(since: Date?, until: Date?, channels: [String]) {
        self.since = since
        self.until = until
        self.channels = channels
    }
}

/// Totals of a set of windows in one currency.
public struct LostSaleTotals: Sendable, Equatable {
    /// How many outages.
    public var outages = 0
    /// Outage minutes.
    public var minutes = 0.0
    /// Minutes before failover was complete.
    public var unmitigatedMinutes = 0.0
    /// Money at risk: the sum of the windows' amounts.
    public var moneyAtRisk: Money
    /// Before failover was complete.
    public var moneyBeforeMitigation: Money
    /// After failover was complete.
    public var moneyAfterMitigation: Money
    /// Estimated recapture on the alternates.
    public var recapture: Money

    /// Nothing yet, in a currency.
    public init(currency: String) {
        moneyAtRisk = .zero(currency)
        moneyBeforeMitigation = .zero(currency)
        moneyAfterMitigation = .zero(currency)
        recapture = .zero(currency)
    }

    mutating func add(_ window: LostSaleWindow) {
        outages += 1
        minutes += window.minutes
        unmitigatedMinutes += window.unmitigatedMinutes
        moneyAtRisk += window.moneyAtRisk
        moneyBeforeMitigation += window.moneyBeforeMitigation
        moneyAfterMitigation += window.moneyAfterMitigation
        recapture += window.recapture
    }
}

/// One channel's outages summed, with its mean reaction times.
public struct ChannelSummary: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// Its display name.
    public var name: String
    /// The channel's currency.
    public var currency: String
    /// Sums.
    public var totals: LostSaleTotals
    /// Mean seconds from first failure to confirmation.
    public var meanSecondsToDetect: Double?
    /// Mean seconds from confirmation to complete failover.
    public var meanSecondsToMitigate: Double?
    /// Mean seconds from first failure to the first success of the recovery.
    public var meanSecondsToRecover: Double?
}

/// Lost-sale windows of every incident in a state, as table, CSV, JSON or HTML.
public struct LostSaleReport: Sendable {
    /// Windows, oldest first.
    public var windows: [LostSaleWindow]
    /// Planned maintenance in the period, listed apart from the outages.
    public var maintenance: [PlannedMaintenance]
    /// Time zone for printed times.
    public var timeZone: TimeZone
    /// The filter the windows were chosen by.
    public var filter: ReportFilter
    /// When the report was made (ongoing outages count up to here).
    public var now: Date
    /// The channels covered, in workspace order: (id, name).
    public var channels: [(id: String, name: String)]
    /// Sale events that overlap the report, per channel id.
    public var sales: [String: [SaleEvent]]
    /// Whether money was recomputed with today's revenue and calendar instead of the rates journaled when each incident opened.
    public var recomputed: Bool

    /// The label a recomputed report carries.
    public static let recomputedLabel = Localizer.english.text("report.recomputed")

    /// Builds the report; ongoing outages are counted up to `now`.
    ///
    /// Each outage's money uses the revenue per hour and sale multiplier journaled when it opened,
    /// so a sale added to the calendar later leaves past outages as they were; `recompute` applies
    /// today's settings instead (and journals written before the rates were kept always do).
    public init(
        state: DetourState, workspace: Workspace, now: Date, filter: ReportFilter = .all, maintenance: [PlannedMaintenance]? = nil, recompute: Bool = false
    ) {
        timeZone = workspace.settings.timeZone
        self.now = now
        self.filter = filter
        recomputed = recompute
        let model = RevenueModel(calendar: workspace.settings.calendar, timeZone: workspace.settings.timeZone)
        let wanted = { (channel: String) in filter.channels.isEmpty || filter.channels.contains(channel) }
        let inRange = { (from: Date, to: Date) in (filter.since.map { to >= $0 } ?? true) && (filter.until.map { from <= $0 } ?? true) }
        windows = state.incidents.filter(\.isOutage).compactMap { incident in
            guard wanted(incident.channel), inRange(incident.outageStart, incident.recoveringAt ?? now) else { return nil }
            return Self.window(incident, channel: workspace.channel(incident.channel), model: model, now: now, recompute: recompute)
        }
        // Planned windows that have begun are listed apart from lost sales.
        let planned = maintenance ?? workspace.plannedMaintenance.filter { $0.from <= now }
        self.maintenance = planned.filter { wanted($0.channel) && inRange($0.from, $0.to) }
        channels = workspace.channels.filter { wanted($0.id) }.map { ($0.id, $0.name) }
        let start = filter.since ?? windows.map(\.from).min() ?? now
        let end = filter.until ?? now
        var sales: [String: [SaleEvent]] = [:]
        for channel in channels { sales[channel.id] = workspace.settings.calendar.sales(for: channel.id, overlapping: start, end) }
        self.sales = sales
    }

    private static func window(_ incident: Incident, channel: Channel?, model: RevenueModel, now: Date, recompute: Bool) -> LostSaleWindow {
        let from = incident.outageStart
        let end = max(from, incident.recoveringAt ?? now)
        let mitigationPoint = min(max(incident.mitigatedAt ?? end, from), end)
        var revenue = channel?.revenue
        var model = model
        if !recompute {
            if let perHour = incident.revenuePerHour {
                if revenue == nil { revenue = Revenue(perHour: perHour, currency: "JPY") }
                revenue?.perHour = perHour
            }
            if let sales = incident.sales {
                // The calendar as it was when the incident opened: a sale starting mid-outage counts, one added later does not.
                model.calendar = WorkspaceCalendar(
                    sales: sales.map { SaleEvent(name: $0.name, from: $0.from, to: $0.to, channels: [incident.channel], multiplier: $0.multiplier) })
            } else {
                model.fixedMultiplier = incident.saleMultiplier
            }
        }
        let before = revenue.map { model.amount($0, channel: incident.channel, from: from, to: mitigationPoint) } ?? 0
        let after = revenue.map { model.amount($0, channel: incident.channel, from: mitigationPoint, to: end) } ?? 0
        let share = RevenueModel.recaptureShare(revenue, alternates: channel?.alternates ?? [])
        let currency = revenue?.currency ?? "JPY"
        let multiplier = model.fixedMultiplier ?? model.calendar.sales(for: incident.channel, overlapping: from, end).map(\.multiplier).max() ?? 1
        return LostSaleWindow(
            channel: incident.channel, channelName: channel?.name ?? incident.channel, incident: incident.id, trigger: incident.trigger,
            earliest: incident.lastSuccessAt, from: from, detected: incident.openedAt, mitigated: incident.mitigatedAt, to: incident.recoveringAt,
            resolved: incident.resolvedAt, minutes: end.timeIntervalSince(from) / 60, unmitigatedMinutes: mitigationPoint.timeIntervalSince(from) / 60,
            // Each amount is rounded once from its own figure, so each matches what a report printed before.
            moneyAtRisk: Money(before + after, currency: currency), moneyBeforeMitigation: Money(before, currency: currency),
            moneyAfterMitigation: Money(after, currency: currency), recapture: Money(after * share, currency: currency), currency: currency,
            saleMultiplier: max(1, multiplier), follows: incident.follows, acknowledged: incident.acknowledgedAt,
            acknowledgedBy: incident.acknowledgedBy)
    }

    /// Totals per currency, sorted by currency code.
    public var totals: [(currency: String, totals: LostSaleTotals)] {
        var totals: [String: LostSaleTotals] = [:]
        for window in windows { totals[window.currency, default: LostSaleTotals(currency: window.currency)].add(window) }
        return totals.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// One summary per covered channel, in workspace order.
    public var summaries: [ChannelSummary] {
        channels.map { channel in
            let mine = windows.filter { $0.channel == channel.id }
            let currency = mine.first?.currency ?? "JPY"
            var summary = ChannelSummary(channel: channel.id, name: channel.name, currency: currency, totals: LostSaleTotals(currency: currency))
            for window in mine { summary.totals.add(window) }
            summary.meanSecondsToDetect = Self.mean(mine.map(\.secondsToDetect))
            summary.meanSecondsToMitigate = Self.mean(mine.compactMap(\.secondsToMitigate))
            summary.meanSecondsToRecover = Self.mean(mine.compactMap(\.secondsToRecover))
            return summary
        }
    }

    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The display name of a channel id.
    public func name(of channel: String) -> String { channels.first { $0.id == channel }?.name ?? channel }

    /// `2026-11-27 10:01:00` in the report's zone.
    public func time(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }

    /// RFC 3339 in the report's zone.
    public func isoTime(_ date: Date) -> String {
        LocalTime.iso8601(date, in: timeZone)
    }
}
