/// A place in a workspace file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file as the user should see it, relative to the workspace (`playbooks/mall-down.json5`).
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column, counted in Unicode scalars so Japanese text lines up with editors.
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, the form editors and terminals turn into links.
    public var description: String { "\(file):\(line):\(column)" }

    /// Orders by file, then line, then column.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// A JSON5 value with the location it was written at, so every later check can point at it.
public struct JSONNode: Sendable, Equatable {
    /// One member of an object, with where its key was written.
    public struct Member: Sendable, Equatable {
        /// The key, unquoted.
        public var key: String
        /// Where the key starts.
        public var keyLocation: SourceLocation
        /// The member's value.
        public var value: JSONNode

        /// Creates a member.
        public init(key: String, keyLocation: SourceLocation, value: JSONNode) {
            self.key = key
            self.keyLocation = keyLocation
            self.value = value
        }
    }

    /// The value itself.
    public enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        /// A number; `Infinity`, `-Infinity` and `NaN` are JSON5 numbers too.
        case number(Double)
        case string(String)
        case array([JSONNode])
        /// Members in source order; duplicates are kept so validation can report them.
        case object([Member])
    }

    /// The value.
    public var value: Value
    /// Where the value starts (its first character).
    public var location: SourceLocation

    /// Creates a node.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}
