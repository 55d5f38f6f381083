/// A JSON5 syntax error: where, what is wrong, what to write instead.
public struct JSON5SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is: the offending character, or the start of the unclosed string or comment.
    public var location: SourceLocation
    /// What was found, what was expected and how to fix it; lowercase start, no trailing period.
    public var message: String
    /// The same message as a catalog key and values, when it has been translated.
    public var text: Message?

    /// Creates an error.
    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    /// Creates an error from a catalog message; its English text is `message`.
    public init(location: SourceLocation, _ text: Message) {
        self.init(location: location, message: text.rendered(by: .english))
        self.text = text
    }

    /// `file:line:column: message`, the form editors and terminals turn into links.
    public var description: String { "\(location): \(message)" }
}

/// Reads JSON5 documents (json5.org) into location-carrying `JSONNode` trees.
public enum JSON5 {
    /// How many objects and arrays may be nested inside each other.
    public static let maxDepth = 512

    /// Parses a whole document (exactly one value, surrounded by optional whitespace/comments).
    public static func parse(_ text: String, file: String) throws(JSON5SyntaxError) -> JSONNode {
        var scalars = Array(text.unicodeScalars)
        // Editors hide a leading byte order mark, so it must not shift the columns of line 1.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var parser = JSON5Parser(scalars: scalars, file: file)
        return try parser.parseDocument()
    }
}

/// A recursive-descent parser made iterative with an explicit stack, so deep nesting cannot overflow the thread stack.
private struct JSON5Parser {
    /// An object or array that is still open.
    private struct Frame {
        var isArray: Bool
        var start: SourceLocation
        var items: [JSONNode] = []
        var members: [JSONNode.Member] = []
        /// The key whose value is being parsed (objects only).
        var key = ""
        var keyLocation: SourceLocation

        /// `]` or `}`.
        var closer: Unicode.Scalar { isArray ? "]" : "}" }
        /// Names the container for messages: `the array opened at line 3, column 9`.
        var opened: Message.Value {
            let (line, column) = ("\(start.line)", "\(start.column)")
            return .message(
                isArray
                    ? .text("check.json5.array-opened", ["line": line, "column": column])
                    : .text("check.json5.object-opened", ["line": line, "column": column]))
        }
    }

    private let scalars: [Unicode.Scalar]
    private let file: String
    private var i = 0
    private var line = 1
    /// Index of the first scalar of the current line; columns are offsets from it.
    private var lineStart = 0

    /// Creates a parser at the start of `scalars`.
    init(scalars: [Unicode.Scalar], file: String) {
        self.scalars = scalars
        self.file = file
    }

    // MARK: Document and containers

    /// Parses exactly one value surrounded by optional whitespace and comments.
    mutating func parseDocument() throws(JSON5SyntaxError) -> JSONNode {
        try skipTrivia()
        guard peek != nil else {
            throw fail(.text("check.json5.empty"))
        }
        let root = try parseValue()
        try skipTrivia()
        if let c = peek {
            let fix: Message = c == "}" || c == "]" ? .text("check.json5.extra-closer") : .text("check.json5.one-value")
            throw fail(.text("check.json5.after-end", values: ["unexpected": unexpected(c), "fix": .message(fix)]))
        }
        return root
    }

    private mutating func parseValue() throws(JSON5SyntaxError) -> JSONNode {
        // The innermost container lives in a local so appending to it never copies; `outer` holds the rest,
        // starting with a placeholder for the document itself.
        var outer: [Frame] = []
        var top = Frame(isArray: true, start: here, keyLocation: here)
        nextValue: while true {
            try skipTrivia()
            let start = here
            var node: JSONNode
            guard let c = peek else { throw fail(endOfFileBeforeValue(outer.isEmpty ? nil : top)) }
            if c == "[" || c == "{" {
                guard outer.count < JSON5.maxDepth else {
                    throw fail(.text("check.json5.too-deep", ["depth": "\(JSON5.maxDepth)"]))
                }
                var frame = Frame(isArray: c == "[", start: start, keyLocation: start)
                i += 1
                try skipTrivia()
                if peek == frame.closer {
                    i += 1
                    node = JSONNode(frame.isArray ? .array([]) : .object([]), at: start)
                } else {
                    if !frame.isArray { (frame.key, frame.keyLocation) = try parseKey(objectStart: start) }
                    outer.append(top)
                    top = frame
                    continue nextValue
                }
            } else if (c == "]" || c == "}") && !outer.isEmpty && c != top.closer {
                throw fail(.text("check.json5.wrong-closer", values: ["character": "\(c)", "opened": top.opened, "closer": "\(top.closer)"]))
            } else {
                node = try parseScalarValue(c)
            }

            // The finished value goes into the innermost open container, which may close in turn.
            while !outer.isEmpty {
                let endLine = line, endIndex = i
                try skipTrivia()
                if top.isArray {
                    top.items.append(node)
                } else {
                    top.members.append(JSONNode.Member(key: top.key, keyLocation: top.keyLocation, value: node))
                }
                if peek == "," {
                    i += 1
                    try skipTrivia()
                    if peek != top.closer {
                        if !top.isArray { (top.key, top.keyLocation) = try parseKey(objectStart: top.start) }
                        continue nextValue
                    }
                }
                guard peek == top.closer else {
                    throw separatorError(after: top, endLine: endLine, endIndex: endIndex)
                }
                i += 1
                node = JSONNode(top.isArray ? .array(top.items) : .object(top.members), at: top.start)
                top = outer.removeLast()
            }
            return node
        }
    }

