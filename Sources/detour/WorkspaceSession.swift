import DetourCore
import Foundation

/// Loading the workspace and opening state, shared by the commands that need them.
struct WorkspaceSession {
    let context: CommandContext
    let workspace: Workspace

    /// Loads and validates the workspace; prints every diagnostic; nil (exit 2) when invalid.
    static func load(_ context: CommandContext, printWarnings: Bool = false) -> WorkspaceSession? {
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        for diagnostic in load.diagnostics where diagnostic.severity == .error || printWarnings {
            context.console.err(diagnostic.description)
        }
        guard let workspace = load.workspace else {
            let count = load.diagnostics.filter { $0.severity == .error }.count
            context.console.err("\(count) error\(count == 1 ? "" : "s") in workspace \(context.workspaceRoot); fix them and run 'detour check'")
            return nil
        }
        return WorkspaceSession(context: context, workspace: workspace)
    }

    /// The state folder: the override, or the workspace's setting relative to the workspace.
    var stateDirectory: String {
        let configured = context.stateDirOverride ?? workspace.settings.stateDir
        return configured.hasPrefix("/") ? configured : workspace.root + "/" + configured
    }

    /// A secret resolver over the process environment, masking through the console.
    var secrets: SecretResolver {
        SecretResolver(environment: context.environment, workspaceRoot: workspace.root, redactor: context.console.redactor)
    }

    /// The state without taking the lock (read-only commands).
    func readState() throws -> DetourState {
        try StateStore(directory: stateDirectory).loadState()
    }

    /// Takes the run lock, waiting up to `patience`; nil when another run keeps it.
    func lock(patience: Duration) async throws -> RunLock? {
        let store = try StateStore(directory: stateDirectory)
        let deadline = ContinuousClock.now + patience
        while true {
            if let lock = try store.tryLock() { return lock }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Who holds the lock, for the message when it is busy.
    func lockHolder() -> String {
        (try? StateStore(directory: stateDirectory).lockHolder()).flatMap { $0 }.map { "pid \($0)" } ?? "another process"
    }

    /// The real clock, or a clock pinned by `DETOUR_NOW` (ISO-8601) for rehearsals and tests.
    func clock() throws -> any WallClock {
        guard let text = context.environment["DETOUR_NOW"], !text.isEmpty else { return SystemClock() }
        guard let date = try? Date.ISO8601FormatStyle().parse(text) else {
            throw EngineError(description: "DETOUR_NOW=\(text) is not an ISO-8601 time; write it like 2026-11-25T10:00:00+09:00")
        }
        return ManualClock(date)
    }

    /// An engine over this workspace.
    func engine(http: HTTPClient, observer: @escaping @Sendable (EngineEvent) -> Void) throws -> Engine {
        let dependencies = EngineDependencies(workspace: workspace, http: http, clock: try clock(), secrets: secrets, observer: observer)
        return try Engine(dependencies: dependencies, stateDirectory: stateDirectory)
    }
}

/// A new HTTP client with Detour's user agent.
func makeHTTPClient(maxConcurrent: Int = 256) -> HTTPClient {
    HTTPClient(maxConcurrent: maxConcurrent, userAgent: "detour/\(DetourVersion.current)")
}
