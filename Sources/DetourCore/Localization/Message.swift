/// A message kept as its catalog key and values, so it can be shown in any language later.
///
/// Workspace diagnostics are found once and shown to whoever reads them: `check` in a Japanese
/// terminal, the English journal, a test. A value may itself be a message (`a string in quotes`,
/// `probe "cart"`), translated with it; plain values (keys, file names, what was written) stay as they are.
public struct Message: Sendable, Equatable {
    /// A value put into a placeholder.
    public indirect enum Value: Sendable, Equatable {
        /// Shown as it is, in every language.
        case plain(String)
        /// Translated along with the message around it.
        case message(Message)
    }

    /// A named placeholder value.
    public struct Argument: Sendable, Equatable {
        /// The placeholder's name, without braces.
        public var name: String
        /// What fills it.
        public var value: Value
    }

    /// The catalog key.
    public var key: String
    /// The placeholder values, by name.
    public var arguments: [Argument]

    /// A message with plain values: `.text("check.key.unknown", ["key": key])`.
    ///
    /// Write the key as a literal: the catalog test finds the keys in use by this call.
    public static func text(_ key: String, _ values: KeyValuePairs<String, String> = [:]) -> Message {
        Message(key: key, arguments: values.map { Argument(name: $0.key, value: .plain($0.value)) })
    }

    /// A message whose values may be messages themselves.
    public static func text(_ key: String, values: KeyValuePairs<String, Value>) -> Message {
        Message(key: key, arguments: values.map { Argument(name: $0.key, value: $0.value) })
    }

    /// The message in a localizer's language, its nested messages too.
    public func rendered(by l10n: Localizer) -> String {
        let pairs = arguments.map { ($0.name, $0.value.rendered(by: l10n)) }
        let template = Catalog.table(for: l10n.language)[key] ?? Catalog.table(for: .en)[key] ?? key
        return Localizer.fill(template, pairs)
    }
}

extension Message.Value {
    /// The value in a localizer's language.
    public func rendered(by l10n: Localizer) -> String {
        switch self {
        case .plain(let text): text
        case .message(let message): message.rendered(by: l10n)
        }
    }
}

extension Message.Value: ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    /// A plain value from a string.
    public init(stringLiteral value: String) { self = .plain(value) }
}
