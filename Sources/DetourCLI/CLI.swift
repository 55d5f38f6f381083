import DetourCore
import Foundation

/// The entry point: picks the command, parses its arguments, runs it, maps errors to exit codes.
public enum CLI {
    /// Every command, in the order `--help` lists them.
    static let commands: [CommandEntry] = [
        CommandEntry(CheckCommand.self), CommandEntry(ProbeCommand.self), CommandEntry(TickCommand.self),
        CommandEntry(WatchCommand.self), CommandEntry(StatusCommand.self), CommandEntry(FailoverCommand.self),
        CommandEntry(RestoreCommand.self), CommandEntry(HoldCommand.self), CommandEntry(ReleaseCommand.self),
        CommandEntry(ApproveCommand.self), CommandEntry(AckCommand.self), CommandEntry(RetryCommand.self),
        CommandEntry(CheckinCommand.self),
        CommandEntry(DrillCommand.self),
        CommandEntry(ReportCommand.self), CommandEntry(ReviewCommand.self),
        CommandEntry(ShowCommand.self), CommandEntry(StatusPageCommand.self), CommandEntry(LogCommand.self),
        CommandEntry(OnCallCommand.self), CommandEntry(RunbookCommand.self), CommandEntry(DemoCommand.self),
        CommandEntry(SimulateCommand.self), CommandEntry(SandboxCommand.self), CommandEntry(StateCommand.self), CommandEntry(ConsoleCommand.self),
        CommandEntry(ClusterAdminCommand.self),
    ]

    /// `-w/--workspace DIR`, accepted by every command, before or after its name.
    static let workspace = Option.path(
        "workspace", short: "w", value: "DIR", help: "the workspace folder (default: $DETOUR_WORKSPACE or the current folder)")
    /// `--state-dir DIR`, accepted by every command, before or after its name.
    static let stateDir = Option.path("state-dir", value: "DIR", help: "where state lives (default: $DETOUR_STATE_DIR or <workspace>/.detour)")
    /// `-h/--help`.
    static let help = Flag("help", short: "h", help: "show help for the command")
    /// `--json`, for the commands that offer it; before or after the command's name.
    static let json = Flag("json", help: "print JSON for scripts")
    /// `--lang en|ja`, accepted by every command, before or after its name; the locale decides otherwise.
    static let lang = Option.language(
        "lang", help: "the language of messages: en or ja (default: from LC_ALL, LC_MESSAGES or LANG)")

    /// Options every command accepts.
    static let globalOptions: [any OptionDeclaration] = [workspace, stateDir, lang, help]

