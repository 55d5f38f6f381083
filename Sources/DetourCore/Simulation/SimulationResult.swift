import Foundation

/// One step request a provider fake answered with success during a run.
public struct SimulatedNotice: Sendable, Equatable {
    /// When it was answered.
    public var time: Date
    /// The incident it belongs to.
    public var incident: String
    /// `playbook/step` (with `/undo` or `/recovery`).
    public var step: String
    /// The action (`line.broadcast`, `x.post`, …).
    public var provider: String
    /// Whether customers see it (LINE, X, mail, status page), not only staff.
    public var isPublic: Bool
    /// What it said.
    public var text: String
}

/// One outage of the timeline and what Detour made of it.
public struct SimulatedOutage: Sendable {
    /// The timeline's event.
    public var event: TimelineEvent
    /// The channel's display name.
    public var channelName: String
    /// The incidents it opened (or continued).
    public var incidents: [String]
    /// When Detour confirmed it; nil when it never did.
    public var confirmed: Date?
    /// When every failover step was done.
    public var mitigated: Date?
    /// When Detour saw the channel answer again.
    public var recovered: Date?
    /// When undo and recovery steps were done.
    public var resolved: Date?
    /// Minutes of the outage before failover was complete (all of them when it never was).
    public var unmitigatedMinutes: Double
    /// Sales at risk over the whole window: what the outage cost without Detour.
    public var moneyWithout: Int
    /// What it still cost with Detour: the whole window less the recapture.
    public var moneyWith: Int
    /// Sales the alternates won back after failover.
    public var recapture: Int
    /// The currency of the amounts.
    public var currency: String
    /// The largest sale multiplier during the window (1 outside sales).
    public var saleMultiplier: Double
    /// Public notices customers received for it.
    public var notices: [SimulatedNotice]

    /// Seconds from the start of the outage to its confirmation.
    public var secondsToConfirm: Double? { confirmed.map { $0.timeIntervalSince(event.from) } }
}

/// Public notices about something that was not an outage: a blip, a captcha, or nothing in the timeline.
public struct FalseAlarm: Sendable {
    /// The channel.
    public var channel: String
    /// The blip or captcha, when the timeline has one.
    public var event: TimelineEvent?
    /// The incident.
    public var incident: String
    /// What customers were told.
    public var notices: [SimulatedNotice]
}

/// The year in a few numbers.
public struct SimulationTotals: Sendable, Equatable {
    /// Outages in the timeline.
    public var outages = 0
    /// Outages Detour confirmed.
    public var confirmed = 0
    /// Outages whose failover completed.
    public var mitigated = 0
    /// Minutes before failover was complete.
    public var unmitigatedMinutes = 0.0
    /// Sales at risk without Detour.
    public var moneyWithout = 0
    /// Sales lost with Detour.
    public var moneyWith = 0
    /// Sales won back.
    public var recapture = 0
    /// Public notices sent for outages.
    public var notices = 0
    /// Blips and captchas (and anything else) customers were told about.
    public var falseAlarms = 0
    /// Mean seconds from the start of an outage to its confirmation.
    public var meanSecondsToConfirm: Double?
    /// The slowest confirmation, in seconds.
    public var slowestSecondsToConfirm: Double?
}

/// What a simulated run found, outage by outage.
public struct SimulationResult: Sendable {
    /// Tick or watch.
    public var runsAs: RunsAs
    /// Settings changed for the run.
    public var overrides: [SettingOverride]
    /// The period run.
    public var start: Date
    /// The end of the period.
    public var end: Date
    /// The workspace's time zone.
    public var timeZone: TimeZone
    /// Real outages, in time order.
    public var outages: [SimulatedOutage]
    /// Blips and captchas of the timeline, for the count.
    public var nonOutages: Int
    /// Notices customers received for what was not an outage.
    public var falseAlarms: [FalseAlarm]
    /// Sums.
    public var totals: SimulationTotals
    /// The currency of the totals (the first channel's).
    public var currency: String
    /// Passes run, and how many of them sent probes to the sandbox (the rest reused an answer the sandbox gave before).
    public var passes: Int
    /// Passes that sent probes to the sandbox.
    public var realPasses: Int

