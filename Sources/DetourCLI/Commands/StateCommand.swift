import DetourCore
import Foundation

/// `detour state rebuild`: rebuilds `state.json` from the journal alone.
struct StateCommand: Command {
    static let name = "state"
    static let abstract = "Maintain the state folder: 'detour state rebuild' rebuilds state.json from the journal"
    static let discussion = "The snapshot is a cache; it is also rebuilt automatically when missing or unreadable."
    static let arguments = [ArgumentSpec(name: "ACTION", help: "rebuild")]

    let action: String

    init(_ parsed: ParsedArguments) { action = parsed.positionals[0] }

    func validate() throws(UsageError) {
        guard action == "rebuild" else { throw UsageError(description: "unknown action '\(action)'; write 'detour state rebuild'") }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        guard let lock = try await session.lock(patience: .seconds(60)) else {
            context.console.err("error: \(session.lockHolder()) holds the run lock; try again when it is done")
            return .failure
        }
        defer { lock.release() }
        let store = try StateStore(directory: session.stateDirectory)
        try store.repairTornTail()
        let state = try store.rebuildState()
        try store.saveSnapshot(state)
        let open = state.incidents.filter { $0.status != .resolved }.count
        context.console.out(
            "rebuilt \(store.snapshotPath) from \(try store.segments().count) journal segments: \(state.incidents.count) incidents (\(open) open), \(state.channels.count) channels"
        )
        return .ok
    }
}
