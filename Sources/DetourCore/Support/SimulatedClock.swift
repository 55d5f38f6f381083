import Foundation

/// A clock that runs in real time from wherever it was last set, and jumps when told to or
/// when asked to sleep: the demo skips the waiting but keeps how long requests really took.
public final class SimulatedClock: WallClock, @unchecked Sendable {
    // @unchecked: `base` and `anchor` are only touched under `lock`.
    private let lock = NSLock()
    private var base: Date
    private var anchor = ContinuousClock.now

    /// Starts at the given time.
    public init(_ start: Date) { base = start }

    /// The simulated time: the last jump plus the real time since.
    public func now() -> Date { lock.withLock { current() } }

    private func current() -> Date {
        base.addingTimeInterval((ContinuousClock.now - anchor).timeInterval)
    }

    /// Jumps to a time (never backwards).
    public func set(_ date: Date) {
        lock.withLock {
            base = max(current(), date)
            anchor = ContinuousClock.now
        }
    }

    /// Jumps to the deadline instead of waiting.
    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        set(deadline)
    }
}