    /// Reads a key and the `:` after it; the caller has ruled out the closing `}`.
    private mutating func parseKey(objectStart: SourceLocation) throws(JSON5SyntaxError) -> (String, SourceLocation) {
        let location = here
        let key: String
        switch peek {
        case nil:
            throw fail(.text("check.json5.eof-object", ["line": "\(objectStart.line)", "column": "\(objectStart.column)"]))
        case let c? where c == "\"" || c == "'":
            key = try parseString()
        case let c? where Self.isIdentifierStart(c):
            key = readIdentifier()
        case let c?:
            var advice = hint(c)
            if advice == .plain("") {
                advice = .message(
                    c == ","
                        ? .text("check.json5.hint.extra-comma")
                        : Self.isDigit(c) ? .text("check.json5.hint.digit-key") : .text("check.json5.hint.key"))
            }
            throw fail(.text("check.json5.expected-key", values: ["found": describe(c), "advice": advice]))
        }
        try skipTrivia()
        guard peek == ":" else {
            var advice = hint(peek)
            if advice == .plain(""), let c = peek, Self.isIdentifierStart(c) {
                advice = .message(.text("check.json5.hint.spaced-key"))
            }
            throw fail(.text("check.json5.expected-colon", values: ["key": .plain(key), "found": describe(peek), "advice": advice]))
        }
        i += 1
        return (key, location)
    }

    private func endOfFileBeforeValue(_ frame: Frame?) -> Message {
        guard let frame else { return .text("check.json5.eof-value") }
        if frame.isArray { return .text("check.json5.eof-array", values: ["opened": frame.opened]) }
        return .text("check.json5.eof-after-key", ["key": frame.key])
    }

    /// Explains what is wrong after a value inside `frame` when neither `,` nor the closer follows.
    private func separatorError(after frame: Frame, endLine: Int, endIndex: Int) -> JSON5SyntaxError {
        let closer = frame.closer
        let what: Message.Value = .message(frame.isArray ? .text("check.json5.an-element") : .text("check.json5.value-of", ["key": frame.key]))
        guard let c = peek else {
            return fail(.text("check.json5.expected-separator-eof", values: ["closer": "\(closer)", "what": what, "opened": frame.opened]))
        }
        let startsNext = frame.isArray ? Self.canStartValue(c) : (c == "\"" || c == "'" || Self.isIdentifierStart(c))
        if startsNext && line > endLine {
            let place: Message =
                restOfLineIsBlank(from: endIndex)
                ? .text("check.json5.end-of-line", ["line": "\(endLine)"]) : .text("check.json5.after-value", ["line": "\(endLine)"])
            let between: Message = frame.isArray ? .text("check.json5.array-elements") : .text("check.json5.members")
            return fail(.text("check.json5.missing-comma", values: ["between": .message(between), "place": .message(place)]))
        }
        var advice = hint(c)
        if c == "]" || c == "}" {
            advice = .message(.text("check.json5.hint.closer", values: ["opened": frame.opened, "closer": "\(closer)"]))
        } else if i == endIndex, i > 0, scalars[i - 1] == "'" || scalars[i - 1] == "\"" {
            // Text glued to a closing quote usually means a quote inside the text, as in 'it's'.
            let quote = scalars[i - 1]
            advice = .message(.text("check.json5.hint.quote-in-text", ["quote": "\(quote)"]))
        } else if startsNext {
            advice = .message(.text("check.json5.hint.add-comma"))
        }
        return fail(.text("check.json5.expected-separator", values: ["closer": "\(closer)", "what": what, "found": describe(c), "advice": advice]))
    }

