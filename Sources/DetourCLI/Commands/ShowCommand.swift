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
        guard let timeline = IncidentTimeline(incident: incident, records: records, timeZone: workspace.settings.timeZone, l10n: context.l10n) else {
            var known: [String] = []
            for record in records { if case .incidentOpened(let event) = record.event { known.append(event.incident) } }
            let l10n = context.l10n
            let hint =
                known.isEmpty ? l10n.text("show.no-incidents-yet") : l10n.text("show.recent", ["incidents": known.suffix(5).joined(separator: ", ")])
            context.console.err("error: " + l10n.text("show.unknown", ["incident": incident, "folder": session.stateDirectory, "hint": hint]))
            return .failure
        }
        let now = try session.clock().now()
        var state = DetourState()
        for record in records { state.apply(record) }
        let report = LostSaleReport(state: state, workspace: workspace, now: now, filter: ReportFilter(since: nil, until: nil, channels: []))
        let item = timeline.incident
        let name = workspace.channel(item.channel)?.name ?? item.channel
        let printer = TimelinePrinter(console: context.console, workspace: workspace, l10n: context.l10n)
        let l10n = context.l10n
        let by = item.by.map { l10n.text("status.by", ["by": $0]) } ?? ""
        context.console.out(
            l10n.text(
                "show.heading",
                [
                    "incident": item.id, "name": name, "channel": item.channel, "status": l10n.incidentStatus(item.status),
                    "trigger": l10n.trigger(item.trigger), "by": by,
                ]))
        context.console.out(l10n.text("show.reason", ["reason": item.reason]))
        let current = state.incident(item.id) ?? item
        context.console.out(l10n.text("show.now", ["summary": workspace.summary(of: current, clock: printer.clock, l10n: l10n)]))
        if let line = PageLines.status(current, clock: printer.clock, l10n: l10n) { context.console.out(line) }
        if let follows = current.follows {
            context.console.out(l10n.text("show.follows", ["incident": follows]))
        }
        if let next = state.incidents.first(where: { $0.follows == item.id }) {
            context.console.out(l10n.text("show.followed-by", ["incident": next.id]))
        }
        let held = state.heldEffects().filter { $0.holders.contains { $0.id == item.id } }
        for (effect, holders) in held {
            context.console.out(l10n.text("show.holds", ["effect": effect, "channels": holders.map(\.channel).joined(separator: ", ")]))
        }
        if let window = report.windows.first(where: { $0.incident == item.id }) {
            let failover =
                window.secondsToMitigate.map { l10n.text("show.failover-took", ["elapsed": Elapsed.text($0)]) }
                ?? l10n.text("show.failover-incomplete")
            context.console.out(
                l10n.text(
                    "show.window",
                    [
                        "from": report.time(window.from), "to": window.to.map(report.time) ?? l10n.text("show.ongoing"),
                        "minutes": String(format: "%.1f", window.minutes), "detected": Elapsed.text(window.secondsToDetect),
                        "failover": failover, "money": window.moneyAtRisk.formatted,
                    ]))
        }
        let steps = workspace.orderedSteps(of: item)
        if !steps.isEmpty {
            context.console.out(l10n.text("show.steps"))
            for (key, step) in steps {
                let state = step.isUncertain ? l10n.text("status.step.uncertain") : l10n.outcome(step.outcome)
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
