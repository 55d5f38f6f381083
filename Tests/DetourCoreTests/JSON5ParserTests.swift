import Testing

@testable import DetourCore

/// Table-driven tests of `JSON5.parse`: values, locations, syntax errors and limits.
@Suite struct JSON5ParserTests {}

// MARK: - Helpers

extension JSON5ParserTests {
    /// A node without locations, so value tables stay readable; NaN gets its own case because NaN != NaN.
    enum Plain: Equatable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case nan
        case string(String)
        case array([Plain])
        case object([Pair])

        /// One object member.
        struct Pair: Equatable, Sendable {
            var key: String
            var value: Plain
        }

        /// An object from key–value pairs, in order.
        static func obj(_ pairs: (String, Plain)...) -> Plain {
            .object(pairs.map { Pair(key: $0.0, value: $0.1) })
        }

        /// Strips the locations from `node`.
        init(_ node: JSONNode) {
            switch node.value {
            case .null: self = .null
            case .bool(let b): self = .bool(b)
            case .number(let d): self = d.isNaN ? .nan : .number(d)
            case .string(let s): self = .string(s)
            case .array(let items): self = .array(items.map(Plain.init))
            case .object(let members): self = .object(members.map { Pair(key: $0.key, value: Plain($0.value)) })
            }
        }
    }

    /// The file name every test document is parsed under.
    static let testFile = "playbooks/test.json5"

    /// A location in the test file.
    static func at(_ line: Int, _ column: Int) -> DetourCore.SourceLocation {
        DetourCore.SourceLocation(file: Self.testFile, line: line, column: column)
    }

    /// Follows `path` (array indices as numbers, object keys by name) to a value's location, or its key's.
    static func locate(_ root: JSONNode, _ path: [String], key: Bool) -> DetourCore.SourceLocation? {
        var node = root
        for (n, step) in path.enumerated() {
            switch node.value {
            case .array(let items):
                guard let index = Int(step), items.indices.contains(index) else { return nil }
                node = items[index]
            case .object(let members):
                guard let member = members.first(where: { $0.key == step }) else { return nil }
                if key && n == path.count - 1 { return member.keyLocation }
                node = member.value
            default:
                return nil
            }
        }
        return node.location
    }
}

// MARK: - Valid documents

extension JSON5ParserTests {
    /// A document that must parse, and its value.
    struct ValidCase: Sendable, CustomTestStringConvertible {
        /// What the case shows; also its name in test output.
        var note: String
        /// The JSON5 text.
        var source: String
        /// The value without locations.
        var expected: Plain
        /// Names the case in test output.
        var testDescription: String { note }
    }

