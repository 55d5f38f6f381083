import Foundation
import Synchronization

/// Where Detour gets the time from; tests and the demo pass a manual clock.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Waits until the given time (returns at once if it has passed); throws on cancellation.
    func sleep(until deadline: Date) async throws
}

/// The real clock.
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}

    /// The current time.
    public func now() -> Date { Date() }

    /// Sleeps in real time.
    public func sleep(until deadline: Date) async throws {
        let interval = deadline.timeIntervalSinceNow
        // Capped: a far-off deadline must not overflow the clock's instant arithmetic; callers check the time again on waking.
        if interval > 0 { try await Task.sleep(for: min(.milliseconds(Int64(saturating: interval * 1_000)), DurationText.longest)) }
    }
}

/// A clock that moves only when told to; sleeping jumps straight to the deadline.
public final class ManualClock: WallClock, Sendable {
    private let current: Mutex<Date>

    /// Starts at the given time.
    public init(_ start: Date) { current = Mutex(start) }

    /// The current manual time.
    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock to a time (never backwards).
    public func set(_ date: Date) {
        current.withLock { $0 = max($0, date) }
    }

    /// Jumps to the deadline instead of waiting.
    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        set(deadline)
    }
}
