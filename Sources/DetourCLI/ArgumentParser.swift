import DetourCore
import Foundation

/// How an option is written on the command line and shown in `--help`.
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

/// An option a command declares once and reads back through the declaration itself, so a
/// misspelt name is a compile error rather than a silent nil.
protocol OptionDeclaration: Sendable {
    /// Its name, alias, placeholder and help.
    var spec: OptionSpec { get }
}

/// An option with a value, converted to `Value` (and checked) as it is read.
struct Option<Value: Sendable>: OptionDeclaration {
    let spec: OptionSpec
    /// Text to value; a `UsageError` says what to write instead.
    let convert: @Sendable (String) throws(UsageError) -> Value

    /// The long form with its placeholder, for messages: `--until TIME`.
    var usage: String { "--\(spec.name) \(spec.value ?? "")" }
}

/// An option without a value: given or not.
struct Flag: OptionDeclaration {
    let spec: OptionSpec

    /// A flag such as `--dry-run`.
    init(_ name: String, short: Character? = nil, help: String) {
        spec = OptionSpec(name: name, short: short, value: nil, help: help)
    }
}

extension Option where Value == String {
    /// Free text (`--reason TEXT`).
    static func string(_ name: String, short: Character? = nil, value: String = "TEXT", help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: value, help: help)) { text throws(UsageError) in text }
    }
}

extension Option where Value == ChannelID {
    /// A channel id, checked against the workspace once it is loaded.
    static func channel(_ name: String = "channel", short: Character? = "c", help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: "ID", help: help)) { text throws(UsageError) in ChannelID(text) }
    }
}

extension Option where Value == PathArgument {
    /// A file or folder, relative to the current folder unless absolute.
    static func path(_ name: String, short: Character? = nil, value: String = "PATH", help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: value, help: help)) { text throws(UsageError) in
            guard !text.isEmpty else { throw UsageError(description: "--\(name) needs a path: --\(name) \(value)") }
            return PathArgument(text)
        }
    }
}

extension Option where Value == Duration {
    /// A positive duration no longer than 366 days (`30m`, `1h30m`).
    static func duration(_ name: String, short: Character? = nil, help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: "DURATION", help: help)) { text throws(UsageError) in
            guard let duration = DurationText.parse(text), duration > .zero else {
                throw UsageError(description: "--\(name) \"\(text)\" is not a duration; write it like 30m or 1h30m")
            }
            guard duration <= DurationText.longest else { throw UsageError(description: "--\(name) \(DurationText.tooLong(text))") }
            return duration
        }
    }
}

extension Option where Value == TimeArgument {
    /// A time (`2026-12-02T06:00+09:00`, or a date), or with `durations` a duration from now.
    ///
    /// The form is checked here; the time itself is read in the workspace's zone, once it is known.
    static func time(_ name: String, short: Character? = nil, durations: TimeArgument.Durations? = nil, help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: "TIME", help: help)) { text throws(UsageError) in
            try TimeArgument(option: name, text: text, durations: durations)
        }
    }
}

extension Option where Value == Language {
    /// A language Detour speaks: `en` or `ja`.
    static func language(_ name: String, help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: nil, value: "LANG", help: help)) { text throws(UsageError) in
            guard let language = Language(tag: text) else {
                throw UsageError(.text("usage.lang", ["text": text]))
            }
            return language
        }
    }
}

extension Option where Value == UInt16 {
    /// A TCP port, 0–65535.
    static func port(_ name: String = "port", short: Character? = "p", help: String) -> Option {
        Option(spec: OptionSpec(name: name, short: short, value: "PORT", help: help)) { text throws(UsageError) in
            guard let port = UInt16(text) else { throw UsageError(description: "--\(name) \"\(text)\" is not a port number (0–65535)") }
            return port
        }
    }
}

/// A channel id as given; `resolve(in:)` finds the channel or says which one was meant.
struct ChannelID: Sendable, Hashable {
    /// The id as typed.
    let id: String

    init(_ id: String) { self.id = id }

    /// The workspace's channel with this id, or a usage error with the closest id.
    func resolve(in workspace: Workspace) throws(UsageError) -> Channel {
        guard let channel = workspace.channel(id) else { throw UsageError(description: workspace.unknownChannelMessage(id)) }
        return channel
    }
}

/// A path as given; relative paths are read from a folder chosen by the command.
struct PathArgument: Sendable {
    /// The path as typed.
    let text: String

    init(_ text: String) { self.text = text }

    /// The absolute path, reading a relative one from `directory`.
    func absolute(in directory: String = FileManager.default.currentDirectoryPath) -> String {
        text.hasPrefix("/") ? text : directory + "/" + text
    }
}

/// A time as given on the command line: checked for form when parsed, read in the workspace's zone when run.
struct TimeArgument: Sendable {
    /// Which way a duration counts from now.
    enum Durations: Sendable {
        /// `7d` means seven days ago (report --since).
        case back
        /// `2h` means two hours from now (hold --until).
        case ahead
    }

