import DetourCore
import Foundation

/// `detour status`: channels, open incidents and their steps.
struct StatusCommand: Command {
    static let name = "status"
    static let abstract = "Show every channel's health and the open incidents"
    static let options: [any OptionDeclaration] = [CLI.json]

    let json: Bool

    init(_ parsed: ParsedArguments) { json = parsed.flag(CLI.json) }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let state = try session.readState()
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace)
        let open = state.unresolvedIncidents
        let now = (try? session.clock().now()) ?? Date()
        if json {
            context.console.document(statusJSON(session, state, open, now: now).jsonText + "\n")
            return .ok
        }
        if let fallback = session.fallback {
            context.console.out("\(fallback.summary(in: session.workspace.settings.timeZone)); fix them and run 'detour check'\n")
        }
        if session.workspace.settings.cluster != nil, let local = ClusterLocalState.load(from: session.stateDirectory) {
            context.console.out(ClusterRun.statusLine(local, context: context, zone: session.workspace.settings.timeZone) + "\n")
        }
        var rows = [["channel", "name", "state", "last probe", "incident"]]
        for channel in session.workspace.channels {
            let health = state.channels[channel.id] ?? ChannelHealth()
            let incident = state.openIncident(for: channel.id)
            rows.append([
                channel.id, channel.name, state.displayState(of: channel.id, at: now),
                health.lastProbeAt.map(printer.clock) ?? "never",
                incident.map { "\($0.id) (\($0.needsAttention ? "needs attention" : $0.status.rawValue))" } ?? "",
            ])
        }
        context.console.raw(TextTable.render(rows))
        for channel in session.workspace.channels {
            guard let hold = state.hold(on: channel.id, at: now) else { continue }
            let until = hold.until.map { "until \(LocalTime.iso8601($0, in: session.workspace.settings.timeZone))" } ?? "until released"
            context.console.out("\(channel.id) is held by \(hold.by) \(until)\(hold.reason.map { ": \($0)" } ?? "")")
        }
        for (effect, holders) in state.heldEffects() {
            context.console.out("\(effect): held by \(holders.map(\.channel).joined(separator: ", "))")
        }
        if open.isEmpty {
            context.console.out("\nNo open incidents.")
        }
        for incident in open {
            let by = incident.by.map { " by \($0)" } ?? ""
            context.console.out(
                "\nincident \(incident.id) — \(incident.channel), \(session.workspace.summary(of: incident, clock: printer.clock)), \(incident.trigger.rawValue)\(by): \(incident.reason)"
            )
            if let rule = session.workspace.pendingApproval(of: incident) {
                let auto = rule.autoAfter.map { " (approved automatically at \(printer.clock(incident.openedAt.addingTimeInterval($0.timeInterval))))" } ?? ""
                context.console.out("  awaiting approval: run 'detour approve \(incident.id)'\(auto)")
            }
            if let line = PageLines.status(incident, clock: printer.clock) { context.console.out("  \(line)") }
            for (key, step) in session.workspace.orderedSteps(of: incident) {
                let state = step.isUncertain ? "uncertain (will resume)" : step.outcome?.rawValue ?? "pending"
                let detail = step.error ?? step.note
                context.console.out("  \(key): \(state)\(step.status.map { " \($0)" } ?? "")\(detail.map { " — \($0)" } ?? "")")
            }
        }
        return .ok
    }

    private func statusJSON(_ session: WorkspaceSession, _ state: DetourState, _ open: [Incident], now: Date) -> JSONValue {
        let workspace = session.workspace
        let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let channels: [JSONValue] = workspace.channels.map { channel in
            let health = state.channels[channel.id] ?? ChannelHealth()
            return .object([
                ("id", .string(channel.id)), ("name", .string(channel.name)),
                ("state", .string(state.displayState(of: channel.id, at: now))),
                ("lastProbeAt", health.lastProbeAt.map { .string($0.formatted(iso)) } ?? .null),
                ("incident", state.openIncident(for: channel.id).map { .string($0.id) } ?? .null),
            ])
        }
        let incidents: [JSONValue] = open.map { incident in
            let approval = workspace.pendingApproval(of: incident)
            return .object([
                ("id", .string(incident.id)), ("channel", .string(incident.channel)), ("status", .string(incident.status.rawValue)),
                ("trigger", .string(incident.trigger.rawValue)), ("reason", .string(incident.reason)),
                ("openedAt", .string(incident.openedAt.formatted(iso))),
                ("awaitingApproval", .bool(approval != nil)),
                ("playbooksAwaitingApproval", .array(workspace.playbooksAwaitingApproval(incident).map(JSONValue.string))),
                ("needsAttention", .bool(incident.needsAttention)),
                ("failedSteps", .array(incident.failedSteps.map(JSONValue.string))),
                ("follows", incident.follows.map(JSONValue.string) ?? .null),
                ("acknowledgedBy", incident.acknowledgedBy.map(JSONValue.string) ?? .null),
                ("acknowledgedAt", incident.acknowledgedAt.map { .string($0.formatted(iso)) } ?? .null),
                ("secondsToAcknowledge", incident.timeToAcknowledge.map { .number($0.rounded()) } ?? .null),
                (
                    "paged",
                    .array(
                        (incident.pages ?? []).map { page in
                            .object([
                                ("level", .number(Double(page.level))), ("person", .string(page.person)), ("name", .string(page.name)),
                                ("target", .string(page.target)), ("via", .array(page.via.map(JSONValue.string))), ("at", .string(page.at.formatted(iso))),
                            ])
                        })
                ),
                (
                    "autoApproveAt",
                    approval?.autoAfter.map { .string(incident.openedAt.addingTimeInterval($0.timeInterval).formatted(iso)) } ?? .null
                ),
                (
                    "steps",
                    .object(
                        workspace.orderedSteps(of: incident).map {
                            ($0.key, .string($0.step.isUncertain ? "uncertain" : $0.step.outcome?.rawValue ?? "pending"))
                        })
                ),
            ])
        }
        let effects: [JSONValue] = state.heldEffects().map { effect, holders in
            .object([
                ("effect", .string(effect)), ("heldBy", .array(holders.map { .string($0.channel) })), ("incidents", .array(holders.map { .string($0.id) })),
            ])
        }
        // Which workspace runs: the one on disk, or the last good copy while the one on disk has errors.
        let running: JSONValue =
            session.fallback.map { fallback in
                .object([
                    ("lastGood", .bool(true)), ("summary", .string(fallback.summary(in: workspace.settings.timeZone))),
                    ("takenAt", .string(fallback.takenAt.formatted(iso))), ("errors", .number(Double(fallback.record.errors))),
                    ("files", .array(fallback.record.files.map { .string($0) })),
                    ("diagnostics", .array(fallback.errors.map { .string($0.description) })),
                ])
            } ?? .object([("lastGood", .bool(false))])
        return .object([("workspace", running), ("channels", .array(channels)), ("incidents", .array(incidents)), ("heldEffects", .array(effects))])
    }
}
