import Foundation

/// A way to reach a person when paging (`via` in an escalation level).
public enum PageWay: String, Sendable, CaseIterable, Codable {
    /// A LINE push message to the person's user id.
    case line
    /// A Slack direct message (`chat.postMessage` to the person's user id).
    case slack
    /// A mail through SendGrid.
    case email
    /// A text message through Twilio.
    case sms
    /// A phone call through Twilio that reads the page aloud.
    case phone
    /// A PagerDuty event, for those who have it.
    case pagerduty
}

/// Someone who can be paged, from `people` in `oncall.json5`.
public struct Person: Sendable, Equatable {
    /// The key under `people` (`tanaka`).
    public var id: String
    /// How the person is called in messages (`田中`).
    public var name: String
    /// LINE user id (`U4af4980629…`).
    public var line: String?
    /// Slack member id (`U0AB12CD`).
    public var slack: String?
    /// Mail address.
    public var email: String?
    /// Phone number in E.164 (`+81901234…`), for `sms` and `phone`.
    public var phone: String?

    /// The address for a way of paging, if the person has one (`pagerduty` needs none).
    public func address(for way: PageWay) -> String? {
        switch way {
        case .line: line
        case .slack: slack
        case .email: email
        case .sms, .phone: phone
        case .pagerduty: id
        }
    }
}

/// Weekly (or daily) shifts handed from one member to the next.
public struct Rotation: Sendable, Equatable {
    /// The key under `rotations` (`primary`).
    public var id: String
    /// Person ids, in the order they take shifts.
    public var members: [String]
    /// The weekday of the handoff (1 = Sunday … 7 = Saturday), nil for every day.
    public var handoffWeekday: Int?
    /// Hour and minute of the handoff, local time.
    public var handoffHour: Int
    /// Minute of the handoff.
    public var handoffMinute: Int
    /// Shift length in whole days (`1w` = 7).
    public var everyDays: Int
    /// When the first member's shift starts counting (the first handoff at or after it).
    public var start: Date
}

/// A person who covers a rotation for a while (`overrides` in `oncall.json5`).
public struct OnCallOverride: Sendable, Equatable {
    /// The rotation covered.
    public var rotation: String
    /// Who covers it.
    public var person: String
    /// From this time (inclusive).
    public var from: Date
    /// Until this time (exclusive).
    public var to: Date
    /// Why, for people (`スーパーSALE初日`).
    public var reason: String
}

/// One level of an escalation policy.
public struct EscalationLevel: Sendable, Equatable {
    /// A rotation id or a person id.
    public var notify: String
    /// The ways to page, in order.
    public var via: [PageWay]
    /// How long to wait for an acknowledgement before the next level; nil on the last level.
    public var wait: Duration?
}

/// The credentials and senders the built-in paging transports use (`send` in `oncall.json5`).
public struct PageTransports: Sendable {
    /// LINE channel access token (`line`).
    public var lineToken: CredentialField?
    /// Slack bot token with `chat:write` (`slack`).
    public var slackToken: CredentialField?
    /// SendGrid API key (`email`).
    public var sendgridKey: CredentialField?
    /// The sender address of pages by mail.
    public var emailFrom: String?
    /// Twilio account SID (`sms`, `phone`).
    public var twilioAccount: CredentialField?
    /// Twilio auth token.
    public var twilioToken: CredentialField?
    /// The Twilio number pages come from (E.164).
    public var twilioFrom: String?
    /// PagerDuty Events v2 routing key (`pagerduty`).
    public var pagerdutyKey: CredentialField?

    /// Every credential with where it was written.
    public var credentials: [(CredentialReference, SourceLocation)] {
        [lineToken, slackToken, sendgridKey, twilioAccount, twilioToken, pagerdutyKey].compactMap { $0 }.map { ($0.reference, $0.location) }
    }
}

/// `oncall.json5`: people, rotations, overrides and escalation policies.
public struct OnCallSchedule: Sendable {
    /// People by id, in file order.
    public var people: [Person]
    /// Rotations, in file order.
    public var rotations: [Rotation]
    /// Overrides, in file order.
    public var overrides: [OnCallOverride]
    /// Escalation policies by name.
    public var escalation: [String: [EscalationLevel]]
    /// Transport credentials.
    public var transports: PageTransports
    /// The workspace's time zone (handoffs are local times).
    public var timeZone: TimeZone

    /// A person by id.
    public func person(_ id: String) -> Person? { people.first { $0.id == id } }

    /// A rotation by id.
    public func rotation(_ id: String) -> Rotation? { rotations.first { $0.id == id } }
}

extension Workspace {
    /// The escalation levels a `page` step names, if the policy exists.
    public func escalationPolicy(_ name: String) -> [EscalationLevel]? { oncall?.escalation[name] }
}