    /// The option's name, for messages.
    let option: String
    /// The text as typed.
    let text: String
    /// Set when the text is a duration.
    let duration: Duration?
    /// Whether and how durations are read.
    let durations: Durations?

    /// Checks the form: a time or date (in any zone), or a duration when allowed.
    init(option: String, text: String, durations: Durations?) throws(UsageError) {
        self.option = option
        self.text = text
        self.durations = durations
        guard !text.isEmpty else { throw UsageError(description: "--\(option) needs \(Self.forms(durations))") }
        if durations != nil, let duration = DurationText.parse(text), duration > .zero {
            guard duration <= DurationText.longest else { throw UsageError(description: "--\(option) \(DurationText.tooLong(text)), or a time") }
            self.duration = duration
            return
        }
        duration = nil
        // Every zone reads the same forms; whether the time exists is asked again in the workspace's zone.
        guard LocalTime.parse(text, in: .gmt) != nil else {
            throw UsageError(description: "--\(option) \"\(text)\" is not a time; write \(Self.forms(durations))")
        }
    }

    /// The moment meant, reading a time without an offset in `zone` (the workspace's).
    func date(now: Date, zone: TimeZone) throws(UsageError) -> Date {
        if let duration {
            return now.addingTimeInterval(durations == .back ? -duration.timeInterval : duration.timeInterval)
        }
        guard let date = LocalTime.parse(text, in: zone) else {
            throw UsageError(
                description:
                    "--\(option) \"\(text)\" does not exist in \(zone.identifier) (the workspace time zone); write another time, or add its offset such as +09:00"
            )
        }
        return date
    }

    private static func forms(_ durations: Durations?) -> String {
        switch durations {
        case nil: "a time such as 2026-11-27T10:00+09:00 or a date such as 2026-11-01 (the workspace time zone)"
        case .back?: "a time such as 2026-11-27T10:00+09:00, a date such as 2026-11-01, or a duration back from now such as 7d"
        case .ahead?: "a duration such as 2h, or a time such as 2026-12-02T06:00+09:00"
        }
    }
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
    /// What is wrong and what to write, in English.
    var description: String
    /// The same as a catalog message, when it has been translated.
    var text: Message?

    /// A mistake whose message exists in English only.
    init(description: String) { self.description = description }

    /// A mistake from a catalog message; its English text is `description`.
    init(_ text: Message) {
        description = text.rendered(by: .english)
        self.text = text
    }

    /// The message in a language, English when it has no translation.
    func description(in l10n: Localizer) -> String { text?.rendered(by: l10n) ?? description }
}

/// What the parser found, read back through the commands' declarations.
struct ParsedArguments {
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []
    /// The arguments that are not options, in order.
    private(set) var positionals: [String] = []

    /// The last value given for an option, converted; nil when it was not given.
    func value<Value>(_ option: Option<Value>) throws(UsageError) -> Value? {
        guard let text = values[option.spec.name]?.last else { return nil }
        return try option.convert(text)
    }

    /// Every value given for a repeatable option, converted, in order.
    func values<Value>(_ option: Option<Value>) throws(UsageError) -> [Value] {
        var converted: [Value] = []
        for text in values[option.spec.name] ?? [] { converted.append(try option.convert(text)) }
        return converted
    }

    /// Whether a flag was given.
    func flag(_ flag: Flag) -> Bool { flags.contains(flag.spec.name) }

    /// The positional argument at `index`, if given.
    func positional(_ index: Int) -> String? { positionals.indices.contains(index) ? positionals[index] : nil }

    /// Parses arguments against a command's options (plus the global ones) and positional arguments.
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
                    throw UsageError(.text("usage.option.unknown", ["option": argument]))
                }
                name = spec.name
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                if let suggestion = closestMatch(to: name, in: options.map(\.name)) {
                    throw UsageError(.text("usage.option.unknown-suggest", ["option": "--\(name)", "suggestion": "--\(suggestion)"]))
                }
                throw UsageError(.text("usage.option.unknown", ["option": "--\(name)"]))
            }
            if spec.value == nil {
                guard inline == nil else { throw UsageError(.text("usage.option.no-value", ["option": "--\(name)"])) }
                parsed.flags.insert(name)
            } else if let inline {
                parsed.values[name, default: []].append(inline)
            } else {
                guard index < arguments.count else {
                    throw UsageError(.text("usage.option.needs-value", ["option": "--\(name)", "value": spec.value ?? "VALUE"]))
                }
                parsed.values[name, default: []].append(arguments[index])
                index += 1
            }
        }
        // Help needs none of the command's arguments.
        if parsed.flags.contains(CLI.help.spec.name) { return parsed }
        let maximum = positional.contains(where: \.repeating) ? Int.max : positional.count
        if parsed.positionals.count > maximum {
            throw UsageError(.text("usage.argument.unexpected", ["argument": parsed.positionals[maximum]]))
        }
        if let missing = positional.filter(\.required).dropFirst(parsed.positionals.count).first {
            throw UsageError(.text("usage.argument.missing", ["argument": missing.name, "help": missing.help]))
        }
        return parsed
    }
}
