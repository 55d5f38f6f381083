import DetourCore
import Foundation
import Testing

@testable import DetourCLI

/// `--help` in the catalog: the English catalog says what the commands say, and Japanese has it all.
struct HelpCatalogTests {
    /// Every help text of every command, by catalog key, in English as written beside the command.
    static func englishHelp() -> [(key: String, english: String)] {
        var texts: [(String, String)] = []
        for command in CLI.commands {
            texts.append(("help.\(command.name).abstract", command.abstract))
            if !command.discussion.isEmpty { texts.append(("help.\(command.name).discussion", command.discussion)) }
            for argument in command.arguments { texts.append(("help.\(command.name).argument.\(argument.name.lowercased())", argument.help)) }
            for option in command.options { texts.append(("help.\(command.name).option.\(option.spec.name)", option.spec.help)) }
        }
        for option in CLI.globalOptions { texts.append(("help.global.option.\(option.spec.name)", option.spec.help)) }
        return texts
    }

    @Test func theEnglishCatalogSaysWhatTheCommandsSay() {
        let english = Catalog.table(for: .en)
        for (key, text) in Self.englishHelp() {
            #expect(english[key] == text, "\(key)")
        }
    }

    @Test func everyHelpTextHasJapanese() {
        let japanese = Catalog.table(for: .ja)
        let missing = Self.englishHelp().map(\.key).filter { japanese[$0] == nil }
        #expect(missing == [])
    }

}
