/// What sort of sales channel this is; playbooks and notices treat them differently.
public enum ChannelKind: String, Sendable, CaseIterable, Codable {
    case mall
    case ownSite = "own-site"
    case social
    /// A job that checks in (`detour checkin`, `/hb/<token>`) instead of being probed.
    case heartbeat
}

/// One sales channel: a marketplace storefront or the merchant's own shop.
public struct Channel: Sendable {
    /// The file name without `.json5`; how commands and playbooks refer to it.
    public var id: String
    /// Display name used in notices (`楽天市場店`).
    public var name: String
    /// What sort of channel.
    public var kind: ChannelKind
    /// The storefront customers are sent to.
    public var url: String
    /// The checks that decide whether customers can buy.
    public var probes: [Probe]
    /// How often to probe and how many results confirm a change.
    public var schedule: Schedule
    /// Sales this channel makes, for money at risk; nil when unknown.
    public var revenue: Revenue?
    /// Channel ids customers are sent to when this one is down, in order, each with where it was written.
    public var alternateReferences: [Located<String>]
    /// Where the channel's file starts.
    public var location: SourceLocation
    /// Planned windows from the channel file; the calendar's are in `WorkspaceSettings.maintenance`.
    public var maintenance: [MaintenanceWindow] = []
    /// How long the channel must stay up before undo steps and recovery notices run (`recovery.settle`).
    public var settle: Duration = .seconds(300)
    /// The marketplace's own contacts (support desk, status page), for the runbook.
    public var contacts: [ChannelContact] = []
    /// For kind `heartbeat`: how often the job must check in; nil for probed channels.
    public var heartbeat: PushMonitor?

    /// Channel ids customers are sent to when this one is down, in order.
    public var alternates: [String] { alternateReferences.map(\.value) }

    /// A channel as read from its file.
    init(
        id: String, name: String, kind: ChannelKind, url: String, probes: [Probe], schedule: Schedule, revenue: Revenue?,
        alternates: [Located<String>], location: SourceLocation, maintenance: [MaintenanceWindow] = []
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.url = url
        self.probes = probes
        self.schedule = schedule
        self.revenue = revenue
        self.alternateReferences = alternates
        self.location = location
        self.maintenance = maintenance
    }
}

/// One HTTP check of a channel.
public struct Probe: Sendable {
    /// A short name (`item page`, `cart`).
    public var name: String
    /// What to fetch.
    public var url: String
    /// HTTP method; GET unless told otherwise.
    public var method: String
    /// Extra request headers.
    public var headers: [HTTPHeader]
    /// How long the whole request may take before it counts as failed.
    public var timeout: Duration
    /// What a healthy answer looks like.
    public var expect: Expectation
    /// Whether a failure of this probe alone takes the channel down.
    public var critical: Bool
    /// Whether to follow redirects (on unless told otherwise).
    public var followRedirects = true
    /// Most redirects followed before the probe fails.
    public var maxRedirects = 5
    /// What the page's redirects may do (downgrade to http, lead to a private address).
    public var redirectPolicy = RedirectPolicy()
}

/// Conditions a probe's answer must meet.
public struct Expectation: Sendable {
    /// Accepted status codes.
    public var status: StatusRule
    /// Texts the body must contain (all of them).
    public var bodyContains: [String]
    /// Texts that mark a broken page, such as `メンテナンス中`.
    public var bodyNotContains: [String]
    /// Slower than this makes the channel degraded, not down.
    public var maxLatency: Duration?
    /// Regular expressions the body must match (all of them).
    public var bodyMatches: [String] = []
    /// JSON pointers into the body and the value each must have.
    public var json: [JSONExpectation] = []
    /// Response headers that must be present and contain a text.
    public var headers: [HeaderExpectation] = []
    /// Fewest days (as a duration) the TLS certificate must still be valid.
    public var certValidFor: Duration?
}

/// `json: { "/stock/available": true }`: the value at a JSON pointer.
public struct JSONExpectation: Sendable {
    /// An RFC 6901 pointer (`/items/0/price`).
    public var pointer: String
    /// The value it must equal.
    public var value: JSONValue
}

/// `header: { "Content-Type": "text/html" }`: a header that must contain a text.
public struct HeaderExpectation: Sendable {
    /// The header name, matched case-insensitively.
    public var name: String
    /// Text the value must contain.
    public var contains: String
}

/// Which status codes count as healthy.
public enum StatusRule: Sendable, Equatable, CustomStringConvertible {
    /// A class: 2 for "2xx".
    case range(Int)
    case codes([Int])

    /// Whether a status passes.
    public func accepts(_ status: Int) -> Bool {
        switch self {
        case .range(let hundred): status / 100 == hundred
        case .codes(let codes): codes.contains(status)
        }
    }

    /// As written in a channel file.
    public var description: String {
        switch self {
        case .range(let hundred): "\(hundred)xx"
        case .codes(let codes): codes.map(String.init).joined(separator: " or ")
        }
    }
}

/// Probe timing and how many results confirm a change of health.
public struct Schedule: Sendable, Equatable {
    /// Interval while up (and while down).
    public var every: Duration
    /// Interval while suspect or recovering, to confirm quickly.
    public var confirmEvery: Duration
    /// Consecutive failures that make a channel down.
    public var failAfter: Int
    /// Consecutive successes that make a down channel up again.
    public var recoverAfter: Int
    /// Tighter intervals while a sale from `calendar.sales` applies to the channel.
    public var duringSales: SaleIntervals? = nil

    /// The intervals in force: `duringSales` while a sale runs, the usual ones otherwise.
    public func effective(duringSale: Bool) -> Schedule {
        guard duringSale, let sale = duringSales else { return self }
        var schedule = self
        schedule.every = sale.every
        schedule.confirmEvery = sale.confirmEvery
        return schedule
    }

    /// One minute, ten seconds, three failures, two successes.
    public static let standard = Schedule(every: .seconds(60), confirmEvery: .seconds(10), failAfter: 3, recoverAfter: 2)
}

/// Probe intervals for sale periods, when load and risk peak together.
public struct SaleIntervals: Sendable, Equatable {
    /// Interval while up or down during a sale.
    public var every: Duration
    /// Interval while suspect or recovering during a sale.
    public var confirmEvery: Duration
}

/// Sales a channel makes in normal hours.
public struct Revenue: Sendable, Equatable {
    /// Sales per hour in `currency`.
    public var perHour: Double
    /// ISO 4217 code (`JPY`).
    public var currency: String
    /// 24 factors for perHour, one per local hour from 0:00; nil for a flat day.
    public var byHour: [Double]? = nil
    /// 7 factors for perHour, Monday first; nil for a flat week.
    public var byWeekday: [Double]? = nil
    /// Share of the lost sales each alternate wins back once failover is done, by channel id.
    public var recapture: [String: Double] = [:]
}
