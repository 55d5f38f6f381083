import DetourConsole
import DetourCore
import DetourServer
import Foundation

/// The console's backend inside `watch`: each action takes the run lock (between passes), opens
/// the engine as the CLI's operator commands do, acts as the signed-in user, and publishes the state.
final class ConsoleBackendLive: ConsoleBackend, @unchecked Sendable {
    // @unchecked: `session` is only touched under its lock; the rest is immutable and Sendable.
    private let session: LockedValue<WorkspaceSession>
    private let publisher: ConsolePublisher
    private let http: HTTPClient
    private let printer: TimelinePrinter

    init(session: WorkspaceSession, publisher: ConsolePublisher, http: HTTPClient, printer: TimelinePrinter) {
        self.session = LockedValue(session)
        self.publisher = publisher
        self.http = http
        self.printer = printer
    }

    /// Follows the daemon to a reloaded workspace.
    func update(_ session: WorkspaceSession) {
        self.session.withLock { $0 = session }
    }

    func perform(_ request: ConsoleRequest, by user: String) async throws -> String {
        let session = self.session.withLock { $0 }
        let workspace = session.workspace
        if request.action.targetsChannel {
            guard workspace.channel(request.target) != nil else { throw ConsoleBackendError(workspace.unknownChannelMessage(request.target)) }
        }
        guard let lock = try await session.lock(patience: .seconds(30)) else {
            throw ConsoleBackendError("\(session.lockHolder()) holds the run lock; try again in a minute")
        }
        defer { lock.release() }
        let printer = self.printer
        let engine = try session.engine(http: http) { printer.handle($0) }
        try await session.noteWorkspace(engine)
        let clock: (Date) -> String = { LocalTime.clock($0, in: workspace.settings.timeZone) }
        let summary: String
        do {
            switch request.action {
            case .failover:
                let incident = try await engine.failover(channel: request.target, reason: request.reason ?? "", by: user)
                summary = workspace.summary(of: incident, clock: clock)
            case .restore:
                let incident = try await engine.restore(channel: request.target, reason: request.reason, by: user)
                summary = workspace.summary(of: incident, clock: clock)
            case .hold:
                try await engine.hold(channel: request.target, until: request.until, reason: request.reason, by: user)
                summary = "\(request.target) held"
            case .release:
                try await engine.release(channel: request.target, by: user)
                summary = "\(request.target) released"
            case .approve:
                summary = workspace.summary(of: try await engine.approve(incident: request.target, by: user), clock: clock)
            case .ack:
                summary = workspace.summary(of: try await engine.acknowledge(incident: request.target, by: user), clock: clock)
            case .retry:
                summary = workspace.summary(of: try await engine.retry(incident: request.target, step: nil, by: user), clock: clock)
            }
        } catch let error as ConsoleBackendError {
            throw error
        } catch {
            publisher.publish(state: await engine.state)
            throw ConsoleBackendError(error.message)
        }
        publisher.publish(state: await engine.state)
        return summary
    }
}

extension ConsoleBackendLive {
    /// `/hb/<token>`: journals a push monitor's check-in under the run lock, as `detour checkin` does,
    /// and publishes the state (a late job's channel recovers at once).
    func checkIn(token: String) async -> CheckInResult {
        let session = self.session.withLock { $0 }
        // Only heartbeat channels have tokens: without one, no lock is taken for a guessed token.
        guard session.workspace.channels.contains(where: { $0.heartbeat != nil }) else { return .unknownToken }
        do {
            guard let lock = try await session.lock(patience: .seconds(30)) else {
                session.context.console.err("warning: a check-in waited 30 s for the run lock (\(session.lockHolder())) and was not recorded")
                return .busy
            }
            defer { lock.release() }
            let printer = self.printer
            let engine = try session.engine(http: http) { printer.handle($0) }
            let outcome = try await engine.checkIn(token: token, at: try session.clock().now())
            publisher.publish(state: await engine.state)
            switch outcome {
            case .recorded(let channel, _): return .accepted(channel: channel)
            case .unknownToken: return .unknownToken
            }
        } catch {
            session.context.console.err("warning: a check-in was not recorded: \(error.message)")
            return .busy
        }
    }
}

/// Why the console could not carry out an action, in words for the person who asked.
struct ConsoleBackendError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