    /// Runs the command line and returns the exit status.
    public static func main(_ argv: [String], environment: [String: String]) async -> ExitCode {
        let console = Console(redactor: Redactor())
        let arguments: [String]
        let l10n: Localizer
        do {
            l10n = Localizer(try language(of: argv, environment: environment))
            arguments = try movingLeadingGlobalOptions(argv)
        } catch {
            console.err("error: \(error.description(in: Localizer(Language.of(environment: environment))))")
            return .usage
        }
        guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
            if arguments.isEmpty {
                console.err(overview(l10n))
                return .usage
            }
            if arguments.count > 1, let command = commands.first(where: { $0.name == arguments[1] }) {
                console.out(command.help(l10n))
            } else {
                console.out(overview(l10n))
            }
            return .ok
        }
        if name == "--version" {
            console.out("detour \(DetourVersion.current)")
            return .ok
        }
        guard let entry = commands.first(where: { $0.name == name }) else {
            if let suggestion = closestMatch(to: name, in: commands.map(\.name)) {
                console.err("error: " + l10n.text("usage.command.unknown-suggest", ["command": name, "suggestion": suggestion]))
            } else {
                console.err("error: " + l10n.text("usage.command.unknown", ["command": name]))
            }
            return .usage
        }
        return await entry.run(Array(arguments.dropFirst()), environment, console, l10n)
    }

    /// The language to speak: the last `--lang` before a `--`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).
    ///
    /// Read before the command is known, so that help and usage errors come out in it too.
    static func language(of arguments: [String], environment: [String: String]) throws(UsageError) -> Language {
        var chosen: Language?
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            index += 1
            let text: String
            if argument.hasPrefix("--lang=") {
                text = String(argument.dropFirst("--lang=".count))
            } else if argument == "--lang" {
                guard index < arguments.count else { throw UsageError(.text("usage.lang", ["text": ""])) }
                text = arguments[index]
                index += 1
            } else {
                continue
            }
            chosen = try lang.convert(text)
        }
        return chosen ?? Language.of(environment: environment)
    }

    /// `detour -w DIR tick` → `detour tick -w DIR`: the global options may come before the
    /// command name as well as after it.
    static func movingLeadingGlobalOptions(_ arguments: [String]) throws(UsageError) -> [String] {
        let withValues = [workspace.spec, stateDir.spec, lang.spec]
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.hasPrefix("--") ? String(argument.dropFirst(2).prefix { $0 != "=" }) : nil
            if name == json.spec.name && !argument.contains("=") {
                leading.append(argument)
                index += 1
                continue
            }
            guard let spec = withValues.first(where: { $0.name == name || (name == nil && argument == "-\($0.short.map(String.init) ?? "")") })
            else { break }
            if argument.contains("=") {
                leading.append(argument)
                index += 1
            } else {
                guard index + 1 < arguments.count else { throw UsageError(description: "'\(argument)' needs a value: \(argument) \(spec.value ?? "DIR")") }
                leading += [argument, arguments[index + 1]]
                index += 2
            }
        }
        guard !leading.isEmpty else { return arguments }
        guard index < arguments.count else {
            throw UsageError(description: "a command must follow \(leading.joined(separator: " ")); run 'detour --help' for the list")
        }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }

    /// Parses, validates and runs one command type; the one place errors become exit codes.
    fileprivate static func run<C: Command>(
        _ type: C.Type, _ arguments: [String], environment: [String: String], console: Console, l10n: Localizer
    ) async -> ExitCode {
        let command: C
        let context: CommandContext
        do {
            let parsed = try ParsedArguments.parse(arguments, options: (type.options + globalOptions).map(\.spec), positional: type.arguments)
            if parsed.flag(help) {
                console.out(type.help(l10n))
                return .ok
            }
            command = try C(parsed)
            try command.validate()
            let root = try parsed.value(workspace)?.text ?? environment["DETOUR_WORKSPACE"] ?? FileManager.default.currentDirectoryPath
            var made = CommandContext(
                environment: environment, workspaceRoot: (root as NSString).standardizingPath,
                stateDirOverride: try parsed.value(stateDir)?.text ?? environment["DETOUR_STATE_DIR"], console: console, l10n: l10n)
            made.languageOption = try parsed.value(lang)
            made.commandLine = (["detour", type.name] + parsed.positionals).joined(separator: " ")
            context = made
        } catch {
            console.err("error: \(error.description(in: l10n))")
            console.err(l10n.text("usage.see-help", ["command": type.name]))
            return .usage
        }
        do {
            return context.outcome.adjust(try await command.run(context))
        } catch let error as UsageError {
            // Well-formed, but naming something the workspace lacks (a channel, a time that does not exist there).
            console.err("error: \(error.description(in: l10n))")
            return .usage
        } catch {
            console.err("error: \(error.message(in: l10n))")
            return .failure
        }
    }

    /// `detour --help`: what Detour does, its commands and exit codes, in the reader's language.
    static func overview(_ l10n: Localizer) -> String {
        var text = l10n.text("help.overview.intro") + "\n\n" + l10n.text("help.overview.usage") + "\n\n" + l10n.text("help.overview.commands") + "\n"
        for command in commands {
            text += "  " + command.name.padding(toLength: 12, withPad: " ", startingAt: 0) + HelpText.abstract(of: command.name, command.abstract, l10n) + "\n"
        }
        text += "\n" + l10n.text("help.overview.options") + "\n\n" + l10n.text("help.overview.exit-codes")
        return text
    }
}

/// A command type behind plain values, so dispatch needs no existential metatypes.
struct CommandEntry: Sendable {
    let name: String
    let abstract: String
    /// More text for the command's `--help`.
    let discussion: String
    /// The command's own options (without the global ones).
    let options: [any OptionDeclaration]
    /// Its positional arguments.
    let arguments: [ArgumentSpec]
    /// Built only when asked for: every cron tick starts here, and only `--help` needs the text.
    let help: @Sendable (Localizer) -> String
    let run: @Sendable ([String], [String: String], Console, Localizer) async -> ExitCode

    init<C: Command>(_ type: C.Type) {
        name = C.name
        abstract = C.abstract
        discussion = C.discussion
        options = C.options
        arguments = C.arguments
        help = { C.help($0) }
        run = { arguments, environment, console, l10n in
            await CLI.run(C.self, arguments, environment: environment, console: console, l10n: l10n)
        }
    }
}

/// The version printed by `--version` and sent as the user agent.
enum DetourVersion {
    static let current = "0.1.0"
}
