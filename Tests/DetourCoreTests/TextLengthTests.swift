import DetourCore
import Foundation
import Testing

/// Platform text lengths and deterministic retry keys.
struct TextLengthTests {
    static let xCases: [(String, Int)] = [
        ("hello", 5),
        ("あ", 2),
        (String(repeating: "あ", count: 140), 280),
        (String(repeating: "楽", count: 150), 300),
        // The arrow U+2192 is outside the weight-1 ranges.
        ("セール → https://shop.example.jp/sale?item=1", 6 + 1 + 2 + 1 + 23),
        ("https://a.example https://b.example/x", 47),
        ("“quoted” — ok", 13),
        ("😀", 2),
        ("👍🏽", 2),
        ("ｶ", 2),
        // A decomposed が (か + combining mark) is one NFC code point: weight 2, not 4.
        ("か\u{3099}", 2),
    ]

    @Test(arguments: xCases)
    func xWeightedLength(text: String, expected: Int) {
        #expect(TextLength.xWeighted(text) == expected)
    }

    @Test func textLimitsMeasureAsEachPlatformCounts() {
        #expect(TextLimit.utf16(5_000).measure(String(repeating: "😀", count: 2_501)) == (5_002, false))
        #expect(TextLimit.utf16(5_000).measure(String(repeating: "あ", count: 5_000)) == (5_000, true))
        #expect(TextLimit.characters(2_000).measure(String(repeating: "x", count: 2_001)).fits == false)
        #expect(TextLimit.xWeighted(280).measure(String(repeating: "あ", count: 150)).fits == false)
    }

    @Test(arguments: [
        ("rakuten-20261127-100000/mall-down/line", "325dad03-c794-5bee-af23-49991efdc7f9"),
        ("", "1b4db7eb-4057-5ddf-91e0-36dec72071f5"),
    ])
    func retryKeysAreVersion5UUIDs(name: String, expected: String) {
        // Expected values from Python's uuid.uuid5(uuid.NAMESPACE_URL, name).
        #expect(NameBasedUUID.make(name) == expected)
        #expect(UUID(uuidString: NameBasedUUID.make(name)) != nil)
    }
}
