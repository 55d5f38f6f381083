import Foundation

/// The escalation of one page as a pure decision: given the levels paged so far, the
/// acknowledgement and the time, which level to page next, or when to look again.
public struct Escalation: Sendable, Equatable {
    /// The policy's levels, in order.
    public var levels: [EscalationLevel]

    /// Creates the decision over a policy.
    public init(levels: [EscalationLevel]) { self.levels = levels }

    /// What to do now.
    public enum Decision: Sendable, Equatable {
        /// Page this level (0-based) now.
        case page(level: Int)
        /// Nothing until this time (the current level's `wait` runs out).
        case wait(until: Date)
        /// Nothing more: acknowledged, resolved, or the last level was paged.
        case done
    }

    /// The decision, given when each level was paged (index = level), whether someone acknowledged,
    /// and whether the outage is over.
    public func next(paged: [Date], acknowledged: Bool, over: Bool, at now: Date) -> Decision {
        guard !acknowledged, !over, !levels.isEmpty else { return .done }
        guard let last = paged.last else { return .page(level: 0) }
        let current = paged.count - 1
        guard current + 1 < levels.count, let wait = levels[current].wait else { return .done }
        let due = last.addingTimeInterval(wait.timeInterval)
        return now >= due ? .page(level: current + 1) : .wait(until: due)
    }
}
