import Foundation
import Synchronization

/// A clock that runs in real time from wherever it was last set, and jumps when told to or
/// when asked to sleep: the demo skips the waiting but keeps how long requests really took.
public final class SimulatedClock: WallClock, Sendable {
    /// The last jump, and the real instant it happened at.
    private struct Jump {
        var base: Date
        var anchor = ContinuousClock.now

        var current: Date { base.addingTimeInterval((ContinuousClock.now - anchor).timeInterval) }
    }

    private let jump: Mutex<Jump>

    /// Starts at the given time.
    public init(_ start: Date) { jump = Mutex(Jump(base: start)) }

    /// The simulated time: the last jump plus the real time since.
    public func now() -> Date { jump.withLock { $0.current } }

    /// Jumps to a time (never backwards).
    public func set(_ date: Date) {
        jump.withLock { $0 = Jump(base: max($0.current, date)) }
    }

    /// Jumps to the deadline instead of waiting.
    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        set(deadline)
    }
}
