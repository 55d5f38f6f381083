/// CSV cells as RFC 4180 writes them, safe to open in a spreadsheet.
enum CSV {
    /// One cell: quoted when it holds a comma, a quote or a line break; a leading `'` when a
    /// spreadsheet would read it as a formula (OWASP's advice), so a channel named `=HYPERLINK(…)` stays text.
    static func field(_ text: String) -> String {
        var text = text
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
