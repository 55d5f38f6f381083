import DetourConsole
import DetourCore
import DetourServer
import Foundation

/// The HTTP side of `watch --listen`: the server, the snapshot it reads, and the backend it acts through.
final class ConsoleWeb: Sendable {
    private let server: ConsoleServer
    private let publisher: ConsolePublisher
    private let backend: ConsoleBackendLive

    private init(server: ConsoleServer, publisher: ConsolePublisher, backend: ConsoleBackendLive) {
        self.server = server
        self.publisher = publisher
        self.backend = backend
    }

    /// Binds `address`, says where the console is (`console: http://127.0.0.1:PORT/console`), and serves.
    static func start(
        _ address: ListenAddress, session: WorkspaceSession, http: HTTPClient, printer: TimelinePrinter, console: Console
    ) throws -> ConsoleWeb {
        let state = (try? StateStore(directory: session.stateDirectory).loadState()) ?? DetourState()
        let publisher = ConsolePublisher(ConsoleSnapshot(workspace: session.workspace, state: state, stateDirectory: session.stateDirectory))
        let backend = ConsoleBackendLive(session: session, publisher: publisher, http: http, printer: printer)
        let server: ConsoleServer
        do {
            server = try ConsoleServer.start(listen: address, publisher: publisher, backend: backend)
        } catch {
            throw ConsoleBackendError("\(error.message); choose another port with --listen, or stop what uses it")
        }
        let base = server.baseURL
        try? ConsoleAccess(stateDirectory: session.stateDirectory).noteAddress(base)
        console.out("status page: \(base)/")
        console.out("console: \(base)/console")
        if session.workspace.settings.console.users.isEmpty {
            console.err("note: detour.json5 lists no console users, so nobody can sign in; add console: { users: [{ name: \"sato\", role: \"operator\" }] }")
        }
        return ConsoleWeb(server: server, publisher: publisher, backend: backend)
    }

    /// Keeps each channel's probe results (masked) for the console's "last probes".
    func observe(_ event: EngineEvent, mask: (String) -> String) {
        guard case .probed(let verdict, let at) = event else { return }
        let probes = verdict.results.map { (name: $0.probe, passed: $0.passed, summary: mask($0.summary)) }
        publisher.noteProbes(channel: verdict.channel, ConsoleSnapshot.ProbeRound(at: at, probes: probes))
    }

    /// Publishes the state after a pass.
    func passed(state: DetourState) {
        publisher.publish(state: state, lastPassAt: Date(), acting: false)
    }

    /// Follows a reloaded workspace.
    func update(_ session: WorkspaceSession) {
        backend.update(session)
        publisher.publish(workspace: session.workspace)
    }

    /// Stops serving: in-flight requests finish, event streams end.
    func shutdown() {
        server.shutdown()
    }
}
