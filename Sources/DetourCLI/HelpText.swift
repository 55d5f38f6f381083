import DetourCore

/// The words of `--help` in the reader's language.
///
/// A command's abstract, discussion and option help are written in English beside the command,
/// and translated in the catalog under `help.COMMAND.abstract`, `help.COMMAND.discussion`,
/// `help.COMMAND.option.NAME` and `help.COMMAND.argument.NAME` (`help.global.option.NAME` for the
/// options every command takes). English reads the text beside the command, so it cannot go stale;
/// a test checks the English catalog says the same, and a text not translated yet stays English.
enum HelpText {
    /// A command's one-line abstract.
    static func abstract(of command: String, _ english: String, _ l10n: Localizer) -> String {
        translated("help.\(command).abstract", english, l10n)
    }

    /// A command's discussion.
    static func discussion(of command: String, _ english: String, _ l10n: Localizer) -> String {
        translated("help.\(command).discussion", english, l10n)
    }

    /// An option's one line of help; `command` is `global` for the options every command takes.
    static func option(_ spec: OptionSpec, of command: String, _ l10n: Localizer) -> String {
        translated("help.\(command).option.\(spec.name)", spec.help, l10n)
    }

    /// A positional argument's one line of help.
    static func argument(_ name: String, of command: String, _ english: String, _ l10n: Localizer) -> String {
        translated("help.\(command).argument.\(name.lowercased())", english, l10n)
    }

    private static func translated(_ key: String, _ english: String, _ l10n: Localizer) -> String {
        l10n.language == .en ? english : Catalog.table(for: l10n.language)[key] ?? english
    }
}
