import Foundation

/// Text lengths the way the platforms count them.
public enum TextLength {
    /// X's weighted length: NFC first; every URL 23; an emoji 2; weight 1 for U+0000–U+10FF,
    /// U+2000–U+200D, U+2010–U+201F, U+2032–U+2037, and 2 for everything else (kana, kanji).
    public static func xWeighted(_ text: String) -> Int {
        let normalized = text.precomposedStringWithCanonicalMapping
        var total = 0
        var rest = Substring(normalized)
        while let range = rest.range(of: #"https?://[^\s　]+"#, options: .regularExpression) {
            total += weigh(rest[..<range.lowerBound]) + 23
            rest = rest[range.upperBound...]
        }
        return total + weigh(rest)
    }

    private static func weigh(_ text: Substring) -> Int {
        var total = 0
        for character in text {
            let scalars = character.unicodeScalars
            if let first = scalars.first, first.properties.isEmoji, first.value > 0xFF,
                first.properties.isEmojiPresentation || scalars.count > 1
            {
                total += 2
                continue
            }
            for scalar in scalars { total += weight(of: scalar.value) }
        }
        return total
    }

    private static func weight(of value: UInt32) -> Int {
        switch value {
        case 0x0000...0x10FF, 0x2000...0x200D, 0x2010...0x201F, 0x2032...0x2037: 1
        default: 2
        }
    }
}