    /// Every JSON5 feature, plus the ways a config file tends to be written.
    static let validCases: [ValidCase] = [
        .init(note: "empty object", source: "{}", expected: .obj()),
        .init(note: "empty array", source: "[ ]", expected: .array([])),
        .init(note: "null", source: "null", expected: .null),
        .init(note: "true and false", source: "[true, false]", expected: .array([.bool(true), .bool(false)])),
        .init(note: "root number with spaces", source: "  42  ", expected: .number(42)),
        .init(note: "empty strings", source: "['', \"\"]", expected: .array([.string(""), .string("")])),
        .init(
            note: "single and double quotes",
            source: #"{ 'single': 'it\'s', "double": "say \"hi\"", mixed: 'a "b" c' }"#,
            expected: .obj(("single", .string("it's")), ("double", .string("say \"hi\"")), ("mixed", .string("a \"b\" c")))
        ),
        .init(
            note: "simple escapes",
            source: #""\b\f\n\r\t\v\0\/\\\'\"""#,
            expected: .string("\u{8}\u{C}\n\r\t\u{B}\0/\\'\"")
        ),
        .init(note: "hex, unicode and surrogate escapes", source: #""\x41\u00e9\uD83D\uDE00\u3042""#, expected: .string("Aé😀あ")),
        .init(note: "line continuation (LF)", source: "'one \\\ntwo'", expected: .string("one two")),
        .init(note: "line continuation (CRLF)", source: "'a\\\r\nb'", expected: .string("ab")),
        .init(note: "line continuation (U+2028)", source: "'a\\\u{2028}b'", expected: .string("ab")),
        .init(note: "raw U+2028 and tab inside strings", source: "'a\u{2028}b\tc'", expected: .string("a\u{2028}b\tc")),
        .init(note: "comment markers inside strings", source: "'/* no */ // no'", expected: .string("/* no */ // no")),
        .init(
            note: "number forms",
            source: "[+1, .5, 5., -.5e1, 0x1F, 0XfF, -0x10, 1e3, 2.5E-2, 1E+2, 0, -0.0, 1e400, 0xFFFFFFFFFFFFFFFFFF]",
            expected: .array([
                .number(1), .number(0.5), .number(5), .number(-5), .number(31), .number(255), .number(-16),
                .number(1000), .number(0.025), .number(100), .number(0), .number(-0.0), .number(.infinity),
                .number(Double(sign: .plus, exponent: 72, significand: 1)),
            ])
        ),
        .init(
            note: "infinities",
            source: "[Infinity, -Infinity, +Infinity]",
            expected: .array([.number(.infinity), .number(-.infinity), .number(.infinity)])
        ),
        .init(note: "NaN with and without sign", source: "[NaN, -NaN, +NaN]", expected: .array([.nan, .nan, .nan])),
        .init(note: "trailing comma in array", source: "[1, 2, 3,]", expected: .array([.number(1), .number(2), .number(3)])),
        .init(note: "trailing comma in object", source: "{ a: 1, }", expected: .obj(("a", .number(1)))),
        .init(note: "nested trailing commas", source: "[[],{},]", expected: .array([.array([]), .obj()])),
        .init(
            note: "identifier keys",
            source: "{ $id: 1, _x: 2, 店舗: 3, a1: 4, ｋｅｙ: 5, null: 6 }",
            expected: .obj(("$id", .number(1)), ("_x", .number(2)), ("店舗", .number(3)), ("a1", .number(4)), ("ｋｅｙ", .number(5)), ("null", .number(6)))
        ),
        .init(
            note: "duplicate keys are kept in order",
            source: "{ a: 1, a: 2 }",
            expected: .obj(("a", .number(1)), ("a", .number(2)))
        ),
        .init(
            note: "BOM, NBSP, U+2028/2029, ideographic space, VT, FF",
            source: "\u{FEFF}{\u{A0}a\u{2028}:\u{2029}1\u{3000},\u{B}\u{C}}",
            expected: .obj(("a", .number(1)))
        ),
        .init(
            note: "comments everywhere",
            source: "// head\n/* block\n comment */ { /* k */ a /* c */ : // v\n 1 /* x */, } // tail",
            expected: .obj(("a", .number(1)))
        ),
        .init(note: "line comment at end of file", source: "1 // end", expected: .number(1)),
        .init(
            note: "nesting",
            source: "{ a: [ { b: [null, true] } ], c: { d: {} } }",
            expected: .obj(
                ("a", .array([.obj(("b", .array([.null, .bool(true)])))])),
                ("c", .obj(("d", .obj())))
            )
        ),
        .init(
            note: "Japanese keys and values",
            source: "{ 店名: '楽天市場店', メモ: \"本店 // not a comment\" }",
            expected: .obj(("店名", .string("楽天市場店")), ("メモ", .string("本店 // not a comment")))
        ),
        .init(note: "CRLF document", source: "{\r\n  a: 1,\r\n}\r\n", expected: .obj(("a", .number(1)))),
        .init(note: "lone CR line breaks", source: "{\r  a: 1,\r}", expected: .obj(("a", .number(1)))),
        .init(note: "empty keys", source: "{ '': 1, \"\": 2 }", expected: .obj(("", .number(1)), ("", .number(2)))),
    ]

    /// Each valid document parses to the expected value.
    @Test(arguments: validCases)
    func parsesValidDocument(_ c: ValidCase) throws {
        let node = try JSON5.parse(c.source, file: Self.testFile)
        #expect(Plain(node) == c.expected)
    }
}

// MARK: - Locations

extension JSON5ParserTests {
    /// Where one node (or key) of a document must be reported.
    struct LocationCase: Sendable, CustomTestStringConvertible {
        /// What the case shows; also its name in test output.
        var note: String
        /// The JSON5 text.
        var source: String
        /// Array indices and object keys leading to the node; empty for the root.
        var path: [String]
        /// Whether to check the key of the last step rather than its value.
        var key = false
        /// Expected 1-based line.
        var line: Int
        /// Expected 1-based column, in Unicode scalars.
        var column: Int
        /// Names the case in test output.
        var testDescription: String { note }
    }

