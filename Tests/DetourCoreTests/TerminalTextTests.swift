import Testing

@testable import DetourCore

/// Control characters are shown, never obeyed; everything else is left exactly as it was.
struct TerminalTextTests {
    @Test(arguments: [
        ("\u{1B}[2J", #"\x1b[2J"#), ("a\rb", #"a\x0db"#), ("\u{1B}]0;title\u{07}", #"\x1b]0;title\x07"#), ("\u{9B}31m", #"\x9b31m"#),
        ("\u{7F}\u{0}", #"\x7f\x00"#), ("line one\n\tline two", "line one\n\tline two"), ("楽天市場店 — 503 ✓ \\x1b", "楽天市場店 — 503 ✓ \\x1b"),
    ])
    func controlCharactersAreEscapedAndNothingElse(text: String, shown: String) {
        #expect(TerminalText.escaped(text) == shown)
    }
}
