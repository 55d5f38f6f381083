import DetourCore
import Foundation

/// `detour review INCIDENT`: a post-incident review draft in Markdown.
struct ReviewCommand: Command {
    static let name = "review"
    static let abstract = "Write a post-incident review draft in Markdown: timeline, pages, notices, steps, money, gaps, questions"
    static let out = Option.string("out", short: "o", value: "FILE", help: "write the draft to FILE instead of printing it")
    static let options: [any OptionDeclaration] = [out]
    static let arguments = [ArgumentSpec(name: "INCIDENT", help: "the incident id, as shown by status, log and report")]

    let incident: String
    let out: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        incident = parsed.positionals[0]
        out = try parsed.value(Self.out)
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        do {
            let records = try StateStore(directory: session.stateDirectory).records().records
            guard let timeline = IncidentTimeline(incident: incident, records: records, timeZone: workspace.settings.timeZone) else {
                context.console.err("error: no incident \"\(incident)\" in \(session.stateDirectory); see detour report or detour log for the ids")
                return .failure
            }
            let text = IncidentReview(timeline: timeline, workspace: workspace, now: try session.clock().now()).markdown()
            guard let out else {
                context.console.document(text)
                return .ok
            }
            let path = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
            try OutputFile.write(Data(context.console.redactor.mask(text).utf8), to: path)
            context.console.err("wrote \(path)")
            return .ok
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }
}
