import DetourCore
import Foundation
import Synchronization

/// How a command ended.
public enum ExitCode: Int32, Sendable {
    case ok = 0
    case failure = 1
    case invalidWorkspace = 2
    /// The workspace has errors; the command ran on its last good copy.
    case ranOnLastGoodWorkspace = 3
    case usage = 64
    /// Ctrl-C or SIGTERM stopped a command after the step in flight; what is left was printed.
    case interrupted = 130
}

/// What a command learned along the way that changes how it exits; shared by reference.
final class RunOutcome: Sendable {
    private let lastGood = Mutex(false)

    /// Notes that the command runs on the last good workspace (exit 3 unless it fails).
    func ranOnLastGoodWorkspace() { lastGood.withLock { $0 = true } }

    /// Notes that a valid workspace runs again (a daemon reloaded one).
    func runsOnValidWorkspace() { lastGood.withLock { $0 = false } }

    /// The exit status, given what the command returned.
    func adjust(_ code: ExitCode) -> ExitCode {
        lastGood.withLock { code == .ok && $0 ? .ranOnLastGoodWorkspace : code }
    }
}

/// What every command receives: the environment, where to write, the shared options.
struct CommandContext: Sendable {
    /// The process environment, passed in rather than read globally.
    var environment: [String: String]
    /// The workspace folder (`--workspace`, `DETOUR_WORKSPACE`, or the current folder).
    var workspaceRoot: String
    /// `--state-dir` or `DETOUR_STATE_DIR`, when given.
    var stateDirOverride: String?
    /// Standard output and error.
    var console: Console
    /// The language people read output in (`--lang`, else the locale); keys, JSON and the journal stay English.
    var l10n: Localizer = .english
    /// The language `--lang` asked for; nil when it came from the locale (the runbook then follows the time zone).
    var languageOption: Language?
    /// `detour failover rakuten`, as written in the lock file for whoever waits for it.
    var commandLine = "detour"
    /// What changes the exit status besides the command's own result.
    var outcome = RunOutcome()

    /// The operator's name for manual actions: `$USER`, `$LOGNAME`, then the name of the uid
    /// (cron and some containers set neither variable).
    var userName: String {
        for name in ["USER", "LOGNAME"] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
        }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name, !String(cString: name).isEmpty {
            return String(cString: name)
        }
        return "uid \(getuid())"
    }
}

/// One subcommand: its name, abstract, options, validation and work.
///
/// `init` reads the parsed arguments through the command's own declarations, `validate()` checks
/// their combination before anything is loaded, and `run` does the work. Whatever `run` throws
/// goes through one error path: a `UsageError` exits 64, anything else 1, each with its message.
protocol Command: Sendable {
    /// The word after `detour`.
    static var name: String { get }
    /// One line for `detour --help`.
    static var abstract: String { get }
    /// More text for `detour NAME --help`.
    static var discussion: String { get }
    /// Options beyond the global ones, declared once and read back by declaration.
    static var options: [any OptionDeclaration] { get }
    /// Positional arguments.
    static var arguments: [ArgumentSpec] { get }

    /// Builds the command from parsed arguments.
    init(_ parsed: ParsedArguments) throws(UsageError)
    /// Checks the combination of arguments before anything runs.
    func validate() throws(UsageError)
    /// Does the work.
    func run(_ context: CommandContext) async throws -> ExitCode
}

extension Command {
    static var discussion: String { "" }
    static var options: [any OptionDeclaration] { [] }
    static var arguments: [ArgumentSpec] { [] }
    func validate() throws(UsageError) {}

    /// The usage line and option list, in the reader's language.
    static func help(_ l10n: Localizer = .english) -> String {
        var text = "\(HelpText.abstract(of: name, abstract, l10n))\n\n\(l10n.text("help.usage")) detour \(name)"
        if !options.isEmpty { text += " [options]" }
        for argument in arguments {
            let word = argument.name + (argument.repeating ? " …" : "")
            text += argument.required ? " \(word)" : " [\(word)]"
        }
        text += "\n"
        if !discussion.isEmpty { text += "\n" + HelpText.discussion(of: name, discussion, l10n) + "\n" }
        if !arguments.isEmpty {
            text += "\n\(l10n.text("help.arguments"))\n"
            for argument in arguments {
                let help = HelpText.argument(argument.name, of: name, argument.help, l10n)
                text += "  " + argument.name.padding(toLength: 24, withPad: " ", startingAt: 0) + help + "\n"
            }
        }
        text += "\n\(l10n.text("help.options"))\n"
        let own = options.map { ($0.spec, HelpText.option($0.spec, of: name, l10n)) }
        // A command's own option of the same name (runbook's --lang) says it better.
        let global = CLI.globalOptions.filter { option in !options.contains { $0.spec.name == option.spec.name } }
            .map { ($0.spec, HelpText.option($0.spec, of: "global", l10n)) }
        for (option, help) in own + global {
            var form = (option.short.map { "-\($0), " } ?? "") + "--\(option.name)"
            if let value = option.value { form += " \(value)" }
            text += "  " + form.padding(toLength: 24, withPad: " ", startingAt: 0) + help + "\n"
        }
        return text
    }
}

/// Where output goes: everything is masked, and human output shows control characters escaped.
///
/// Page titles, provider answers and names reach these lines from strangers; escaping here, once,
/// means no command can forget it.
struct Console: Sendable {
    /// Masks secrets in everything written.
    var redactor: Redactor

    /// Writes a line for people to standard output.
    func out(_ text: String) {
        FileHandle.standardOutput.write(Data((human(text) + "\n").utf8))
    }

    /// Writes text for people to standard output without adding a newline.
    func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(human(text).utf8))
    }

    /// Writes a document for programs (CSV, JSON) to standard output as it is, only masked: its format escapes what it must.
    func document(_ text: String) {
        FileHandle.standardOutput.write(Data(redactor.mask(text).utf8))
    }

    /// Writes a line for people to standard error.
    func err(_ text: String) {
        FileHandle.standardError.write(Data((human(text) + "\n").utf8))
    }

    /// Masked first (a secret is matched as it was sent), then escaped.
    private func human(_ text: String) -> String {
        TerminalText.escaped(redactor.mask(text))
    }
}
