import DetourCore
import Foundation

/// `detour statuspage`: writes the public status page from the current state.
struct StatusPageCommand: Command {
    static let name = "statuspage"
    static let abstract = "Write a static status page (index.html + status.json) with one component per channel"
    static let discussion = """
        Components are operational, degraded_performance, partial_outage, major_outage or
        under_maintenance; the page lists current incidents (with the alternates to shop at),
        scheduled maintenance, a bar per day for the last 90 days and the past incidents' timelines
        (what customers were told, when), in Japanese and English, and publishes no probe evidence.
        With statusPage.out in detour.json5, tick and watch rewrite it after every pass.
        """
    static let out = Option.path("out", short: "o", value: "DIR", help: "the folder to write to (default: statusPage.out in detour.json5)")
    static let options: [any OptionDeclaration] = [out]

    let out: PathArgument?

    init(_ parsed: ParsedArguments) throws(UsageError) { out = try parsed.value(Self.out) }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        guard
            let folder = out?.absolute()
                ?? workspace.settings.statusPageOut.map({ $0.hasPrefix("/") ? $0 : workspace.root + "/" + $0 })
        else {
            throw UsageError(description: "no folder to write to; pass --out DIR or set statusPage: { out: \"public/status\" } in detour.json5")
        }
        let page = StatusPage(workspace: workspace, state: try session.readState(), now: try session.clock().now())
        try page.write(to: folder)
        for component in page.components { context.console.out("\(component.id): \(component.status.rawValue)") }
        context.console.out("wrote \(folder)/index.html and \(folder)/status.json")
        return .ok
    }
}
