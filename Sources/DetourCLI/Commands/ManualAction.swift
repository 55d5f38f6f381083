import DetourCore
import Foundation

/// The shared shape of the operator commands (failover, restore, hold, release, approve):
/// load, check the channel, take the lock (waiting for a pass in flight), act, report.
struct ManualAction {
    let context: CommandContext
    /// The channel the action is about, checked before anything else; nil for incident actions.
    var channel: String?
    /// The command that finishes what an interruption leaves, when running it again does (`detour restore rakuten`).
    var again: String? = nil
    /// On a cluster node, the command the leader carries out instead; nil where the action has no cluster form.
    var shared: SharedCommand? = nil

    /// An operator's command as the cluster's leader receives it.
    struct SharedCommand {
        var kind: ClusterCommand.Kind
        var target: String
        var detail: String? = nil
        var reason: String?
        var by: String?
        /// Works out `detail` from the loaded workspace (a hold's end in its time zone).
        var resolveDetail: (@Sendable (WorkspaceSession) throws -> String?)? = nil
    }

    /// What an action gets to work with.
    struct Scene {
        let engine: Engine
        let session: WorkspaceSession
        /// The engine's time (pinned by DETOUR_NOW in rehearsals).
        let now: Date

        /// The reader's language.
        let l10n: Localizer

        /// `HH:mm:ss` in the workspace's time zone.
        func clock(_ date: Date) -> String { LocalTime.clock(date, in: session.workspace.settings.timeZone) }

        /// `incident rakuten-20261202-010000: mitigated`, in the reader's language.
        func summary(of incident: Incident) -> String {
            l10n.text("manual.summary", ["incident": incident.id, "summary": session.workspace.summary(of: incident, clock: clock, l10n: l10n)])
        }
    }

    /// Runs `action` under the lock; its result is printed.
    func perform(_ action: (Scene) async throws -> String) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        if let channel { _ = try ChannelID(channel).resolve(in: session.workspace) }
        if let settings = session.workspace.settings.cluster {
            // One journal for the cluster: only the leader writes it, so the command goes to the leader.
            guard let shared else {
                context.console.err("error: \(context.commandLine) is not available on a cluster node; run it on a workspace without a cluster setting")
                return .usage
            }
            var detail = shared.detail
            if let resolve = shared.resolveDetail { detail = try resolve(session) }
            let by = shared.by ?? context.userName
            return try await ClusterOperator.submit(
                kind: shared.kind, target: shared.target, detail: detail, reason: shared.reason, by: by, session, settings)
        }
        let interruption = Interruption { context.console.err(session.leftAfterInterruption(again: again)) }
        interruption.install()
        guard let lock = try await session.lock(patience: .seconds(60)) else {
            context.console.err("error: " + context.l10n.text("manual.lock-held", ["holder": session.lockHolder()]))
            return .failure
        }
        defer { lock.release() }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, l10n: context.l10n)
        let engine = try session.engine(http: http) { event in
            printer.handle(event)
            interruption.observe(event)
        }
        try await session.noteWorkspace(engine)
        let now = try session.clock().now()
        var status = ExitCode.ok
        do {
            context.console.out(try await action(Scene(engine: engine, session: session, now: now, l10n: context.l10n)))
        } catch let failed as StepsFailed {
            // The command did its work but a step failed for good: say which, and exit 1.
            context.console.out(failed.summary)
            context.console.err("error: \(failed.description(in: context.l10n))")
            status = .failure
        }
        // Customers see a manual failover or restore at once, not at the next tick.
        let outputs = PassOutputs(workspace: session.workspace, metricsFile: nil, workingDirectory: context.workspaceRoot)
        if outputs.isEnabled { _ = outputs.write(state: await engine.state, now: now, console: context.console) }
        return status
    }
}

/// A manual command finished, but steps of its incident failed for good.
struct StepsFailed: DetourError {
    /// The incident line printed on stdout.
    let summary: String
    /// The incident.
    let incident: Incident

    var description: String { description(in: .english) }

    /// Which steps failed and how to send them again, in a language.
    func description(in l10n: Localizer) -> String {
        let steps = incident.failedSteps.map { key in "\(key): \(incident.steps[key]?.error ?? l10n.outcome(.failed))" }
        return l10n.text("manual.steps-failed", ["steps": steps.joined(separator: "; "), "incident": incident.id])
    }

    /// Throws when the incident has a failed step, so the command exits 1 and names it.
    static func check(_ incident: Incident, summary: String) throws -> String {
        guard incident.needsAttention else { return summary }
        throw StepsFailed(summary: summary, incident: incident)
    }
}

/// The arguments failover and restore share.
struct ManualArguments {
    /// `--reason TEXT`.
    static let reason = Option.string("reason", short: "r", help: "why (journaled and shown in status)")
    /// `--by NAME`.
    static let by = Option.string("by", value: "NAME", help: "who (default: $USER, $LOGNAME, then the login name)")
    /// `--dry-run`.
    static let dryRun = Flag("dry-run", short: "n", help: "list the steps that would run, change nothing")
    /// The options both commands take.
    static let options: [any OptionDeclaration] = [reason, by, dryRun]
    /// `failover` only: no public notice.
    static let quiet = Flag("quiet", short: "q", help: "send no public notice (LINE, X, …); run the other steps")
    /// `restore` only: restore although the channel still fails.
    static let force = Flag("force", help: "restore although the channel's probes still fail (its outage is then confirmed afresh)")
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let reason: String?
    let by: String?
    let dryRun: Bool
    let quiet: Bool
    let force: Bool

    init(_ parsed: ParsedArguments) throws(UsageError) {
        quiet = parsed.flag(Self.quiet)
        force = parsed.flag(Self.force)
        channel = parsed.positionals[0]
        reason = try parsed.value(Self.reason)
        by = try parsed.value(Self.by)
        dryRun = parsed.flag(Self.dryRun)
    }

    /// The steps of the given phases an outage of the channel would run, one per line.
    func plan(_ scene: ManualAction.Scene, phases: Set<StepPhase>) -> String {
        guard let channel = scene.session.workspace.channel(channel) else { return "" }
        let steps = Rehearsal(workspace: scene.session.workspace, secrets: scene.session.secrets).steps(channel: channel, start: scene.now)
            .filter { phases.contains($0.phase) }
        guard !steps.isEmpty else { return scene.l10n.text("manual.plan.nothing", ["channel": channel.id]) }
        return scene.l10n.text("manual.plan.would-run") + "\n"
            + steps.map { "  \($0.key) (\($0.provider))\($0.request.map { ": \($0.display)" } ?? "")" }.joined(separator: "\n")
    }
}
