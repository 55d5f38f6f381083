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
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, l10n: context.l10n)
        let open = state.unresolvedIncidents
        let now = (try? session.clock().now()) ?? Date()
        let l10n = context.l10n
        let zone = session.workspace.settings.timeZone
        if json {
            context.console.document(statusJSON(session, state, open, now: now).jsonText + "\n")
            return .ok
        }
        if let fallback = session.fallback {
            context.console.out(l10n.text("status.fix-last-good", ["summary": fallback.summary(in: zone, l10n: l10n)]) + "\n")
        }
        if session.workspace.settings.cluster != nil, let local = ClusterLocalState.load(from: session.stateDirectory) {
            context.console.out(ClusterRun.statusLine(local, context: context, zone: session.workspace.settings.timeZone) + "\n")
        }
        // Times of day in the table carry the zone's offset in the heading: `last probe (+09:00)`.
        let offset = LocalTime.offset(of: now, in: zone)
        var rows = [
            [
                l10n.text("status.heading.channel"), l10n.text("status.heading.name"), l10n.text("status.heading.state"),
                l10n.text("status.heading.last-probe", ["offset": offset]), l10n.text("status.heading.incident"),
            ]
        ]
        for channel in session.workspace.channels {
            let health = state.channels[channel.id] ?? ChannelHealth()
            let incident = state.openIncident(for: channel.id)
            rows.append([
                channel.id, channel.name, l10n.channelState(state.displayState(of: channel.id, at: now)),
                health.lastProbeAt.map(printer.clock) ?? l10n.text("status.never"),
                incident.map {
                    "\($0.id) (\($0.needsAttention ? l10n.text("status.needs-attention") : l10n.incidentStatus($0.status)))"
                } ?? "",
            ])
        }
        context.console.raw(TextTable.render(rows))
        for channel in session.workspace.channels {
            guard let hold = state.hold(on: channel.id, at: now) else { continue }
            let until =
                hold.until.map { l10n.text("status.hold.until", ["time": LocalTime.iso8601($0, in: zone)]) }
                ?? l10n.text("status.hold.until-released")
            let reason = hold.reason.map { l10n.text("status.reason", ["reason": $0]) } ?? ""
            context.console.out(l10n.text("status.hold", ["channel": channel.id, "by": hold.by, "until": until, "reason": reason]))
        }
        for (effect, holders) in state.heldEffects() {
            context.console.out(l10n.text("status.effect-held", ["effect": effect, "channels": holders.map(\.channel).joined(separator: ", ")]))
        }
        if open.isEmpty {
            context.console.out("\n" + l10n.text("status.no-incidents"))
        }
        for incident in open {
            let by = incident.by.map { l10n.text("status.by", ["by": $0]) } ?? ""
            let summary = session.workspace.summary(of: incident, clock: printer.clock, l10n: l10n)
            context.console.out(
                "\n"
                    + l10n.text(
                        "status.incident",
                        [
                            "incident": incident.id, "channel": incident.channel, "summary": summary, "trigger": l10n.trigger(incident.trigger),
                            "by": by, "reason": incident.reason,
                        ]))
            if let rule = session.workspace.pendingApproval(of: incident) {
                let auto =
                    rule.autoAfter.map {
                        l10n.text("status.auto-approve", ["time": printer.clock(incident.openedAt.addingTimeInterval($0.timeInterval))])
                    } ?? ""
                context.console.out("  " + l10n.text("status.awaiting-approval", ["incident": incident.id, "auto": auto]))
            }
            if let line = PageLines.status(incident, clock: printer.clock, l10n: l10n) { context.console.out("  \(line)") }
            for (key, step) in session.workspace.orderedSteps(of: incident) {
                let state = step.isUncertain ? l10n.text("status.step.uncertain") : l10n.outcome(step.outcome)
                let detail = step.error ?? step.note
                context.console.out("  \(key): \(state)\(step.status.map { " \($0)" } ?? "")\(detail.map { " — \($0)" } ?? "")")
            }
        }
        return .ok
    }

    private func statusJSON(_ session: WorkspaceSession, _ state: DetourState, _ open: [Incident], now: Date) -> JSONValue {
        let workspace = session.workspace
        // Times in the workspace's zone with its offset, as the report writes them.
        let zone = workspace.settings.timeZone
        let iso = { (date: Date) in JSONValue.string(LocalTime.iso8601(date, in: zone)) }
        let channels: [JSONValue] = workspace.channels.map { channel in
            let health = state.channels[channel.id] ?? ChannelHealth()
            return .object([
                ("id", .string(channel.id)), ("name", .string(channel.name)),
                ("state", .string(state.displayState(of: channel.id, at: now))),
                ("lastProbeAt", health.lastProbeAt.map { iso($0) } ?? .null),
                ("incident", state.openIncident(for: channel.id).map { .string($0.id) } ?? .null),
            ])
        }
        let incidents: [JSONValue] = open.map { incident in
            let approval = workspace.pendingApproval(of: incident)
            return .object([
                ("id", .string(incident.id)), ("channel", .string(incident.channel)), ("status", .string(incident.status.rawValue)),
                ("trigger", .string(incident.trigger.rawValue)), ("reason", .string(incident.reason)),
                ("openedAt", iso(incident.openedAt)),
                ("awaitingApproval", .bool(approval != nil)),
                ("playbooksAwaitingApproval", .array(workspace.playbooksAwaitingApproval(incident).map(JSONValue.string))),
                ("needsAttention", .bool(incident.needsAttention)),
                ("failedSteps", .array(incident.failedSteps.map(JSONValue.string))),
                ("follows", incident.follows.map(JSONValue.string) ?? .null),
                ("acknowledgedBy", incident.acknowledgedBy.map(JSONValue.string) ?? .null),
                ("acknowledgedAt", incident.acknowledgedAt.map { iso($0) } ?? .null),
                ("secondsToAcknowledge", incident.timeToAcknowledge.map { .number($0.rounded()) } ?? .null),
                (
                    "paged",
                    .array(
                        (incident.pages ?? []).map { page in
                            .object([
                                ("level", .number(Double(page.level))), ("person", .string(page.person)), ("name", .string(page.name)),
                                ("target", .string(page.target)), ("via", .array(page.via.map(JSONValue.string))), ("at", iso(page.at)),
                            ])
                        })
                ),
                (
                    "autoApproveAt",
                    approval?.autoAfter.map { iso(incident.openedAt.addingTimeInterval($0.timeInterval)) } ?? .null
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
                    ("takenAt", iso(fallback.takenAt)), ("errors", .number(Double(fallback.record.errors))),
                    ("files", .array(fallback.record.files.map { .string($0) })),
                    ("diagnostics", .array(fallback.errors.map { .string($0.description) })),
                ])
            } ?? .object([("lastGood", .bool(false))])
        return .object([("workspace", running), ("channels", .array(channels)), ("incidents", .array(incidents)), ("heldEffects", .array(effects))])
    }
}
