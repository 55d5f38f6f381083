import DetourCore
import Foundation
import Testing

/// Every message exists in every language with the same placeholders, and every key the sources use exists.
struct CatalogTests {
    @Test func everyKeyExistsInEveryLanguage() {
        let english = Set(Catalog.table(for: .en).keys)
        for language in Language.allCases {
            let keys = Set(Catalog.table(for: language).keys)
            #expect(english.subtracting(keys).sorted() == [], "missing in \(language.rawValue)")
            #expect(keys.subtracting(english).sorted() == [], "only in \(language.rawValue)")
        }
    }

    @Test func noPlaceholderIsLostInTranslation() {
        let english = Catalog.table(for: .en)
        for language in Language.allCases {
            for (key, text) in Catalog.table(for: language) {
                guard let original = english[key] else { continue }
                #expect(Localizer.placeholders(in: text) == Localizer.placeholders(in: original), "\(language.rawValue): \(key)")
                #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty, "\(language.rawValue): \(key) is empty")
            }
        }
    }

    @Test func everyKeyTheSourcesUseExists() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let pattern = try Regex(#"\.text\(\s*"([a-z0-9_]+(?:\.[a-zA-Z0-9_-]+)+)""#)
        let english = Catalog.table(for: .en)
        var used: Set<String> = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let key = match.output[1].substring { used.insert(String(key)) }
            }
        }
        #expect(used.filter { english[$0] == nil }.sorted() == [])
    }

    @Test func placeholdersAreFilledByNameInAnyOrder() {
        #expect(Localizer.english.text("common.health.down") == "down")
        #expect(Localizer(.ja).text("common.health.down") == "停止")
        #expect(Localizer(.ja).text("no.such.key") == "no.such.key")
    }

    @Test func languageFollowsPosixOrderAndAcceptLanguage() {
        #expect(Language.of(environment: ["LANG": "ja_JP.UTF-8"]) == .ja)
        #expect(Language.of(environment: ["LANG": "ja_JP.UTF-8", "LC_ALL": "C"]) == .en)
        #expect(Language.of(environment: ["LANG": "en_US.UTF-8", "LC_MESSAGES": "ja_JP"]) == .ja)
        #expect(Language.of(environment: [:]) == .en)
        #expect(Language(tag: "japanese") == nil)
        #expect(Language.preferred(acceptLanguage: "en-US,en;q=0.9,ja;q=0.8") == .en)
        #expect(Language.preferred(acceptLanguage: "fr;q=1,ja;q=0.5") == .ja)
        #expect(Language.preferred(acceptLanguage: "ja-JP") == .ja)
        #expect(Language.preferred(acceptLanguage: nil) == .en)
    }
}
