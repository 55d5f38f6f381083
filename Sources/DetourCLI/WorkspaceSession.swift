import DetourCore
import Foundation

/// Loading the workspace and opening state, shared by the commands that need them.
struct WorkspaceSession {
    let context: CommandContext
    /// The workspace that runs: the one on disk, or its last good copy when it has errors.
    let workspace: Workspace
    /// The state folder.
    let stateDirectory: String
    /// Set when the workspace on disk has errors and this session runs on its last good copy.
    let fallback: Fallback?

    /// What is wrong with the workspace on disk, and which copy runs instead.
    struct Fallback {
        /// When the copy that runs was taken.
        var takenAt: Date
        /// The errors of the workspace on disk.
        var errors: [Diagnostic]
        /// The record `workspace.invalid` journals for them.
        var record: WorkspaceInvalid

        /// `running on the workspace of 2026-12-02T10:00:00+09:00: 1 error in playbooks/promo.json5`.
        func summary(in zone: TimeZone, l10n: Localizer = .english) -> String {
            let count = record.errors
            let errors = count == 1 ? l10n.text("check.count.error") : l10n.text("check.count.errors", ["count": "\(count)"])
            return l10n.text(
                "status.last-good", ["time": LocalTime.iso8601(takenAt, in: zone), "errors": errors, "files": record.files.joined(separator: ", ")])
        }
    }

    /// Loads and validates the workspace, printing every diagnostic.
    ///
    /// Commands that act on or read state pass `lastGood`: a successful load refreshes the last good
    /// copy in the state folder, and a workspace with errors runs on that copy (the command then
    /// exits 3). Nil (exit 2) when the workspace is invalid and there is no copy to run on.
    static func load(_ context: CommandContext, printWarnings: Bool = false, lastGood: Bool = false) -> WorkspaceSession? {
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        for diagnostic in load.diagnostics where diagnostic.severity == .error || printWarnings {
            context.console.err(diagnostic.description(in: context.l10n))
        }
        let errors = load.diagnostics.filter { $0.severity == .error }
        let now = (try? clock(context.environment).now()) ?? Date()
        if let workspace = load.workspace {
            let stateDirectory = resolve(context.stateDirOverride ?? workspace.settings.stateDir, in: workspace.root)
            if lastGood {
                do {
                    try LastGoodWorkspace(stateDirectory: stateDirectory).save(from: workspace.root, environment: context.environment, at: now)
                } catch {
                    // Monitoring goes on; only the fallback for a later broken file is missing.
                    context.console.err("warning: cannot keep the last good workspace: \(error.message)")
                }
            }
            return WorkspaceSession(context: context, workspace: workspace, stateDirectory: stateDirectory, fallback: nil)
        }
        let l10n = context.l10n
        let count = errors.count == 1 ? l10n.text("check.count.error") : l10n.text("check.count.errors", ["count": "\(errors.count)"])
        guard lastGood else {
            context.console.err(l10n.text("session.invalid", ["errors": count, "workspace": context.workspaceRoot]))
            return nil
        }
        // The state folder may be named in the broken detour.json5: try what could be read, then the default.
        let candidates = context.stateDirOverride.map { [$0] } ?? [load.settings.stateDir, WorkspaceSettings.defaults.stateDir]
        for candidate in candidates {
            let stateDirectory = resolve(candidate, in: context.workspaceRoot)
            guard let loaded = LastGoodWorkspace(stateDirectory: stateDirectory).load(root: context.workspaceRoot, environment: context.environment) else {
                continue
            }
            let (workspace, manifest) = loaded
            let files = Array(Set(errors.map(\.location.file))).sorted()
            let fingerprint = fingerprint(errors)
            let fallback = Fallback(
                takenAt: manifest.takenAt, errors: errors,
                record: WorkspaceInvalid(errors: errors.count, files: files, fingerprint: fingerprint, lastGoodAt: manifest.takenAt))
            context.console.err(l10n.text("session.last-good", ["summary": fallback.summary(in: workspace.settings.timeZone, l10n: l10n)]))
            context.outcome.ranOnLastGoodWorkspace()
            return WorkspaceSession(context: context, workspace: workspace, stateDirectory: stateDirectory, fallback: fallback)
        }
        context.console.err(l10n.text("session.no-last-good", ["errors": count, "workspace": context.workspaceRoot]))
        return nil
    }

    /// Identifies a set of errors, whatever order they were found in.
    static func fingerprint(_ errors: [Diagnostic]) -> String {
        String(SHA256.hex(errors.map(\.description).sorted().joined(separator: "\n")).prefix(16))
    }

    static func resolve(_ path: String, in root: String) -> String {
        path.hasPrefix("/") ? path : root + "/" + path
    }

    /// A secret resolver over the process environment, masking through the console.
    var secrets: SecretResolver {
        SecretResolver(environment: context.environment, workspaceRoot: workspace.root, redactor: context.console.redactor)
    }

    /// The state without taking the lock (read-only commands).
    func readState() throws -> DetourState {
        try StateStore(directory: stateDirectory).loadState()
    }

    /// Journals whether the workspace is valid (once per change); the caller holds the lock.
    func noteWorkspace(_ engine: Engine) async throws {
        try await engine.noteWorkspace(fallback?.record, running: workspace, at: try clock().now())
    }

    /// Takes the run lock, waiting up to `patience`; nil when another run keeps it.
    ///
    /// While it waits it says whom it waits for, at once and again every `every`.
    func lock(patience: Duration, every: Duration = .seconds(5)) async throws -> RunLock? {
        let store = try StateStore(directory: stateDirectory)
        let started = ContinuousClock.now
        let deadline = started + patience
        var nextNotice = started
        let holder = LockHolder(command: context.commandLine, pid: getpid(), since: Date())
        while true {
            if let lock = try store.tryLock(holder: holder) { return lock }
            let now = ContinuousClock.now
            if now >= deadline { return nil }
            if now >= nextNotice {
                context.console.err("waiting for the run lock: \(lockHolder())")
                nextNotice = now + every
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Who holds the lock, for the message when it is busy.
    func lockHolder() -> String {
        guard let holder = (try? StateStore(directory: stateDirectory))?.lockHolder() else { return "another process" }
        return holder.description(in: workspace.settings.timeZone)
    }

    /// The real clock, or a clock pinned by `DETOUR_NOW` (ISO-8601) for rehearsals and tests.
    func clock() throws -> any WallClock {
        try Self.clock(context.environment)
    }

    private static func clock(_ environment: [String: String]) throws -> any WallClock {
        guard let text = environment["DETOUR_NOW"], !text.isEmpty else { return SystemClock() }
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
