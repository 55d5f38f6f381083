import Foundation

/// A language Detour speaks to people in. Keys, file formats and the journal stay English.
public enum Language: String, Sendable, CaseIterable, Codable {
    case en
    case ja

    /// Reads a tag such as `ja`, `ja_JP.UTF-8`, `ja-JP` or `en_US`; nil for a language Detour does not speak.
    public init?(tag: String) {
        let lowered = tag.trimmingCharacters(in: .whitespaces).lowercased()
        for language in Language.allCases
        where lowered == language.rawValue || lowered.hasPrefix(language.rawValue + "_") || lowered.hasPrefix(language.rawValue + "-")
            || lowered.hasPrefix(language.rawValue + ".")
        {
            self = language
            return
        }
        return nil
    }

    /// The language of a process, POSIX order: `LC_ALL`, then `LC_MESSAGES`, then `LANG`; English otherwise.
    ///
    /// The first variable that is set decides, even when it names a language Detour does not speak
    /// (`LC_ALL=C` means English whatever `LANG` says).
    public static func of(environment: [String: String]) -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            return Language(tag: value) ?? .en
        }
        return .en
    }

    /// The best language for an HTTP `Accept-Language` header (`ja,en-US;q=0.9,en;q=0.8`); English otherwise.
    public static func preferred(acceptLanguage header: String?) -> Language {
        guard let header else { return .en }
        var best: (language: Language, quality: Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, let language = Language(tag: tag) else { continue }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0, quality > (best?.quality ?? 0) { best = (language, quality) }
        }
        return best?.language ?? .en
    }
}
