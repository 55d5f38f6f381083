import DetourCore
import Foundation

/// `detour runbook`: the response manual, as printable HTML and Markdown.
struct RunbookCommand: Command {
    static let name = "runbook"
    static let abstract = "Write the response manual (DIR/index.html, printable on A4, and DIR/runbook.md) from the workspace and oncall.json5"
    static let discussion =
        "Per channel: signs of failure, the internal contact flow and who is on call, customer templates with example values, the switch procedure, the commands to run by hand, the marketplace's contacts; then a sale-day checklist. Japanese by default when the workspace's time zone is Asia/Tokyo."
    static let out = Option.string("out", short: "o", value: "DIR", help: "the folder to write index.html and runbook.md to (created if missing)")
    static let options: [any OptionDeclaration] = [out]

    let out: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        out = try parsed.value(Self.out)
    }

    func validate() throws(UsageError) {
        guard out != nil else { throw UsageError(description: "say where to write the runbook: detour runbook --out DIR") }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true), let out else { return .invalidWorkspace }
        do {
            let runbook = Runbook(
                // --lang, else a Japanese locale; otherwise the workspace's time zone decides.
                workspace: session.workspace,
                language: context.languageOption ?? (context.l10n.language == .ja ? .ja : nil),
                now: try session.clock().now())
            let folder = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let mask = context.console.redactor.mask
            try OutputFile.write(Data(mask(RunbookHTML(runbook: runbook).render()).utf8), to: folder + "/index.html")
            try OutputFile.write(Data(mask(RunbookMarkdown(runbook: runbook).render()).utf8), to: folder + "/runbook.md")
            context.console.out("wrote \(folder)/index.html and \(folder)/runbook.md (\(runbook.sections.count) channels)")
            return .ok
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }
}