    // MARK: Scalar values

    private mutating func parseScalarValue(_ c: Unicode.Scalar) throws(JSON5SyntaxError) -> JSONNode {
        let start = here
        if c == "\"" || c == "'" { return JSONNode(.string(try parseString()), at: start) }
        if let number = try parseFullWidthNumber() { return JSONNode(.number(number), at: start) }
        if c == "+" || c == "-" || c == "." || Self.isDigit(c) { return JSONNode(.number(try parseNumber()), at: start) }
        guard Self.isIdentifierStart(c) else {
            throw fail(.text("check.json5.unexpected-value", values: ["unexpected": unexpected(c), "hint": hint(c)]))
        }
        let word = readIdentifier()
        switch word {
        case "true": return JSONNode(.bool(true), at: start)
        case "false": return JSONNode(.bool(false), at: start)
        case "null": return JSONNode(.null, at: start)
        case "Infinity": return JSONNode(.number(.infinity), at: start)
        case "NaN": return JSONNode(.number(.nan), at: start)
        default:
            let lower = word.lowercased()
            if ["true", "false", "null"].contains(lower) {
                throw fail(.text("check.json5.lowercase", ["word": word, "lower": lower]), at: start)
            }
            throw fail(.text("check.json5.unexpected-word", ["word": word]), at: start)
        }
    }

    private mutating func parseNumber() throws(JSON5SyntaxError) -> Double {
        let start = here, first = i
        var plainInteger: Range<Int>?
        if peek == "+" || peek == "-" { i += 1 }
        if peek == "I" || peek == "N" {
            let word = readIdentifier()
            guard word == "Infinity" || word == "NaN" else { throw invalidNumber(from: first, at: start) }
        } else if peek == "0", scalar(at: i + 1) == "x" || scalar(at: i + 1) == "X" {
            i += 2
            let digits = i
            while let c = peek, Self.hexValue(c) != nil { i += 1 }
            guard i > digits else { throw invalidNumber(from: first, at: start) }
        } else {
            let integer = i
            skipDigits()
            let integerCount = i - integer
            var fractionCount = 0
            if peek == "." {
                i += 1
                let fraction = i
                skipDigits()
                fractionCount = i - fraction
            }
            guard integerCount + fractionCount > 0 else { throw invalidNumber(from: first, at: start) }
            if integerCount > 1 && scalars[integer] == "0" {
                throw invalidNumber(from: first, at: start, advice: .text("check.json5.number.leading-zero"))
            }
            if peek == "e" || peek == "E" {
                i += 1
                if peek == "+" || peek == "-" { i += 1 }
                let exponent = i
                skipDigits()
                guard i > exponent else {
                    throw invalidNumber(from: first, at: start, advice: .text("check.json5.number.exponent"))
                }
            }
            if i - integer == integerCount && integerCount <= 15 { plainInteger = integer..<i }
        }
        guard !(peek.map(Self.continuesNumber) ?? false) else { throw invalidNumber(from: first, at: start) }
        if let digits = plainInteger {
            // Up to 15 digits are exact in a Double; this skips the slower round trip through text.
            var value = 0.0
            for index in digits { value = value * 10 + Double(scalars[index].value - 0x30) }
            return scalars[first] == "-" ? -value : value
        }
        // Swift's Double(String) accepts every form validated above, including hex, Infinity and NaN.
        guard let value = Double(text(from: first)) else { throw invalidNumber(from: first, at: start) }
        return value
    }

    /// A number typed with full-width digits (`８００００`, `１．５`), read as its ASCII form; nil, without moving,
    /// when the number ahead has no full-width character.
    private mutating func parseFullWidthNumber() throws(JSON5SyntaxError) -> Double? {
        let numberScalars = "0123456789+-.eE".unicodeScalars
        var end = i
        var fullWidth = false
        var ascii = String.UnicodeScalarView()
        while let c = scalar(at: end), case let normal = HalfWidth.normalise(c), numberScalars.contains(normal) {
            fullWidth = fullWidth || normal != c
            ascii.append(normal)
            end += 1
        }
        guard fullWidth else { return nil }
        let start = here, first = i
        i = end
        let continues = peek.map { Self.continuesNumber(HalfWidth.normalise($0)) } ?? false
        guard !continues, let value = Double(String(ascii)), value.isFinite else { throw invalidNumber(from: first, at: start) }
        return value
    }

    private func invalidNumber(
        from first: Int, at start: SourceLocation, advice: Message = .text("check.json5.number.quote")
    ) -> JSON5SyntaxError {
        var end = first + 1
        while let c = scalar(at: end), Self.continuesNumber(c) { end += 1 }
        let literal = text(from: first, upTo: end)
        return fail(.text("check.json5.number.invalid", values: ["literal": .plain(literal), "advice": .message(advice)]), at: start)
    }

