import DetourCore

/// Options shared by the manual-control commands.
private let manualOptions = [
    OptionSpec(name: "reason", short: "r", value: "TEXT", help: "why (journaled and shown in status)"),
    OptionSpec(name: "by", short: nil, value: "NAME", help: "who (default: $USER)"),
    OptionSpec(name: "dry-run", short: "n", value: nil, help: "say what would run, change nothing"),
]

/// `detour failover CHANNEL`: an operator declares a channel down and runs its playbooks now.
struct FailoverCommand: Command {
    static let name = "failover"
    static let abstract = "Declare a channel down and run its failover playbooks now (manual override)"
    static let discussion = "Automation never resolves a manual incident; it waits for 'detour restore CHANNEL'."
    static let options = manualOptions
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let reason: String?
    let by: String?
    let dryRun: Bool

    init(_ parsed: ParsedArguments) throws {
        channel = parsed.positionals[0]
        reason = parsed.value("reason")
        by = parsed.value("by")
        dryRun = parsed.flag("dry-run")
    }

    func validate() throws {
        guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError(description: "a manual failover needs a reason: --reason \"楽天の決済エラー多発\"")
        }
    }

    func run(_ context: CommandContext) async -> ExitCode {
        await ManualAction(context: context, channel: channel, dryRun: dryRun).perform { engine, plan in
            if plan {
                return "would open a manual incident on \(channel) and run its failover steps"
            }
            let incident = try await engine.failover(channel: channel, reason: reason ?? "", by: by ?? context.userName)
            return "incident \(incident.id): \(incident.status.rawValue)"
        }
    }
}

/// `detour restore CHANNEL`: an operator ends a channel's incident; undo and recovery run now.
struct RestoreCommand: Command {
    static let name = "restore"
    static let abstract = "End a channel's incident: run undo and recovery steps now"
    static let options = manualOptions
    static let arguments = [ArgumentSpec(name: "CHANNEL", help: "the channel id (a file name in channels/)")]

    let channel: String
    let reason: String?
    let by: String?
    let dryRun: Bool

    init(_ parsed: ParsedArguments) throws {
        channel = parsed.positionals[0]
        reason = parsed.value("reason")
        by = parsed.value("by")
        dryRun = parsed.flag("dry-run")
    }

    func run(_ context: CommandContext) async -> ExitCode {
        await ManualAction(context: context, channel: channel, dryRun: dryRun).perform { engine, plan in
            if plan {
                return "would end the open incident of \(channel) and run its undo and recovery steps"
            }
            let incident = try await engine.restore(channel: channel, reason: reason, by: by ?? context.userName)
            return "incident \(incident.id): \(incident.status.rawValue)"
        }
    }
}

/// The shared shape of failover and restore: load, lock (waiting for a tick in flight), act, report.
private struct ManualAction {
    let context: CommandContext
    let channel: String
    let dryRun: Bool

    func perform(_ action: (Engine, Bool) async throws -> String) async -> ExitCode {
        guard let session = WorkspaceSession.load(context) else { return .invalidWorkspace }
        guard session.workspace.channel(channel) != nil else {
            context.console.err("error: unknown channel \"\(channel)\"; channels: \(session.workspace.channels.map(\.id).joined(separator: ", "))")
            return .usage
        }
        do {
            guard let lock = try await session.lock(patience: .seconds(60)) else {
                context.console.err("error: \(session.lockHolder()) has held the run lock for a minute; try again, or stop it")
                return .failure
            }
            defer { lock.release() }
            let http = makeHTTPClient()
            defer { http.shutdown() }
            let printer = TimelinePrinter(console: context.console, workspace: session.workspace)
            let engine = try session.engine(http: http, observer: printer.handle)
            context.console.out(try await action(engine, dryRun))
            // Customers see a manual failover or restore at once, not at the next tick.
            let outputs = PassOutputs(workspace: session.workspace, metricsFile: nil, workingDirectory: context.workspaceRoot)
            if !dryRun, outputs.isEnabled { _ = outputs.write(state: await engine.state, now: try session.clock().now(), console: context.console) }
            return .ok
        } catch let error as EngineError {
            context.console.err("error: \(error.description)")
            return .failure
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }
}
