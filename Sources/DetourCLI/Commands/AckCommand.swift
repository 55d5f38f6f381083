import DetourCore

/// `detour ack INCIDENT`: someone takes the incident; its page escalates no further.
struct AckCommand: Command {
    static let name = "ack"
    static let abstract = "Acknowledge an incident's page: escalation to the next level stops"
    static let discussion =
        "The people paged get no further levels; the incident's other steps go on. 'detour status' shows who acknowledged and how long it took (MTTA)."
    static let by = Option.string("by", value: "NAME", help: "who takes it (default: $USER, $LOGNAME, then the login name)")
    static let options: [any OptionDeclaration] = [by]
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as in the page or detour status")]

    let incident: String
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        incident = parsed.positionals[0]
        by = try parsed.value(Self.by)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        let shared = ManualAction.SharedCommand(kind: .ack, target: incident, reason: nil, by: by)
        return try await ManualAction(context: context, shared: shared).perform { scene in
            let acknowledged = try await scene.engine.acknowledge(incident: incident, by: by ?? context.userName)
            let mtta = acknowledged.timeToAcknowledge.map {
                scene.l10n.text("ack.after", ["duration": DurationText.format(.seconds(Int64($0.rounded())))])
            }
            return scene.l10n.text(
                "ack.done",
                [
                    "incident": acknowledged.id, "person": acknowledged.acknowledgedBy ?? "?", "mtta": mtta ?? "",
                    "summary": scene.session.workspace.summary(of: acknowledged, clock: scene.clock, l10n: scene.l10n),
                ])
        }
    }
}