    // MARK: Strings

    private mutating func parseString() throws(JSON5SyntaxError) -> String {
        let start = here
        let quote = scalars[i]
        i += 1
        var out = String.UnicodeScalarView()
        while let c = peek {
            if c == quote {
                i += 1
                return String(out)
            }
            if c == "\n" || c == "\r" {
                throw fail(.text("check.json5.unterminated-line", ["quote": "\(quote)", "line": "\(line)"]), at: start)
            }
            if c == "\\" {
                try parseEscape(into: &out, quote: quote, stringStart: start)
            } else {
                out.append(c)
                i += 1
            }
        }
        throw fail(.text("check.json5.unterminated", ["quote": "\(quote)"]), at: start)
    }

    private mutating func parseEscape(
        into out: inout String.UnicodeScalarView, quote: Unicode.Scalar, stringStart: SourceLocation
    ) throws(JSON5SyntaxError) {
        let start = here, first = i
        i += 1
        guard let c = peek else { throw fail(.text("check.json5.unterminated", ["quote": "\(quote)"]), at: stringStart) }
        i += 1
        switch c {
        case "\"", "'", "\\", "/": out.append(c)
        case "b": out.append("\u{8}")
        case "f": out.append("\u{C}")
        case "n": out.append("\n")
        case "r": out.append("\r")
        case "t": out.append("\t")
        case "v": out.append("\u{B}")
        case "0" where !(peek.map(Self.isDigit) ?? false): out.append("\0")
        case "x":
            guard let value = readHex(count: 2), let scalar = Unicode.Scalar(value) else {
                throw fail(.text("check.json5.escape.x", ["escape": text(from: first)]), at: start)
            }
            out.append(scalar)
        case "u":
            out.append(try parseUnicodeEscape(from: first, at: start))
        case "\n", "\r":
            // A backslash at the end of a line continues the string on the next line.
            i -= 1
            newline()
        case "\u{2028}", "\u{2029}":
            break
        default:
            // Show `\01` whole: a digit after `\0` is what makes it invalid.
            throw fail(.text("check.json5.escape.invalid", ["escape": text(from: first, upTo: c == "0" ? i + 1 : i)]), at: start)
        }
    }

    /// Reads the hex digits of `\uHHHH`, combining a surrogate pair into one scalar.
    private mutating func parseUnicodeEscape(from first: Int, at start: SourceLocation) throws(JSON5SyntaxError) -> Unicode.Scalar {
        guard let high = readHex(count: 4) else {
            throw fail(.text("check.json5.escape.u", ["escape": text(from: first)]), at: start)
        }
        if let scalar = Unicode.Scalar(high) { return scalar }
        if (0xD800...0xDBFF).contains(high), peek == "\\", scalar(at: i + 1) == "u" {
            let mark = i
            i += 2
            if let low = readHex(count: 4), (0xDC00...0xDFFF).contains(low),
                let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
            {
                return scalar
            }
            i = mark
        }
        throw fail(.text("check.json5.escape.surrogate", ["escape": text(from: first)]), at: start)
    }

