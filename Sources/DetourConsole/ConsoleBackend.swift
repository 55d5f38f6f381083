import DetourServer
import Foundation

/// What an operator asks for from the console; each maps to the engine entry point the CLI uses.
public enum ConsoleAction: String, Sendable, CaseIterable {
    case failover, restore, hold, release, approve, ack, retry

    /// Whether the target is a channel (otherwise an incident).
    public var targetsChannel: Bool {
        switch self {
        case .failover, .restore, .hold, .release: true
        case .approve, .ack, .retry: false
        }
    }
}

/// One action as submitted: what, on which channel or incident, why, until when.
public struct ConsoleRequest: Sendable, Equatable {
    /// The action.
    public var action: ConsoleAction
    /// A channel id or an incident id.
    public var target: String
    /// The reason given (required for a failover).
    public var reason: String?
    /// The end of a hold, when given.
    public var until: Date?

    /// Creates a request.
    public init(action: ConsoleAction, target: String, reason: String? = nil, until: Date? = nil) {
        self.action = action
        self.target = target
        self.reason = reason
        self.until = until
    }
}

/// What `/hb/<token>` did with a check-in.
public enum CheckInResult: Sendable, Equatable {
    /// The token belongs to this push monitor's channel; its check-in is recorded.
    case accepted(channel: String)
    /// No push monitor has this token.
    case unknownToken
}

/// The daemon's side of the console: carrying out actions and taking check-ins.
public protocol ConsoleBackend: Sendable {
    /// Carries out `request` as `user` (journaled as `by`), publishes the new state, and returns a
    /// one-line summary; throws an error whose description a person can act on.
    func perform(_ request: ConsoleRequest, by user: String) async throws -> String

    /// Records a push monitor's check-in (`/hb/<token>`).
    func checkIn(token: String) async -> CheckInResult
}

extension ConsoleBackend {
    /// No push monitors yet: every token is unknown.
    public func checkIn(token: String) async -> CheckInResult { .unknownToken }
}

/// Runs async work from a connection thread (never a pool thread) and waits for its result.
func waitOnThread<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let box = LockedValue<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await work()
        box.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return box.withLock { $0! }
}
