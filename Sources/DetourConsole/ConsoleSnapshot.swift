import DetourCore
import DetourServer
import Foundation

/// What the console and the status page show: the workspace and state as of the last pass or action.
///
/// Published by the daemon after each pass and each console action; requests only read it, so
/// they never wait for the engine or hold it across I/O.
public struct ConsoleSnapshot: Sendable {
    /// The workspace that runs.
    public var workspace: Workspace
    /// The state after the last pass or action.
    public var state: DetourState
    /// The state folder, for the journal (timelines) and the console's keys.
    public var stateDirectory: String
    /// When the last pass ended, nil before the first.
    public var lastPassAt: Date?
    /// Whether a pass or an action is running now.
    public var acting: Bool
    /// Grows by one with each publication, for server-sent events.
    public var version: Int
    /// Grows when what the public status page shows can have changed: another workspace, or records
    /// journaled since. A pass that only finds every store up journals nothing and leaves it alone.
    public var pageVersion = 0
    /// Each channel's last probe round, by channel id.
    public var lastProbes: [String: ProbeRound] = [:]

    /// One channel's last probe round, as shown in the console (secrets already masked).
    public struct ProbeRound: Sendable, Equatable {
        /// When it ran.
        public var at: Date
        /// One line per probe: its name, whether it passed, and its summary (status, latency, failure).
        public var probes: [(name: String, passed: Bool, summary: String)]

        /// Creates a round.
        public init(at: Date, probes: [(name: String, passed: Bool, summary: String)]) {
            self.at = at
            self.probes = probes
        }

        public static func == (left: ProbeRound, right: ProbeRound) -> Bool {
            left.at == right.at && left.probes.elementsEqual(right.probes) { $0 == $1 }
        }
    }

    /// Creates a snapshot.
    public init(workspace: Workspace, state: DetourState, stateDirectory: String, lastPassAt: Date? = nil, acting: Bool = false, version: Int = 0) {
        self.workspace = workspace
        self.state = state
        self.stateDirectory = stateDirectory
        self.lastPassAt = lastPassAt
        self.acting = acting
        self.version = version
    }
}

/// Holds the latest snapshot and wakes the event streams when a new one is published.
public final class ConsolePublisher: @unchecked Sendable {
    // @unchecked: `snapshot` is only touched while `condition` is locked.
    private let condition = NSCondition()
    private var snapshot: ConsoleSnapshot
    private var closed = false

    /// Starts with a first snapshot.
    public init(_ initial: ConsoleSnapshot) { snapshot = initial }

    /// The latest snapshot.
    public var current: ConsoleSnapshot { condition.withLock { snapshot } }

    /// Replaces the snapshot's parts that are given, bumps its version and wakes the streams.
    public func publish(workspace: Workspace? = nil, state: DetourState? = nil, lastPassAt: Date? = nil, acting: Bool? = nil) {
        condition.withLock {
            if workspace != nil || (state.map { $0.journalPosition != snapshot.state.journalPosition } ?? false) { snapshot.pageVersion += 1 }
            if let workspace { snapshot.workspace = workspace }
            if let state { snapshot.state = state }
            if let lastPassAt { snapshot.lastPassAt = lastPassAt }
            if let acting { snapshot.acting = acting }
            snapshot.version += 1
            condition.broadcast()
        }
    }

    /// Keeps a channel's last probe round (shown with the next publication).
    public func noteProbes(channel: String, _ round: ConsoleSnapshot.ProbeRound) {
        condition.withLock { snapshot.lastProbes[channel] = round }
    }

    /// Waits until the version passes `version` or `timeout` ends; returns the version then.
    public func waitForChange(after version: Int, timeout: Duration) -> Int {
        let (seconds, attoseconds) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while snapshot.version <= version, !closed {
            if !condition.wait(until: deadline) { break }
        }
        return snapshot.version
    }

    /// Whether `close()` was called: event streams should end.
    public var isClosed: Bool { condition.withLock { closed } }

    /// Ends every event stream (at shutdown): waiters return at once, now and later.
    public func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }
}