    /// One line mixing Japanese text and ASCII keys.
    static let japaneseLine = "{ name: \"楽天市場店\", kind: 1 }"
    /// Several lines with a Japanese comment, key and value.
    static let multiLine = "// 店舗の設定\n{\n  店名: \"東京\", port: 8080,\n  tags: ['a', \"b\"]\n}"
    /// Nested objects with quoted keys.
    static let quotedKeys = "{\n  'a b': {\n    \"c\": null\n  }\n}"

    /// Columns count Unicode scalars; lines break at LF, CR and CRLF only.
    static let locationCases: [LocationCase] = [
        .init(note: "value after Japanese text", source: Self.japaneseLine, path: ["kind"], line: 1, column: 24),
        .init(note: "key after Japanese text", source: Self.japaneseLine, path: ["kind"], key: true, line: 1, column: 18),
        .init(note: "Japanese string value", source: Self.japaneseLine, path: ["name"], line: 1, column: 9),
        .init(note: "first key", source: Self.japaneseLine, path: ["name"], key: true, line: 1, column: 3),
        .init(note: "root after a comment line", source: Self.multiLine, path: [], line: 2, column: 1),
        .init(note: "key after Japanese key and value", source: Self.multiLine, path: ["port"], key: true, line: 3, column: 13),
        .init(note: "value after Japanese key and value", source: Self.multiLine, path: ["port"], line: 3, column: 19),
        .init(note: "array value", source: Self.multiLine, path: ["tags"], line: 4, column: 9),
        .init(note: "array element", source: Self.multiLine, path: ["tags", "1"], line: 4, column: 15),
        .init(note: "CRLF counts as one line break", source: "{\r\n  a: 1,\r\n  b: [\r\n    true\r\n  ]\r\n}", path: ["b", "0"], line: 4, column: 5),
        .init(note: "CRLF nested array", source: "{\r\n  a: 1,\r\n  b: [\r\n    true\r\n  ]\r\n}", path: ["b"], line: 3, column: 6),
        .init(note: "combining accent is its own scalar", source: "[\"e\u{301}\", 2]", path: ["1"], line: 1, column: 8),
        .init(note: "emoji with skin tone is two scalars (key)", source: "{ \"👍🏽\": true, x: 1 }", path: ["x"], key: true, line: 1, column: 15),
        .init(note: "emoji with skin tone is two scalars (value)", source: "{ \"👍🏽\": true, x: 1 }", path: ["x"], line: 1, column: 18),
        .init(note: "root after a block comment", source: "/* a\n b */ [ 1 ]", path: [], line: 2, column: 7),
        .init(note: "element after a block comment", source: "/* a\n b */ [ 1 ]", path: ["0"], line: 2, column: 9),
        .init(note: "after a line continuation", source: "[\"a\\\nb\", 5]", path: ["1"], line: 2, column: 5),
        .init(note: "number starts at its sign", source: "[ -1, +.5 ]", path: ["0"], line: 1, column: 3),
        .init(note: "number starts at its plus sign", source: "[ -1, +.5 ]", path: ["1"], line: 1, column: 7),
        .init(note: "leading BOM does not shift columns", source: "\u{FEFF}[1]", path: [], line: 1, column: 1),
        .init(note: "element after leading BOM", source: "\u{FEFF}[1]", path: ["0"], line: 1, column: 2),
        .init(note: "U+2028 does not start a line", source: "[1,\u{2028}2]", path: ["1"], line: 1, column: 5),
        .init(note: "lone CR starts a line", source: "[\r1,\r\r 2]", path: ["1"], line: 4, column: 2),
        .init(note: "quoted key starts at its quote", source: Self.quotedKeys, path: ["a b"], key: true, line: 2, column: 3),
        .init(note: "object value", source: Self.quotedKeys, path: ["a b"], line: 2, column: 10),
        .init(note: "nested quoted key", source: Self.quotedKeys, path: ["a b", "c"], key: true, line: 3, column: 5),
        .init(note: "nested null", source: Self.quotedKeys, path: ["a b", "c"], line: 3, column: 10),
        .init(note: "tab is one column", source: "{\ta:\t1}", path: ["a"], line: 1, column: 6),
    ]

