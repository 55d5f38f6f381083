import DetourCore

/// `detour approve INCIDENT`: releases an incident's approval gate so its failover steps run.
struct ApproveCommand: Command {
    static let name = "approve"
    static let abstract = "Release an incident's approval gate: its failover steps run now"
    static let discussion = "Playbooks with approval: { required: true } wait for this (or for autoAfter). 'detour status' lists what waits."
    static let by = Option.string("by", value: "NAME", help: "who approves (default: $USER, $LOGNAME, then the login name)")
    static let options: [any OptionDeclaration] = [by]
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by detour status")]

    let incident: String
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        incident = parsed.positionals[0]
        by = try parsed.value(Self.by)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        try await ManualAction(context: context, shared: .init(kind: .approve, target: incident, reason: nil, by: by)).perform { scene in
            let approved = try await scene.engine.approve(incident: incident, by: by ?? context.userName)
            return try StepsFailed.check(
                approved,
                summary: scene.l10n.text(
                    "approve.done",
                    ["incident": approved.id, "summary": scene.session.workspace.summary(of: approved, clock: scene.clock, l10n: scene.l10n)]))
        }
    }
}

/// `detour retry INCIDENT [STEP]`: sends failed steps again under their idempotency keys.
struct RetryCommand: Command {
    static let name = "retry"
    static let abstract = "Send an incident's failed steps again (under the same idempotency key)"
    static let discussion =
        "Without STEP every failed step of the incident is sent again. Attempts go on counting from where they stopped; each retry allows retry.attempts more."
    static let by = Option.string("by", value: "NAME", help: "who retries (default: $USER)")
    static let options: [any OptionDeclaration] = [by]
    static let arguments = [
        ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by detour status"),
        ArgumentSpec(name: "STEP", help: "a failed step (mall-down/line, or line); optional", required: false),
    ]

    let incident: String
    let step: String?
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        incident = parsed.positionals[0]
        step = parsed.positional(1)
        by = try parsed.value(Self.by)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        try await ManualAction(context: context, shared: .init(kind: .retry, target: incident, detail: step, reason: nil, by: by)).perform { scene in
            let retried = try await scene.engine.retry(incident: incident, step: step, by: by ?? context.userName)
            return try StepsFailed.check(retried, summary: scene.summary(of: retried))
        }
    }
}
