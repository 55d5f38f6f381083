import DetourCore

/// `detour check`: validates the workspace and reports every problem at once.
struct CheckCommand: Command {
    static let name = "check"
    static let abstract = "Validate the workspace; print file:line:column for every problem"
    static let discussion = "Exits 0 when the workspace is valid (warnings allowed), 2 when there is any error."

    init(_ parsed: ParsedArguments) {}

    func run(_ context: CommandContext) async throws -> ExitCode {
        let load = WorkspaceLoader(root: context.workspaceRoot, environment: context.environment).load()
        let l10n = context.l10n
        for diagnostic in load.diagnostics { context.console.err(diagnostic.description(in: l10n)) }
        let errors = load.diagnostics.filter { $0.severity == .error }.count
        let warnings = load.diagnostics.count - errors
        let errorCount = errors == 1 ? l10n.text("check.count.error") : l10n.text("check.count.errors", ["count": "\(errors)"])
        let warningCount = warnings == 1 ? l10n.text("check.count.warning") : l10n.text("check.count.warnings", ["count": "\(warnings)"])
        guard let workspace = load.workspace else {
            context.console.err(l10n.text("check.summary.errors", ["errors": errorCount, "warnings": warningCount, "files": "\(load.fileCount)"]))
            return .invalidWorkspace
        }
        let steps = workspace.playbooks.reduce(0) { $0 + $1.steps.count + $1.recovery.count }
        let probes = workspace.channels.reduce(0) { $0 + $1.probes.count }
        let oncall = workspace.oncall.map {
            l10n.text("check.summary.oncall", ["people": "\($0.people.count)", "rotations": "\($0.rotations.count)"])
        }
        context.console.out(
            l10n.text(
                "check.summary.ok",
                [
                    "channels": "\(workspace.channels.count)", "probes": "\(probes)", "playbooks": "\(workspace.playbooks.count)",
                    "steps": "\(steps)", "oncall": oncall ?? "", "warnings": warningCount,
                ]))
        return .ok
    }
}
