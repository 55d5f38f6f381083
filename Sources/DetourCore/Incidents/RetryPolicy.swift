import Foundation

/// When a failed attempt is tried again: a pure policy, the same for every run.
///
/// A provider's own wait (`Retry-After`, `x-rate-limit-reset`, Discord's `retry_after`) is honoured
/// but clamped, so a hostile or broken answer can neither crash the arithmetic nor park a step for
/// years; without one, the wait grows exponentially with jitter.
public struct RetryPolicy: Sendable, Equatable {
    /// The longest exponential backoff.
    public var maxBackoff: TimeInterval = 600
    /// The longest wait a provider may ask for.
    public var maxProviderWait: TimeInterval = 3_600
    /// Waits up to this long happen inside the pass; longer ones end the pass and are journaled (`retryAt`).
    public var inlineWait: TimeInterval = 5

    /// The default policy.
    public init() {}

    /// How long to wait after `failures` failed attempts; always finite and within the policy's bounds.
    public func wait(providerAsked: Duration?, backoff base: Duration, failures: Int, key: String) -> TimeInterval {
        if let asked = providerAsked {
            let seconds = asked.timeInterval
            // NaN and negative waits fall back to the backoff; huge ones are clamped.
            if seconds.isFinite, seconds >= 0 { return min(seconds, maxProviderWait) }
        }
        return backoff(base, failures: failures, key: key)
    }

    /// Exponential backoff with jitter: base × 2^failures, times 0.5–1.0, at most `maxBackoff`.
    /// The jitter comes from the step key, so runs are reproducible while steps still spread out.
    public func backoff(_ base: Duration, failures: Int, key: String) -> TimeInterval {
        let baseSeconds = max(0, base.timeInterval)
        let exponential = min(maxBackoff, baseSeconds * pow(2, Double(min(max(failures, 0), 20))))
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(key)#\(failures)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let jitter = 0.5 + Double(hash % 1_000) / 2_000
        return exponential * jitter
    }

    /// Whether a wait until `retryAt` is short enough to sleep through inside a pass ending at `deadline`.
    public func waitsInline(until retryAt: Date, now: Date, deadline: Date) -> Bool {
        retryAt.timeIntervalSince(now) <= inlineWait && retryAt < deadline
    }
}
