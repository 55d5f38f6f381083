import Foundation

/// How a storefront fails during a timeline event.
public enum FaultShape: Sendable, Hashable, CustomStringConvertible {
    /// 503 Service Unavailable.
    case unavailable
    /// No answer at all: probes give up at their timeout.
    case timeout
    /// The connection is closed without an answer.
    case refused
    /// The mall's maintenance page instead of the shop.
    case maintenancePage
    /// Answers, but only after this long.
    case slow(Duration)
    /// A short failure (one or two probes): not an outage.
    case blip
    /// One 503 with a bot check page: not an outage.
    case captcha

    /// The words a timeline may use, for messages.
    public static let words = ["503", "timeout", "refused", "maintenance-page", "slow:4s", "blip", "captcha"]

    /// Reads a shape as written in a timeline: `503`, `slow:4s`, `captcha`, …
    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch text {
        case "503": self = .unavailable
        case "timeout": self = .timeout
        case "refused": self = .refused
        case "maintenance-page": self = .maintenancePage
        case "blip": self = .blip
        case "captcha": self = .captcha
        default:
            guard text.hasPrefix("slow:"), let delay = DurationText.parse(String(text.dropFirst(5))), delay > .zero, delay <= .seconds(600) else {
                return nil
            }
            self = .slow(delay)
        }
    }

    /// The shape as a timeline writes it.
    public var description: String {
        switch self {
        case .unavailable: "503"
        case .timeout: "timeout"
        case .refused: "refused"
        case .maintenancePage: "maintenance-page"
        case .slow(let delay): "slow:\(DurationText.format(delay))"
        case .blip: "blip"
        case .captcha: "captcha"
        }
    }

    /// Whether the storefront cannot sell: a slow one still sells, a blip or captcha passes.
    public var isOutage: Bool {
        switch self {
        case .blip, .captcha, .slow: false
        default: true
        }
    }

    /// Whether a public notice about it is a false alarm (a blip or a captcha).
    public var isFalseAlarm: Bool { self == .blip || self == .captcha }

    /// How long the event lasts when the timeline gives no `to`.
    var defaultLength: Duration {
        switch self {
        case .blip: .seconds(20)
        case .captcha: .seconds(60)
        default: .seconds(3_600)
        }
    }
}

/// One storefront failure of a timeline.
public struct TimelineEvent: Sendable, Equatable {
    /// The channel id.
    public var channel: String
    /// When the failure starts.
    public var from: Date
    /// When the storefront answers normally again.
    public var to: Date
    /// How it fails.
    public var shape: FaultShape
    /// A free note (`RMS障害`), shown in the report.
    public var note: String
    /// Where the event was written, for messages.
    public var location: SourceLocation?

    /// Creates an event.
    public init(channel: String, from: Date, to: Date, shape: FaultShape, note: String = "", location: SourceLocation? = nil) {
        self.channel = channel
        self.from = from
        self.to = to
        self.shape = shape
        self.note = note
        self.location = location
    }
}

/// A provider that answers one status for a while (`{ provider: "line", from, to, answer: 500 }`).
public struct ProviderFault: Sendable, Equatable {
    /// The provider (`line`, `x`, `slack`, …) or a host name.
    public var provider: String
    /// When it starts failing.
    public var from: Date
    /// When it answers normally again.
    public var to: Date
    /// The HTTP status it answers.
    public var answer: Int

    /// Creates a provider fault.
    public init(provider: String, from: Date, to: Date, answer: Int) {
        self.provider = provider
        self.from = from
        self.to = to
        self.answer = answer
    }

    /// The hosts a provider name stands for; any other name is taken as a host.
    public var hosts: [String] {
        switch provider.lowercased() {
        case "line": ["api.line.me"]
        case "x", "twitter": ["api.x.com", "api.twitter.com"]
        case "slack": ["hooks.slack.com"]
        case "discord": ["discord.com", "discordapp.com"]
        case "sendgrid": ["api.sendgrid.com"]
        case "mailchimp": [".api.mailchimp.com"]
        case "shopify": [".myshopify.com"]
        case "pagerduty": ["events.pagerduty.com"]
        case "statuspage": ["api.statuspage.io"]
        default: [provider.lowercased()]
        }
    }

    /// The provider names a timeline may use besides a host.
    public static let names = ["line", "x", "slack", "discord", "sendgrid", "mailchimp", "shopify", "pagerduty", "statuspage"]
}

/// A year (or an afternoon) of failures to run a workspace through.
public struct Timeline: Sendable {
    /// Storefront failures, by start.
    public var events: [TimelineEvent]
    /// Provider failures, by start.
    public var providerFaults: [ProviderFault]
    /// Sales of the period (last year's, which the workspace calendar no longer lists).
    public var sales: [SaleEvent]
    /// Where the run starts (default: an hour before the first event).
    public var start: Date?
    /// Where the run ends (default: two hours after the last event ends).
    public var end: Date?

    /// Creates a timeline.
    public init(events: [TimelineEvent], providerFaults: [ProviderFault] = [], sales: [SaleEvent] = [], start: Date? = nil, end: Date? = nil) {
        self.events = events.sorted { $0.from < $1.from }
        self.providerFaults = providerFaults.sorted { $0.from < $1.from }
        self.sales = sales.sorted { $0.from < $1.from }
        self.start = start
        self.end = end
    }

    /// When the run starts.
    public var runStart: Date {
        start ?? ((events.map(\.from) + providerFaults.map(\.from)).min() ?? Date(timeIntervalSince1970: 0)).addingTimeInterval(-3_600)
    }

    /// When the run ends.
    public var runEnd: Date {
        end ?? ((events.map(\.to) + providerFaults.map(\.to)).max() ?? runStart).addingTimeInterval(7_200)
    }
}
