import DetourConsole
import DetourCore
import DetourServer
import Foundation

/// The console's backend inside `watch`: each action takes the run lock (between passes), opens
/// the engine as the CLI's operator commands do, acts as the signed-in user, and publishes the state.
/// On a cluster node an action (and a check-in) goes to the leader through etcd instead, as the CLI's do.
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
        if let settings = workspace.settings.cluster { return try await performShared(request, by: user, session, settings) }
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
        // Matched before the lock: a guessed token costs no lock and opens no engine.
        guard let channel = session.workspace.heartbeatChannel(forToken: token, secrets: session.secrets) else { return .unknownToken }
        if let settings = session.workspace.settings.cluster { return await checkInShared(channel: channel, session, settings) }
        do {
            guard let lock = try await session.lock(patience: .seconds(30)) else {
                session.context.console.err("warning: a check-in waited 30 s for the run lock (\(session.lockHolder())) and was not recorded")
                return .busy
            }
            defer { lock.release() }
            let printer = self.printer
            let engine = try session.engine(http: http) { printer.handle($0) }
            let outcome = try await engine.checkIn(channel: channel.id, via: "http", at: try session.clock().now())
            publisher.publish(state: await engine.state)
            return .accepted(channel: outcome.channel)
        } catch {
            session.context.console.err("warning: a check-in was not recorded: \(error.message)")
            return .busy
        }
    }
}

extension ConsoleBackendLive {
    /// How long a console action waits for the leader's outcome before saying which node will carry it out.
    static let sharedPatience: Duration = .seconds(15)

    /// A console action on a cluster node: written to etcd for the leader, journaled there as the signed-in user.
    private func performShared(_ request: ConsoleRequest, by user: String, _ session: WorkspaceSession, _ settings: ClusterSettings) async throws -> String {
        guard let etcd = ClusterOperator.etcd(session, settings, http: http) else {
            throw ConsoleBackendError("cannot read cluster.etcd.password in detour.json5 (the daemon's output says why)")
        }
        let kind: ClusterCommand.Kind
        var detail: String?
        switch request.action {
        case .failover: kind = .failover
        case .restore: kind = .restore
        case .hold:
            kind = .hold
            detail = request.until.map { LocalTime.iso8601($0, in: session.workspace.settings.timeZone) }
        case .release: kind = .release
        case .approve: kind = .approve
        case .ack: kind = .ack
        case .retry: kind = .retry
        }
        let sent: ClusterOperator.Sent
        do {
            sent = try await ClusterOperator.send(
                kind: kind, target: request.target, detail: detail, reason: request.reason, by: user, settings, etcd: etcd, patience: Self.sharedPatience)
        } catch {
            throw ConsoleBackendError("not sent to the cluster: \(error.message); try again")
        }
        if let outcome = sent.outcome, !outcome.ok { throw ConsoleBackendError("\(outcome.message) (\(outcome.node))") }
        return sent.summary
    }

    /// `/hb/<token>` on a cluster node: the token was matched here; only the channel's id goes to the leader through etcd.
    private func checkInShared(channel: Channel, _ session: WorkspaceSession, _ settings: ClusterSettings) async -> CheckInResult {
        guard let etcd = ClusterOperator.etcd(session, settings, http: http) else { return .busy }
        do {
            // Accepted once etcd holds it: the leader journals it in its next round, whichever node leads then.
            _ = try await ClusterOperator.send(
                kind: .checkin, target: channel.id, detail: "http", reason: nil, by: "heartbeat", settings, etcd: etcd, patience: .zero)
            return .accepted(channel: channel.id)
        } catch {
            session.context.console.err("warning: a check-in for \(channel.id) was not sent to the cluster: \(error.message)")
            return .busy
        }
    }
}

/// Why the console could not carry out an action, in words for the person who asked.
struct ConsoleBackendError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
