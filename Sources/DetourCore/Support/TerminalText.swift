/// Text about to reach a terminal, with control characters made visible.
///
/// Page titles, provider answers and journal lines come from strangers: an `ESC[2J` or a bare CR
/// in them must never clear or rewrite an operator's screen.
public enum TerminalText {
    /// The text with every C0 and C1 control character (and DEL) written as `\x1b`; newline and tab are kept.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                output.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            output.append(contentsOf: "\\x\(hex.count < 2 ? "0" + hex : hex)".unicodeScalars)
        }
        return String(output)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        default: false
        }
    }
}
