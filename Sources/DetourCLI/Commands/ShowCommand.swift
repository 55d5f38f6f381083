import DetourCore
import Foundation

/// `detour show INCIDENT`: one incident's whole timeline from the journal.
struct ShowCommand: Command {
    static let name = "show"
    static let abstract = "Show one incident's whole timeline: probe evidence, state changes, every step attempt and answer"
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by status, log and report")]

    let incident: String

    init(_ parsed: ParsedArguments) { incident = parsed.positionals[0] }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        let records = try StateStore(directory: session.stateDirectory).records().records
        guard let timeline = IncidentTimeline(incident: incident, records: records, timeZone: workspace.settings.timeZone) else {
            var known: [String] = []
            for record in records { if case .incidentOpened(let event) = record.event { known.append(event.incident) } }
            let hint = known.isEmpty ? "there are no incidents yet" : "recent incidents: \(known.suffix(5).joined(separator: ", "))"
            context.console.err("error: no incident \"\(incident)\" in \(session.stateDirectory); \(hint)")
            return .failure
        }
        let now = try session.clock().now()
        var state = DetourState()
        for record in records { state.apply(record) }
        let report = LostSaleReport(state: state, workspace: workspace, now: now, filter: ReportFilter(since: nil, until: nil, channels: []))
        let item = timeline.incident
        let name = workspace.channel(item.channel)?.name ?? item.channel
        let printer = TimelinePrinter(console: context.console, workspace: workspace, l10n: context.l10n)
        context.console.out(
            "incident \(item.id) — \(name) (\(item.channel)), \(item.status.rawValue), \(item.trigger.rawValue)\(item.by.map { " by \($0)" } ?? "")")
        context.console.out("reason: \(item.reason)")
        let current = state.incident(item.id) ?? item
        context.console.out("now: \(workspace.summary(of: current, clock: printer.clock))")
        if let line = PageLines.status(current, clock: printer.clock) { context.console.out(line) }
        if let follows = current.follows {
            context.console.out("follows \(follows): its channel was restored by force while still failing")
        }
        if let next = state.incidents.first(where: { $0.follows == item.id }) {
            context.console.out("followed by \(next.id): the channel was still down after the forced restore")
        }
        let held = state.heldEffects().filter { $0.holders.contains { $0.id == item.id } }
        for (effect, holders) in held {
            context.console.out("holds \(effect) (held by \(holders.map(\.channel).joined(separator: ", ")))")
        }
        if let window = report.windows.first(where: { $0.incident == item.id }) {
            let failover = window.secondsToMitigate.map { ", failover took \(Elapsed.text($0))" } ?? ", failover not complete"
            context.console.out(
                "window: \(report.time(window.from)) – \(window.to.map(report.time) ?? "ongoing") (\(String(format: "%.1f", window.minutes)) min), "
                    + "detected after \(Elapsed.text(window.secondsToDetect))\(failover); money at risk \(window.moneyAtRisk.formatted)"
            )
        }
        let steps = workspace.orderedSteps(of: item)
        if !steps.isEmpty {
            context.console.out("steps, in the order they run:")
            for (key, step) in steps {
                let state = step.isUncertain ? "uncertain (will resume)" : step.outcome?.rawValue ?? "pending"
                context.console.out("  \(key): \(state)\(step.status.map { " \($0)" } ?? "")")
            }
        }
        context.console.out("")
        var day = ""
        for entry in timeline.entries {
            let date = String(report.time(entry.time).prefix(10))
            if date != day {
                context.console.out(date)
                day = date
            }
            context.console.out("\(printer.clock(entry.time))  \(entry.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.text)")
        }
        return .ok
    }
}
