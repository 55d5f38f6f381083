import DetourCore

/// `detour check`: validates the workspace and reports every problem at once.
struct CheckCommand: Command {
    static let name = "check"
    static let abstract = "Validate the workspace; print file:line:column for every problem"
    static let discussion = "Exits 0 when the workspace is valid (warnings allowed), 2 when there is any error."

    init(_ parsed: ParsedArguments) {}

    func run(_ context: CommandContext) async throws -> ExitCode {
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        for diagnostic in load.diagnostics { context.console.err(diagnostic.description) }
        let errors = load.diagnostics.filter { $0.severity == .error }.count
        let warnings = load.diagnostics.count - errors
        guard let workspace = load.workspace else {
            context.console.err("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(load.fileCount) files")
            return .invalidWorkspace
        }
        let steps = workspace.playbooks.reduce(0) { $0 + $1.steps.count + $1.recovery.count }
        let probes = workspace.channels.reduce(0) { $0 + $1.probes.count }
        context.console.out(
            "ok: \(workspace.channels.count) channels (\(probes) probes), \(workspace.playbooks.count) playbooks (\(steps) steps), "
                + (workspace.oncall.map { "on call: \($0.people.count) people, \($0.rotations.count) rotations, " } ?? "")
                + "\(warnings) warning\(warnings == 1 ? "" : "s")"
        )
        return .ok
    }
}
