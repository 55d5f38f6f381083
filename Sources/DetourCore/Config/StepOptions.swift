import Foundation

/// A playbook's approval gate: its failover steps wait for `detour approve`, or run on their own after a while.
public struct ApprovalRule: Sendable {
    /// Whether an operator must approve.
    public var required: Bool
    /// Approve automatically this long after the incident opened; nil waits for a person.
    public var autoAfter: Duration?
}

/// What to do with an attempt that may have reached a provider that cannot tell a repeat.
public enum UncertainPolicy: String, Sendable, CaseIterable {
    /// Send it again (a notice may appear twice).
    case retry
    /// Record the step as skipped (a notice may be missing).
    case skip
}

/// When a step runs: every condition given must hold.
public struct StepCondition: Sendable {
    /// The events the step runs for (`down`, `up`, …).
    public var events: [String]?
    /// The channel kinds the step runs for.
    public var channelKinds: [ChannelKind]?
    /// True: only during a sale from `calendar.sales`; false: only outside one.
    public var sale: Bool?
    /// Minutes since local midnight: from (inclusive) and to (exclusive); may wrap past midnight.
    public var hours: (from: Int, to: Int)?

    /// Whether the step runs for this event, channel, and time.
    public func holds(event: String, channel: Channel, at now: Date, settings: WorkspaceSettings) -> Bool {
        if let events, !events.contains(event) { return false }
        if let channelKinds, !channelKinds.contains(channel.kind) { return false }
        if let sale, settings.calendar.isSaleActive(channel: channel.id, at: now) != sale { return false }
        if let hours {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = settings.timeZone
            let parts = calendar.dateComponents([.hour, .minute], from: now)
            let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
            let inside = hours.from <= hours.to ? (hours.from..<hours.to).contains(minute) : (minute >= hours.from || minute < hours.to)
            if !inside { return false }
        }
        return true
    }

    /// `"09:00-21:00"` → minutes; nil when malformed.
    static func parseHours(_ text: String) -> (Int, Int)? {
        let parts = HalfWidth.normalise(text).split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let from = minutes(parts[0]), let to = minutes(parts[1]), from != to else { return nil }
        return (from, to)
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute),
            hour * 60 + minute <= 24 * 60
        else { return nil }
        return hour * 60 + minute
    }
}
