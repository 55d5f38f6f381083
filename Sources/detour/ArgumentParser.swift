import DetourCore

/// An option a command accepts.
struct OptionSpec: Sendable {
    /// Long name without dashes (`reason`).
    var name: String
    /// One-letter alias, if any.
    var short: Character?
    /// Placeholder for the value (`TEXT`); nil for a flag.
    var value: String?
    /// One line of help.
    var help: String
}

/// A positional argument a command accepts.
struct ArgumentSpec: Sendable {
    /// Placeholder (`CHANNEL`).
    var name: String
    /// One line of help.
    var help: String
    /// Whether it may be repeated.
    var repeating = false
    /// Whether it must be given.
    var required = true
}

/// A mistake on the command line; exits 64 with the command's usage.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}

/// What the parser found.
struct ParsedArguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// The last value of an option.
    func value(_ name: String) -> String? { values[name]?.last }

    /// Whether a flag was given.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Parses arguments against a command's options (plus the global ones).
    static func parse(_ arguments: [String], options: [OptionSpec], positional: [ArgumentSpec]) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var onlyPositionals = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositionals || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            var name: String
            var inline: String?
            if argument.hasPrefix("--") {
                name = String(argument.dropFirst(2))
                if let equals = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: equals)...])
                    name = String(name[..<equals])
                }
            } else {
                guard argument.count == 2, let spec = options.first(where: { $0.short == argument.last }) else {
                    throw UsageError(description: "unknown option '\(argument)'")
                }
                name = spec.name
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                let suggestion = closestName(name, in: options.map(\.name)).map { "; did you mean '--\($0)'?" } ?? ""
                throw UsageError(description: "unknown option '--\(name)'\(suggestion)")
            }
            if spec.value == nil {
                guard inline == nil else { throw UsageError(description: "'--\(name)' takes no value") }
                parsed.flags.insert(name)
            } else if let inline {
                parsed.values[name, default: []].append(inline)
            } else {
                guard index < arguments.count else {
                    throw UsageError(description: "'--\(name)' needs a value: --\(name) \(spec.value!)")
                }
                parsed.values[name, default: []].append(arguments[index])
                index += 1
            }
        }
        // Help needs none of the command's arguments.
        if parsed.flags.contains("help") { return parsed }
        let maximum = positional.contains(where: \.repeating) ? Int.max : positional.count
        if parsed.positionals.count > maximum {
            throw UsageError(description: "unexpected argument '\(parsed.positionals[maximum])'")
        }
        if let missing = positional.filter(\.required).dropFirst(parsed.positionals.count).first {
            throw UsageError(description: "missing \(missing.name): \(missing.help)")
        }
        return parsed
    }

    private static func closestName(_ name: String, in names: [String]) -> String? {
        names.first { $0.hasPrefix(name) || name.hasPrefix($0) } ?? closestMatch(to: name, in: names)
    }
}
