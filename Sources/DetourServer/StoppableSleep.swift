import Foundation

extension NSCondition {
    /// Waits up to `duration`, woken early by a broadcast after which `stopped()` is true; returns
    /// true when the whole duration passed. The caller must not hold the lock; `stopped` is read under it.
    public func sleep(for duration: Duration, unless stopped: () -> Bool) -> Bool {
        let (seconds, attoseconds) = duration.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        lock()
        defer { unlock() }
        while !stopped() {
            if !wait(until: deadline) { return !stopped() }
        }
        return false
    }
}
