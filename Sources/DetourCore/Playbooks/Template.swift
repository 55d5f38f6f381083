/// A string with `{{variable}}` placeholders, parsed once at load time.
public struct Template: Sendable, Equatable {
    /// A piece of the string.
    public enum Segment: Sendable, Equatable {
        case literal(String)
        /// A dotted path such as `alternates.0.name`, with its column offset inside the string.
        case variable(path: [String], offset: Int)
    }

    /// The pieces in order.
    public var segments: [Segment]
    /// The text as written.
    public var source: String

    /// Parses `text`; nil with a message when a placeholder is not closed or empty.
    public static func parse(_ text: String) -> Result<Template, TemplateSyntaxError> {
        var segments: [Segment] = []
        var literal = ""
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "{", index + 1 < scalars.count, scalars[index + 1] == "{" {
                let start = index
                index += 2
                var name = ""
                while index < scalars.count, !(scalars[index] == "}" && index + 1 < scalars.count && scalars[index + 1] == "}") {
                    name.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard index < scalars.count else {
                    return .failure(TemplateSyntaxError(offset: start, .text("check.template.unclosed")))
                }
                index += 2
                let path = name.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !path.contains(where: \.isEmpty) else {
                    return .failure(TemplateSyntaxError(offset: start, .text("check.template.empty", ["variable": "{{\(name)}}"])))
                }
                if !literal.isEmpty { segments.append(.literal(literal)) }
                literal = ""
                segments.append(.variable(path: path, offset: start))
            } else {
                literal.unicodeScalars.append(scalars[index])
                index += 1
            }
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        return .success(Template(segments: segments, source: text))
    }

    /// The variables used, with their offsets.
    public var variables: [(path: [String], offset: Int)] {
        segments.compactMap {
            if case .variable(let path, let offset) = $0 { return (path, offset) }
            return nil
        }
    }

    /// Renders into a JSON value: a lone `{{x}}` keeps x's type, anything else becomes a string.
    public func render(_ resolve: ([String]) throws -> JSONValue) rethrows -> JSONValue {
        if segments.count == 1, case .variable(let path, _) = segments[0] { return try resolve(path) }
        var output = ""
        for segment in segments {
            switch segment {
            case .literal(let text): output += text
            case .variable(let path, _): output += try resolve(path).textValue
            }
        }
        return .string(output)
    }
}

/// A malformed placeholder, with its scalar offset in the string.
public struct TemplateSyntaxError: Error, Sendable, Equatable {
    /// Where in the string (scalars from its start).
    public var offset: Int
    /// What is wrong, in English.
    public var message: String
    /// The same as a catalog message, when it has been translated.
    public var text: Message? = nil

    /// Creates an error from a catalog message; its English text is `message`.
    init(offset: Int, _ text: Message) {
        self.offset = offset
        message = text.rendered(by: .english)
        self.text = text
    }
}

/// A JSON value whose strings are templates, rendered into JSON (never by pasting text).
public indirect enum TemplateValue: Sendable, Equatable {
    case scalar(JSONValue)
    case string(Template, SourceLocation)
    case array([TemplateValue])
    case object([TemplateMember])

    /// Every template string inside, with where it was written.
    public var templates: [(Template, SourceLocation)] {
        switch self {
        case .scalar: []
        case .string(let template, let location): [(template, location)]
        case .array(let items): items.flatMap(\.templates)
        case .object(let members): members.flatMap(\.value.templates)
        }
    }

    /// Renders every string through `resolve`.
    public func render(_ resolve: ([String]) throws -> JSONValue) rethrows -> JSONValue {
        switch self {
        case .scalar(let value): value
        case .string(let template, _): try template.render(resolve)
        case .array(let items): .array(try items.map { try $0.render(resolve) })
        case .object(let members): .object(try members.map { ($0.key, try $0.value.render(resolve)) })
        }
    }
}

/// One member of a templated object.
public struct TemplateMember: Sendable, Equatable {
    /// The key as written.
    public var key: String
    /// The templated value.
    public var value: TemplateValue
}