    /// Each node and key carries the line and column it was written at.
    @Test(arguments: locationCases)
    func recordsLocation(_ c: LocationCase) throws {
        let node = try JSON5.parse(c.source, file: Self.testFile)
        #expect(Self.locate(node, c.path, key: c.key) == Self.at(c.line, c.column))
    }
}

// MARK: - Syntax errors

extension JSON5ParserTests {
    /// A document that must be rejected, with the exact location and message.
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        /// What the case shows; also its name in test output.
        var note: String
        /// The JSON5 text.
        var source: String
        /// Expected 1-based line.
        var line: Int
        /// Expected 1-based column, in Unicode scalars.
        var column: Int
        /// The exact message.
        var message: String
        /// Names the case in test output.
        var testDescription: String { note }
    }

    /// The list of value kinds that several messages end with.
    static let valueKinds = "a value was expected (a string, number, object, array, true, false or null)"
    /// The advice every bad escape ends with.
    static let backslash = #"to write a backslash, type two: \\"#

    /// Each kind of mistake, located at the character that needs fixing.
    static let errorCases: [ErrorCase] = [
        // Missing commas
        .init(
            note: "missing comma between members on different lines", source: "{\n  name: \"a\"\n  port: 80\n}",
            line: 3, column: 3, message: "missing comma between members; add ',' at the end of line 2"),
        .init(
            note: "missing comma after a value with a trailing comment", source: "{\n  a: 1 // one\n  b: 2\n}",
            line: 3, column: 3, message: "missing comma between members; add ',' after the value on line 2"),
        .init(
            note: "missing comma after a nested object", source: "{\n  a: { x: 1 }\n  \"b\": 2\n}",
            line: 3, column: 3, message: "missing comma between members; add ',' at the end of line 2"),
        .init(
            note: "missing comma between array elements", source: "[\n  1\n  2\n]",
            line: 3, column: 3, message: "missing comma between array elements; add ',' at the end of line 2"),
        .init(
            note: "missing comma after Japanese text and comment", source: "[\n  \"東京\" // 本店\n  \"大阪\"\n]",
            line: 3, column: 3, message: "missing comma between array elements; add ',' after the value on line 2"),
        .init(
            note: "missing comma with CRLF", source: "{\r\n  a: 1\r\n  b: 2\r\n}",
            line: 3, column: 3, message: "missing comma between members; add ',' at the end of line 2"),
        .init(
            note: "missing comma on the same line", source: "{ a: 1 b: 2 }",
            line: 1, column: 8, message: "expected ',' or '}' after the value of \"a\", found 'b'; add ',' before it"),
        .init(
            note: "missing comma after Japanese text on the same line", source: "{ 名前: \"楽天\" x }",
            line: 1, column: 12, message: "expected ',' or '}' after the value of \"名前\", found 'x'; add ',' before it"),
        .init(
            note: "missing comma before a single-quoted key", source: "{ a: 1 'b': 2 }",
            line: 1, column: 8, message: "expected ',' or '}' after the value of \"a\", found \"'\"; add ',' before it"),
        .init(
            note: "U+2028 is not a line break for the comma check", source: "[1\u{2028}2]",
            line: 1, column: 4, message: "expected ',' or ']' after an array element, found '2'; add ',' before it"),
        .init(
            note: "error after a line continuation", source: "[\"a\\\nb\" x]",
            line: 2, column: 4, message: "expected ',' or ']' after an array element, found 'x'; add ',' before it"),

        // Strings
        .init(
            note: "unterminated string at end of file", source: "{ a: \"abc",
            line: 1, column: 6, message: "unterminated string; add the closing \""),
        .init(
            note: "raw newline in string", source: "{\n  a: 'abc\n}",
            line: 2, column: 6, message: "unterminated string; add the closing ' at the end of line 2"),
        .init(
            note: "raw CR in string", source: "'a\rb'",
            line: 1, column: 1, message: "unterminated string; add the closing ' at the end of line 1"),
        .init(
            note: "backslash at end of file", source: "\"abc\\",
            line: 1, column: 1, message: "unterminated string; add the closing \""),
        .init(
            note: "unknown escape in a Windows path", source: #"{ path: "C:\data" }"#,
            line: 1, column: 12, message: #"invalid escape '\d'; "# + Self.backslash),
        .init(
            note: "backslash-u in a Windows path", source: #""C:\users""#,
            line: 1, column: 4, message: #"invalid escape '\u'; \u must be followed by four hex digits, like \u00e9; "# + Self.backslash),
        .init(
            note: "short hex escape", source: #""\x4g""#,
            line: 1, column: 2, message: #"invalid escape '\x4'; \x must be followed by two hex digits, like \x41; "# + Self.backslash),
        .init(
            note: "lone high surrogate", source: #""\uD83D!""#,
            line: 1, column: 2,
            message: #"invalid escape '\uD83D'; this is half of a surrogate pair, write the character itself or both halves, like \uD83D\uDE00"#),
        .init(
            note: "lone low surrogate", source: #"'\uDE00'"#,
            line: 1, column: 2,
            message: #"invalid escape '\uDE00'; this is half of a surrogate pair, write the character itself or both halves, like \uD83D\uDE00"#),
        .init(
            note: "high surrogate followed by a non-surrogate", source: #"'\uD83D\u0041'"#,
            line: 1, column: 2,
            message: #"invalid escape '\uD83D'; this is half of a surrogate pair, write the character itself or both halves, like \uD83D\uDE00"#),
        .init(
            note: "zero followed by a digit", source: #""\01""#,
            line: 1, column: 2, message: #"invalid escape '\01'; "# + Self.backslash),
        .init(
            note: "octal digit escape", source: #""a\7""#,
            line: 1, column: 3, message: #"invalid escape '\7'; "# + Self.backslash),

        // Comments
        .init(
            note: "unterminated block comment", source: "{ /* note\n a: 1 }",
            line: 1, column: 3, message: "unterminated block comment; add */ where the comment should end"),
        .init(
            note: "single slash", source: "{ a: 1 / 2 }",
            line: 1, column: 8, message: "expected ',' or '}' after the value of \"a\", found '/'; comments start with // or /*"),

        // Values
        .init(
            note: "unexpected character", source: "{ a: @ }",
            line: 1, column: 6, message: "unexpected character '@'; \(Self.valueKinds)"),
        .init(
            note: "missing value", source: "{ a: }",
            line: 1, column: 6, message: "unexpected character '}'; \(Self.valueKinds)"),
        .init(
            note: "double comma in array", source: "[1,,2]",
            line: 1, column: 4, message: "unexpected character ','; \(Self.valueKinds)"),
        .init(
            note: "unquoted text", source: "{ ok: yes }",
            line: 1, column: 7, message: "unexpected word 'yes'; \(Self.valueKinds); if this is text, put it in quotes: \"yes\""),
        .init(
            note: "capitalised literal", source: "[True]",
            line: 1, column: 2, message: "unexpected word 'True'; write true in lowercase"),
        .init(
            note: "curly quotes", source: "{ a: “x” }",
            line: 1, column: 6, message: "unexpected character '“'; \(Self.valueKinds); use straight quotes \" or ' instead of curly quotes"),
        .init(
            note: "zero-width space", source: "{ a:\u{200B}1 }",
            line: 1, column: 5, message: "unexpected character U+200B (an invisible character); \(Self.valueKinds); delete it"),

        // Numbers
        .init(
            note: "version number", source: "[1.2.3]",
            line: 1, column: 2, message: "invalid number '1.2.3'; if this is text, put it in quotes: \"1.2.3\""),
        .init(
            note: "leading zeros", source: "{ port: 007 }",
            line: 1, column: 9, message: "invalid number '007'; remove the leading zero, or if this is text, put it in quotes: \"007\""),
        .init(
            note: "exponent without digits", source: "[1e]",
            line: 1, column: 2, message: "invalid number '1e'; an exponent needs digits, like 1e5, or if this is text, put it in quotes: \"1e\""),
        .init(
            note: "number with a unit", source: "{ width: 10px }",
            line: 1, column: 10, message: "invalid number '10px'; if this is text, put it in quotes: \"10px\""),
        .init(
            note: "date", source: "[2024-01-31]",
            line: 1, column: 2, message: "invalid number '2024-01-31'; if this is text, put it in quotes: \"2024-01-31\""),
        .init(
            note: "hex prefix without digits", source: "[0x]",
            line: 1, column: 2, message: "invalid number '0x'; if this is text, put it in quotes: \"0x\""),
        .init(
            note: "misspelt Infinity", source: "[-Infinit]",
            line: 1, column: 2, message: "invalid number '-Infinit'; if this is text, put it in quotes: \"-Infinit\""),

        // Keys
        .init(
            note: "missing colon", source: "{ name \"x\" }",
            line: 1, column: 8, message: "expected ':' after key \"name\", found '\"'"),
        .init(
            note: "key with spaces", source: "{ my key: 1 }",
            line: 1, column: 6, message: "expected ':' after key \"my\", found 'k'; a key with spaces must be quoted, like \"my key\""),
        .init(
            note: "full-width colon", source: "{ 店名：\"x\" }",
            line: 1, column: 5, message: "expected ':' after key \"店名\", found '：'; '：' is a full-width character, type the half-width ':' instead"),
        .init(
            note: "full-width comma", source: "[1，2]",
            line: 1, column: 3, message: "expected ',' or ']' after an array element, found '，'; '，' is a full-width character, type the half-width ',' instead"
        ),
        .init(
            note: "key starting with a digit", source: "{ 1st: 1 }",
            line: 1, column: 3, message: "expected a key or '}', found '1'; a key that starts with a digit must be quoted, like \"1st\""),
        .init(
            note: "double comma in object", source: "{ a: 1,, }",
            line: 1, column: 8, message: "expected a key or '}', found ','; remove the extra comma"),
        .init(
            note: "symbol as key", source: "{ @: 1 }",
            line: 1, column: 3, message: "expected a key or '}', found '@'; a key is a name like port or a quoted text like \"port\""),

        // Brackets and end of file
        .init(
            note: "mismatched closing bracket", source: "{ a: [1, 2 }",
            line: 1, column: 12, message: "expected ',' or ']' after an array element, found '}'; the array opened at line 1, column 6 must be closed with ']'"),
        .init(
            note: "trailing comma then the wrong closing bracket", source: "{ a: [1, 2, }",
            line: 1, column: 13, message: "unexpected character '}'; the array opened at line 1, column 6 must be closed with ']'"),
        .init(
            note: "apostrophe inside single quotes", source: "{ a: 'it's' }",
            line: 1, column: 10, message: #"expected ',' or '}' after the value of "a", found 's'; if the ' before it is part of the text, write \' instead"#),
        .init(
            note: "double quote inside double quotes", source: #"["say "hi""]"#,
            line: 1, column: 8, message: #"expected ',' or ']' after an array element, found 'h'; if the " before it is part of the text, write \" instead"#),
        .init(
            note: "extra bracket inside an object", source: "{\n  a: [1]]\n}",
            line: 2, column: 9,
            message: "expected ',' or '}' after the value of \"a\", found ']'; the object opened at line 1, column 1 must be closed with '}'"),
        .init(
            note: "extra closing bracket at the end", source: "[1]]",
            line: 1, column: 4, message: "unexpected character ']' after the end of the document; remove it, there is one closing bracket too many"),
        .init(
            note: "trailing garbage", source: "{ a: 1 } x",
            line: 1, column: 10,
            message: "unexpected character 'x' after the end of the document; a document holds exactly one value, so remove it or wrap all values in [ ]"),
        .init(
            note: "end of file after a comma in an object", source: "{ a: 1,",
            line: 1, column: 8, message: "unexpected end of file; add '}' to close the object opened at line 1, column 1"),
        .init(
            note: "end of file after a value", source: "{\n  a: 1\n",
            line: 3, column: 1,
            message: "expected ',' or '}' after the value of \"a\", found end of file; add '}' to close the object opened at line 1, column 1"),
        .init(
            note: "end of file after a colon", source: "{ a:",
            line: 1, column: 5, message: "unexpected end of file; a value was expected after key \"a\""),
        .init(
            note: "end of file after a comma in an array", source: "[1,",
            line: 1, column: 4, message: "unexpected end of file; add ']' to close the array opened at line 1, column 1"),
        .init(
            note: "lone opening bracket", source: "[",
            line: 1, column: 2, message: "unexpected end of file; add ']' to close the array opened at line 1, column 1"),
        .init(
            note: "lone opening brace", source: "{",
            line: 1, column: 2, message: "unexpected end of file; add '}' to close the object opened at line 1, column 1"),
        .init(
            note: "empty document", source: "",
            line: 1, column: 1, message: "the document is empty; write a value, for example {} for an empty object"),
        .init(
            note: "document with only comments", source: "  // nothing\n/* x */\n",
            line: 3, column: 1, message: "the document is empty; write a value, for example {} for an empty object"),
        .init(
            note: "document with only a BOM", source: "\u{FEFF}",
            line: 1, column: 1, message: "the document is empty; write a value, for example {} for an empty object"),
    ]

    /// Each invalid document throws with the expected location and message.
    @Test(arguments: errorCases)
    func reportsSyntaxError(_ c: ErrorCase) {
        do {
            let node = try JSON5.parse(c.source, file: Self.testFile)
            Issue.record("expected an error, parsed \(Plain(node))")
        } catch {
            #expect(error.location == Self.at(c.line, c.column))
            #expect(error.message == c.message)
        }
    }
}

// MARK: - Limits and robustness

extension JSON5ParserTests {
    /// Every location an error can carry lies inside the text or just past its end.
    static func expectValidLocation(_ source: String) {
        do {
            _ = try JSON5.parse(source, file: Self.testFile)
        } catch {
            let lines = source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            #expect(error.location.line >= 1 && error.location.line <= lines.count, "\(source.debugDescription)")
            if error.location.line >= 1 && error.location.line <= lines.count {
                let width = lines[error.location.line - 1].unicodeScalars.count
                #expect(error.location.column >= 1 && error.location.column <= width + 1, "\(source.debugDescription)")
            }
            #expect(!error.message.isEmpty && error.message.first?.isUppercase == false && error.message.last != ".")
        }
    }

    /// `count` nested openers of one kind; `errorColumn` is where the one too many starts, if any.
    struct DepthCase: Sendable, CustomTestStringConvertible {
        /// What opens one level, like `[` or `{a:`.
        var opener: String
        /// What closes one level.
        var closer: String
        /// How many levels.
        var count: Int
        /// Where the error is expected, or nil if the document is fine.
        var errorColumn: Int?
        /// Names the case in test output.
        var testDescription: String { "\(count) × \(opener)" }
    }

    /// Nesting 512 levels deep is fine; one more is an error at the extra opener, not a crash.
    @Test(arguments: [
        DepthCase(opener: "[", closer: "]", count: 512, errorColumn: nil),
        DepthCase(opener: "[", closer: "]", count: 513, errorColumn: 513),
        DepthCase(opener: "{a:", closer: "}", count: 513, errorColumn: 3 * 512 + 1),
    ])
    func limitsNestingDepth(_ c: DepthCase) {
        let source = String(repeating: c.opener, count: c.count) + "1" + String(repeating: c.closer, count: c.count)
        do {
            _ = try JSON5.parse(source, file: Self.testFile)
            #expect(c.errorColumn == nil)
        } catch {
            #expect(error.location == Self.at(1, c.errorColumn ?? -1))
            #expect(error.message == "too deeply nested; objects and arrays may be nested at most 512 levels deep")
        }
    }

    /// An error prints as `file:line:column: message`, which editors turn into a link.
    @Test func errorDescriptionIsAnEditorLink() {
        do {
            _ = try JSON5.parse("{ a: @ }", file: "playbooks/mall-down.json5")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "playbooks/mall-down.json5:1:6: unexpected character '@'; \(Self.valueKinds)")
        }
    }

    /// Cutting a document anywhere gives an error with a sensible location, never a crash.
    @Test func everyTruncationFailsCleanly() {
        let document = """
            // 設定
            { name: '楽天市場店', "port": 0x1F, ratio: -.5e-1, list: [1, +Infinity, NaN, null, true,],
              /* block */ nested: { "k\\u00e9y": "a\\
            b\\x41\\uD83D\\uDE00", },\r\n  last: 'x' }
            """
        for end in document.unicodeScalars.indices {
            Self.expectValidLocation(String(document.unicodeScalars[..<end]))
        }
    }

    /// Random mixes of JSON5's special characters never crash the parser.
    @Test func randomInputNeverCrashes() {
        let alphabet = Array("{}[],:'\"\\/*\n\r xu0123456789abcdefINnt+-.eE\u{2028}\u{FEFF}\u{200B}楽👍：".unicodeScalars)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<3000 {
            var text = String.UnicodeScalarView()
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 59) * 2 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                text.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            Self.expectValidLocation(String(text))
        }
    }

    /// A 1 MB document parses whole, with every position right (its speed is measured by bench/json5, not here).
    @Test func parsesAMegabyte() throws {
        let member = "  { id: 12345, name: \"楽天市場店 #1\", tags: ['a', 'b'], ratio: 0.5, ok: true, /* note */ },\n"
        let source = "[\n" + String(repeating: member, count: 1_000_000 / member.utf8.count + 1) + "]"
        let node = try JSON5.parse(source, file: Self.testFile)
        guard case .array(let items) = node.value else {
            Issue.record("expected an array")
            return
        }
        #expect(items.count == 1_000_000 / member.utf8.count + 1)
        #expect(items.last?.location.line == items.count + 1)
    }
}
