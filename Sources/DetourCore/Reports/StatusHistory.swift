import Foundation

/// The status page's memory: a bar per day per channel, and what customers were told in each
/// past incident. Built from the incidents the state keeps (the snapshot's resolved history and
/// the unresolved ones), never from the journal itself; no probe evidence is kept.
public struct StatusHistory: Sendable {
    /// One day of one channel.
    public struct Day: Sendable, Equatable {
        /// The local date, `2026-12-02`.
        public var date: String
        /// The worst status that day.
        public var status: ComponentStatus
        /// Minutes customers could not buy (outages overlapping the day).
        public var minutesDown: Int
    }

    /// One line of a past incident's public timeline.
    public struct Entry: Sendable, Equatable {
        /// What happened, as customers would put it.
        public enum Kind: Sendable, Equatable {
            /// The channel became unavailable.
            case began
            /// Customers were told it was down, on these providers (`line`, `x`).
            case toldDown([String])
            /// Every failover step was done: customers were sent to the other stores.
            case redirected
            /// The channel was available again.
            case recovered
            /// Customers were told it was back, on these providers.
            case toldRecovered([String])
        }

        /// When.
        public var at: Date
        /// What.
        public var kind: Kind
    }

    /// An incident as the public sees it.
    public struct PastIncident: Sendable, Equatable {
        /// The incident id.
        public var id: String
        /// The channel id.
        public var channel: String
        /// When customers stopped being able to buy.
        public var start: Date
        /// When they could again; nil while it goes on.
        public var end: Date?
        /// What happened and what customers were told, oldest first.
        public var entries: [Entry]
    }

    /// How many days the bars cover, today included.
    public var days: Int
    /// The first and the last (today's) date the bars cover, `2026-09-02` and `2026-11-30`.
    public var firstDate: String
    /// Today's date, the last bar's.
    public var lastDate: String
    /// Each channel's days, oldest first, by channel id.
    public var bars: [String: [Day]]
    /// Outages that overlap the period, newest first.
    public var incidents: [PastIncident]

    /// The history over the `days` days ending today (in the workspace's time zone).
    public init(workspace: Workspace, state: DetourState, now: Date, days: Int = 90) {
        let days = max(1, days)
        self.days = days
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = workspace.settings.timeZone
        let today = calendar.startOfDay(for: now)
        // Midnights from the first day to the day after today: day i is [starts[i], starts[i + 1]).
        let starts = (0...days).compactMap { calendar.date(byAdding: .day, value: $0 - days + 1, to: today) }
        let periodStart = starts[0]
        let formatter = Date.VerbatimFormatStyle(
            format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits)", timeZone: workspace.settings.timeZone, calendar: calendar)
        let dates = starts.dropLast().map { $0.formatted(formatter) }
        firstDate = dates.first ?? ""
        lastDate = dates.last ?? ""

        var down: [String: [Double]] = [:]
        var past: [PastIncident] = []
        // Incidents are kept oldest first: the recent ones are at the end.
        // Jobs that check in are the merchant's own business, not a store customers visit.
        let published = Set(workspace.channels.filter { $0.kind != .heartbeat }.map(\.id))
        let redirecting = Set(workspace.channels.filter { !$0.alternates.isEmpty }.map(\.id))
        for incident in state.incidents.reversed() where incident.isOutage && published.contains(incident.channel) {
            let end = incident.recoveringAt ?? incident.resolvedAt
            guard (end ?? now) > periodStart else { continue }
            var minutes = down[incident.channel] ?? [Double](repeating: 0, count: days)
            Self.spread(from: incident.outageStart, to: min(end ?? now, now), over: starts, into: &minutes)
            down[incident.channel] = minutes
            past.append(Self.publicTimeline(of: incident, end: end, redirects: redirecting.contains(incident.channel)))
        }
        var maintained: [String: [Bool]] = [:]
        for window in workspace.plannedMaintenance where window.to > periodStart && window.from < now {
            var marks = maintained[window.channel] ?? [Bool](repeating: false, count: days)
            for index in 0..<days where window.from < starts[index + 1] && window.to > starts[index] { marks[index] = true }
            maintained[window.channel] = marks
        }
        var bars: [String: [Day]] = [:]
        for channel in workspace.channels where published.contains(channel.id) {
            let minutes = down[channel.id]
            let marks = maintained[channel.id]
            bars[channel.id] = (0..<days).map { index in
                let minutesDown = Int((minutes?[index] ?? 0).rounded(.up))
                let status: ComponentStatus =
                    minutesDown >= 60 ? .majorOutage : minutesDown > 0 ? .partialOutage : marks?[index] == true ? .underMaintenance : .operational
                return Day(date: dates[index], status: status, minutesDown: minutesDown)
            }
        }
        self.bars = bars
        incidents = past
    }

    /// Adds the minutes of `[from, to)` to each day it overlaps.
    private static func spread(from: Date, to: Date, over starts: [Date], into minutes: inout [Double]) {
        guard to > from else { return }
        for index in minutes.indices where from < starts[index + 1] && to > starts[index] {
            minutes[index] += (min(to, starts[index + 1]).timeIntervalSince(max(from, starts[index]))) / 60
        }
    }

    /// The incident's public lines: when it began and ended, and each message customers received.
    private static func publicTimeline(of incident: Incident, end: Date?, redirects: Bool) -> PastIncident {
        var entries = [Entry(at: incident.outageStart, kind: .began)]
        // Messages delivered in the same minute are one line: "on LINE and X".
        var told: [Date: (kind: NoticeMark.Kind, providers: [String])] = [:]
        for step in incident.steps.values {
            guard let notice = step.notice, let at = step.noticeAt else { continue }
            let minute = Date(timeIntervalSince1970: (at.timeIntervalSince1970 / 60).rounded(.down) * 60)
            var group = told[minute] ?? (notice.kind, [])
            if !group.providers.contains(notice.provider) { group.providers.append(notice.provider) }
            told[minute] = group
        }
        for (at, group) in told {
            entries.append(Entry(at: at, kind: group.kind == .down ? .toldDown(group.providers.sorted()) : .toldRecovered(group.providers.sorted())))
        }
        if let mitigated = incident.mitigatedAt, redirects, !incident.quiet { entries.append(Entry(at: mitigated, kind: .redirected)) }
        if let end { entries.append(Entry(at: end, kind: .recovered)) }
        entries.sort { ($0.at, $0.kind.order) < ($1.at, $1.kind.order) }
        return PastIncident(id: incident.id, channel: incident.channel, start: incident.outageStart, end: end, entries: entries)
    }
}

extension StatusHistory.Entry.Kind {
    /// Same-minute lines in the order they happen.
    fileprivate var order: Int {
        switch self {
        case .began: 0
        case .toldDown: 1
        case .redirected: 2
        case .recovered: 3
        case .toldRecovered: 4
        }
    }
}
