/// Turns the full-width forms a Japanese input method types (`２０２６`, `＋０９：００`, `５ｍ`) into plain ASCII.
///
/// Only for text that must be a number, a time, a duration or a cron field: names and notices keep
/// what the merchant wrote.
public enum HalfWidth {
    /// The text with full-width ASCII forms (U+FF01–U+FF5E), the ideographic space and the minus sign made ASCII.
    public static func normalise(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= 0x2212 }) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { output.append(normalise(scalar)) }
        return String(output)
    }

    /// One scalar made ASCII when it is a full-width form of one.
    public static func normalise(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0xFF01...0xFF5E: Unicode.Scalar(scalar.value - 0xFEE0)!
        case 0x3000: " "
        case 0x2212: "-"
        default: scalar
        }
    }
}
