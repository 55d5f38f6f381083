import DetourCore
import Foundation

/// `detour report`: lost-sale windows and money at risk.
struct ReportCommand: Command {
    static let name = "report"
    static let abstract = "Lost-sale windows: when each outage ran, for how long, and the money at risk"
    static let options = [OptionSpec(name: "csv", short: nil, value: nil, help: "print CSV (UTF-8) instead of a table")]

    let csv: Bool

    init(_ parsed: ParsedArguments) throws { csv = parsed.flag("csv") }

    func run(_ context: CommandContext) async -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        do {
            let report = LostSaleReport(state: try session.readState(), workspace: session.workspace, now: try session.clock().now())
            context.console.raw(csv ? report.csv() : report.table())
            return .ok
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }
}
