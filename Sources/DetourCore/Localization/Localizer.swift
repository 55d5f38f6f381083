import Foundation

/// Human-facing text in one language, looked up by key in that language's catalog.
///
/// Messages live in one catalog per language (`Catalog+en.swift`, `Catalog+ja.swift`), keyed by
/// dotted names (`status.heading`). Values name their placeholders (`{channel}`), so a
/// translation can put them in its own order. `CatalogTests` checks that every key exists in
/// every language with the same placeholders, and that every key the sources use exists.
///
/// Call it as `l10n.text("common.health.down")`, or with values as `l10n.text(key, ["channel": id])`;
/// write the key as a literal in the call, which is how the test finds the keys in use.
public struct Localizer: Sendable {
    /// The language texts come out in.
    public let language: Language

    /// A localizer for a language.
    public init(_ language: Language) { self.language = language }

    /// English, for code paths that have no reader (the journal, machine formats).
    public static let english = Localizer(.en)

    /// The message for a key with its placeholders filled in; a key missing from this language
    /// falls back to English, and a key missing everywhere shows itself (the catalog test fails on it).
    public func text(_ key: String, _ values: KeyValuePairs<String, String> = [:]) -> String {
        let template = Catalog.table(for: language)[key] ?? Catalog.table(for: .en)[key] ?? key
        guard !values.isEmpty else { return template }
        return Self.fill(template, values.map { ($0.key, $0.value) })
    }

    /// Replaces each `{name}` in a template with its value; unknown names are left as written.
    /// Replaces each `{name}` in a template with its value; unknown names are left as written.
    static func fill(_ template: String, _ values: [(String, String)]) -> String {
        var result = ""
        result.reserveCapacity(template.utf8.count + 16)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = rest[rest.index(after: open)..<close]
            if let value = values.first(where: { $0.0 == name })?.1 {
                result += value
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    /// The placeholder names a template uses (`{channel}` → `channel`), for the catalog test.
    public static func placeholders(in template: String) -> Set<String> {
        var names: Set<String> = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let name = rest[rest.index(after: open)..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { names.insert(String(name)) }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

/// The message catalogs, one per language.
public enum Catalog {
    /// The table for a language.
    public static func table(for language: Language) -> [String: String] {
        switch language {
        case .en: english
        case .ja: japanese
        }
    }
}