    /// Consumes exactly `count` hex digits, or as many as there are and returns nil.
    private mutating func readHex(count: Int) -> UInt32? {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let c = peek, let digit = Self.hexValue(c) else { return nil }
            value = value << 4 | digit
            i += 1
        }
        return value
    }

    // MARK: Whitespace and comments

    private mutating func skipTrivia() throws(JSON5SyntaxError) {
        while let c = peek {
            if c == "\n" || c == "\r" {
                newline()
            } else if Self.isSpace(c) {
                i += 1
            } else if c == "/" && scalar(at: i + 1) == "/" {
                i += 2
                while let d = peek, d != "\n", d != "\r", d != "\u{2028}", d != "\u{2029}" { i += 1 }
            } else if c == "/" && scalar(at: i + 1) == "*" {
                let start = here
                i += 2
                while !(peek == "*" && scalar(at: i + 1) == "/") {
                    guard let d = peek else {
                        throw fail(.text("check.json5.unterminated-comment"), at: start)
                    }
                    if d == "\n" || d == "\r" { newline() } else { i += 1 }
                }
                i += 2
            } else {
                return
            }
        }
    }

    /// Consumes one line break (`\n`, `\r` or `\r\n`).
    private mutating func newline() {
        i += scalars[i] == "\r" && scalar(at: i + 1) == "\n" ? 2 : 1
        line += 1
        lineStart = i
    }

    private func restOfLineIsBlank(from index: Int) -> Bool {
        var j = index
        while let c = scalar(at: j), c != "\n", c != "\r" {
            guard Self.isSpace(c) else { return false }
            j += 1
        }
        return true
    }

    // MARK: Characters

    private var peek: Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }
    private var here: SourceLocation { SourceLocation(file: file, line: line, column: i - lineStart + 1) }

    private func scalar(at index: Int) -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func text(from first: Int, upTo end: Int? = nil) -> String {
        let range = first..<max(first, min(end ?? i, scalars.count))
        // Writing UTF-8 directly is several times faster than going through UnicodeScalarView in debug builds.
        return String(unsafeUninitializedCapacity: range.count * 4) { buffer in
            var count = 0
            for index in range {
                UTF8.encode(scalars[index]) { byte in
                    buffer[count] = byte
                    count += 1
                }
            }
            return count
        }
    }

    private mutating func skipDigits() {
        while let c = peek, Self.isDigit(c) { i += 1 }
    }

    private mutating func readIdentifier() -> String {
        let first = i
        i += 1
        while let c = peek, Self.isIdentifierPart(c) { i += 1 }
        return text(from: first)
    }

    private func fail(_ message: Message, at location: SourceLocation? = nil) -> JSON5SyntaxError {
        JSON5SyntaxError(location: location ?? here, message)
    }

    /// `'x'`, `end of file`, or a code point for characters that would not show up in quotes.
    private func describe(_ c: Unicode.Scalar?) -> Message.Value {
        guard let c else { return .message(.text("check.json5.end-of-file")) }
        if Self.isInvisible(c) {
            let hex = String(c.value, radix: 16, uppercase: true)
            return .message(.text("check.json5.invisible", ["code": "U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)"]))
        }
        return .plain(c == "'" ? "\"'\"" : "'\(c)'")
    }

    private func unexpected(_ c: Unicode.Scalar?) -> Message.Value {
        .message(c == nil ? .text("check.json5.unexpected-eof") : .text("check.json5.unexpected-character", values: ["character": describe(c)]))
    }

    /// Advice for characters that are easy to type by mistake, especially with a Japanese input method.
    private func hint(_ c: Unicode.Scalar?) -> Message.Value {
        guard let c else { return "" }
        switch c.value {
        case 0xFF01...0xFF5E:
            let ascii = Unicode.Scalar(UInt8(truncatingIfNeeded: c.value - 0xFEE0))
            return .message(.text("check.json5.hint.full-width", ["character": "\(c)", "ascii": "\(ascii)"]))
        case 0x2018, 0x2019, 0x201C, 0x201D:
            return .message(.text("check.json5.hint.curly-quotes"))
        case 0x2F:
            return .message(.text("check.json5.hint.comment"))
        default:
            return Self.isInvisible(c) ? .message(.text("check.json5.hint.delete")) : ""
        }
    }

    // MARK: Character classes

    // Static, not free functions, so they cannot clash with helpers elsewhere in the module.

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// Characters that glue onto a number to form something else, like `10px`, `1.2.3` or `2024-01-31`.
    private static func continuesNumber(_ c: Unicode.Scalar) -> Bool {
        isIdentifierPart(c) || c == "." || c == "+" || c == "-" || c == ":"
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 0x30
        case "a"..."f": c.value - 0x61 + 10
        case "A"..."F": c.value - 0x41 + 10
        default: nil
        }
    }

    /// JSON5 whitespace other than line breaks; U+2028/2029 separate tokens but, as in editors, do not start a line.
    private static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x20, 0x09, 0x0B, 0x0C, 0xA0, 0xFEFF, 0x2028, 0x2029: true
        case 0..<0x80: false
        default: c.properties.generalCategory == .spaceSeparator
        }
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "_", "$": true
        default: c.value >= 0x80 && c.properties.isIDStart
        }
    }

    private static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        if isIdentifierStart(c) || isDigit(c) { return true }
        return c.value >= 0x80 && (c.properties.isIDContinue || c.value == 0x200C || c.value == 0x200D)
    }

    private static func canStartValue(_ c: Unicode.Scalar) -> Bool {
        c == "\"" || c == "'" || c == "[" || c == "{" || c == "+" || c == "-" || c == "." || isDigit(c) || isIdentifierStart(c)
    }

    private static func isInvisible(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return false }
        return switch c.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator,
            .nonspacingMark, .enclosingMark, .privateUse, .unassigned, .surrogate:
            true
        default: false
        }
    }
}
