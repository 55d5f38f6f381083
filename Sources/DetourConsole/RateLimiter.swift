import DetourServer
import Foundation

/// Counts failures (bad sign-in links, unknown check-in tokens) per client and refuses a client
/// that has too many in the last window.
public final class RateLimiter: Sendable {
    private let limit: Int
    private let window: TimeInterval
    private let failures = LockedValue<[String: [Date]]>([:])

    /// Allows `limit` failures per client within `window`.
    public init(limit: Int = 10, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = TimeInterval(window.components.seconds)
    }

    /// Whether the client has used up its failures for now.
    public func isLimited(_ client: String, now: Date = Date()) -> Bool {
        failures.withLock { table in
            let recent = (table[client] ?? []).filter { now.timeIntervalSince($0) < window }
            table[client] = recent.isEmpty ? nil : recent
            return recent.count >= limit
        }
    }

    /// Counts one failure for the client.
    public func recordFailure(_ client: String, now: Date = Date()) {
        failures.withLock { table in
            // Bounded so a flood of addresses cannot grow the table without end.
            if table.count > 10_000 { table.removeAll() }
            table[client, default: []].append(now)
        }
    }
}