    /// Accounts for a finished run.
    init(
        workspace: Workspace, timeline: Timeline, state: DetourState, notices: [SimulatedNotice], runsAs: RunsAs, overrides: [SettingOverride],
        start: Date, end: Date, passes: Int, realPasses: Int
    ) {
        self.runsAs = runsAs
        self.overrides = overrides
        self.start = start
        self.end = end
        self.passes = passes
        self.realPasses = realPasses
        timeZone = workspace.settings.timeZone
        currency = workspace.channels.compactMap(\.revenue?.currency).first ?? "JPY"
        let model = RevenueModel(calendar: workspace.settings.calendar, timeZone: workspace.settings.timeZone)
        let publicNotices = Dictionary(grouping: notices.filter(\.isPublic), by: \.incident)

        // Each incident belongs to the event on its channel in which its first failure (or its opening) fell.
        var owner: [String: Int] = [:]
        for incident in state.incidents {
            let time = incident.isOutage ? incident.outageStart : incident.openedAt
            if let index = timeline.events.firstIndex(where: { $0.channel == incident.channel && $0.from <= time && time <= $0.to }) {
                owner[incident.id] = index
            }
        }
        var outages: [SimulatedOutage] = []
        var falseAlarms: [FalseAlarm] = []
        for (index, event) in timeline.events.enumerated() {
            let own = state.incidents.filter { owner[$0.id] == index }
            guard event.shape.isOutage else {
                // A slow storefront still sells: its degraded notices are true, and no money is lost.
                guard event.shape.isFalseAlarm else { continue }
                for incident in own where !(publicNotices[incident.id] ?? []).isEmpty {
                    falseAlarms.append(FalseAlarm(channel: event.channel, event: event, incident: incident.id, notices: publicNotices[incident.id] ?? []))
                }
                continue
            }
            let channel = workspace.channel(event.channel)
            var outagesOwn = own.filter(\.isOutage)
            // An outage that starts while the last one's recovery settles continues that incident.
            let continued = state.incidents.first { incident in
                incident.isOutage && incident.channel == event.channel && owner[incident.id] != index && incident.outageStart < event.from
                    && (incident.resolvedAt ?? .distantFuture) > event.from
            }
            if outagesOwn.isEmpty, let continued { outagesOwn = [continued] }
            let confirmed = outagesOwn.first.map { max($0.openedAt, event.from) }
            let mitigated = outagesOwn.compactMap(\.mitigatedAt).min().map { max($0, event.from) }
            let point = min(max(mitigated ?? event.to, event.from), event.to)
            let revenue = channel?.revenue
            let without = revenue.map { model.amount($0, channel: event.channel, from: event.from, to: event.to) } ?? 0
            let after = revenue.map { model.amount($0, channel: event.channel, from: point, to: event.to) } ?? 0
            let recapture = after * RevenueModel.recaptureShare(revenue, alternates: channel?.alternates ?? [])
            let multiplier = workspace.settings.calendar.sales(for: event.channel, overlapping: event.from, event.to).map(\.multiplier).max() ?? 1
            let ids = Set(own.map(\.id) + outagesOwn.map(\.id))
            let told = notices.filter { $0.isPublic && ids.contains($0.incident) && $0.time >= event.from }
            outages.append(
                SimulatedOutage(
                    event: event, channelName: channel?.name ?? event.channel, incidents: outagesOwn.map(\.id), confirmed: confirmed, mitigated: mitigated,
                    recovered: outagesOwn.compactMap(\.recoveringAt).max(), resolved: outagesOwn.compactMap(\.resolvedAt).max(),
                    unmitigatedMinutes: point.timeIntervalSince(event.from) / 60, moneyWithout: Int(saturating: without.rounded()),
                    moneyWith: Int(saturating: (without - recapture).rounded()), recapture: Int(saturating: recapture.rounded()),
                    currency: revenue?.currency ?? currency, saleMultiplier: max(1, multiplier), notices: told))
        }
        // Incidents no event explains: Detour saw an outage the timeline does not have.
        for incident in state.incidents where owner[incident.id] == nil && incident.isOutage {
            let explained = outages.contains { $0.incidents.contains(incident.id) }
            if !explained, let told = publicNotices[incident.id], !told.isEmpty {
                falseAlarms.append(FalseAlarm(channel: incident.channel, event: nil, incident: incident.id, notices: told))
            }
        }
        self.outages = outages
        self.falseAlarms = falseAlarms
        nonOutages = timeline.events.count { $0.shape.isFalseAlarm }
        var totals = SimulationTotals()
        for outage in outages {
            totals.outages += 1
            if outage.confirmed != nil { totals.confirmed += 1 }
            if outage.mitigated != nil { totals.mitigated += 1 }
            totals.unmitigatedMinutes += outage.unmitigatedMinutes
            totals.moneyWithout += outage.moneyWithout
            totals.moneyWith += outage.moneyWith
            totals.recapture += outage.recapture
            totals.notices += outage.notices.count
        }
        totals.falseAlarms = falseAlarms.count
        let delays = outages.compactMap(\.secondsToConfirm)
        totals.meanSecondsToConfirm = delays.isEmpty ? nil : delays.reduce(0, +) / Double(delays.count)
        totals.slowestSecondsToConfirm = delays.max()
        self.totals = totals
    }

    /// `2025-03-04 10:00:00` in the workspace's zone.
    public func time(_ date: Date) -> String {
        date.formatted(
            Date.VerbatimFormatStyle(
                format:
                    "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)",
                timeZone: timeZone, calendar: Calendar(identifier: .gregorian)))
    }

    /// RFC 3339 in the workspace's zone.
    public func isoTime(_ date: Date) -> String { LocalTime.iso8601(date, in: timeZone) }
}
