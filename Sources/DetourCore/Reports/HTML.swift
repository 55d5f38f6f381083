import Foundation

/// Markup built so that text is escaped unless it says otherwise.
///
/// Interpolating a `String` escapes `& < > " '`; interpolating `HTML` or a number inserts it as
/// it is. Text goes in unescaped only through `HTML.raw(_:)`, so a page title or a channel name
/// from a stranger cannot open a tag by a forgotten call. Other types do not interpolate at all.
public struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The markup.
    public private(set) var text: String

    /// Markup written in the code itself (a literal without interpolations).
    public init(stringLiteral literal: String) { text = literal }

    /// Markup with escaped interpolations.
    public init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    private init(markup: String) { text = markup }

    /// Text inserted as markup without escaping: only for markup built in the code (a style sheet).
    public static func raw(_ markup: String) -> HTML { HTML(markup: markup) }

    /// The markup.
    public var description: String { text }

    /// Appends markup.
    public static func += (lhs: inout HTML, rhs: HTML) { lhs.text += rhs.text }

    /// Joins markup.
    public static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(markup: lhs.text + rhs.text) }

    /// The interpolations `HTML` accepts.
    public struct Interpolation: StringInterpolationProtocol {
        var text = ""

        /// Room for the literal parts.
        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + interpolationCount * 16) }

        /// Markup from the literal.
        public mutating func appendLiteral(_ literal: String) { text += literal }

        /// Text, escaped.
        public mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        /// Markup, as it is.
        public mutating func appendInterpolation(_ value: HTML) { text += value.text }

        /// A whole number.
        public mutating func appendInterpolation<Number: BinaryInteger>(_ value: Number) { text += String(value) }

        /// A number as Swift prints it (`12.5`).
        public mutating func appendInterpolation(_ value: Double) { text += String(describing: value) }
    }

    /// Escapes `& < > " '` for text and attribute values.
    ///
    /// It works on bytes, not characters: a combining mark after a quote (`"` + U+0301) makes one
    /// Swift `Character` that equals no quote, yet the browser still ends the attribute at the quote.
    public static func escape(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        for byte in bytes {
            switch byte {
            case 0x26: output += Array("&amp;".utf8)
            case 0x3C: output += Array("&lt;".utf8)
            case 0x3E: output += Array("&gt;".utf8)
            case 0x22: output += Array("&quot;".utf8)
            case 0x27: output += Array("&#39;".utf8)
            default: output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Sequence<HTML> {
    /// The pieces of markup one after the other, with `separator` between them.
    public func joined(separator: HTML = "") -> HTML {
        var result: HTML = ""
        for (index, piece) in enumerated() {
            if index > 0 { result += separator }
            result += piece
        }
        return result
    }
}
