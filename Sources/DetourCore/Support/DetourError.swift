import Foundation

/// An error whose description is written for the operator: shown as is, never as a dump.
public protocol DetourError: Error, Sendable, CustomStringConvertible {}

/// A `DetourError` that can also carry its message as a catalog key and values.
public protocol LocalizableDetourError: DetourError {
    /// The message as a catalog key and values; nil when it exists in English only.
    var text: Message? { get }
}

extension Error {
    /// The text to show a person, in a language when the error has a translation.
    public func message(in l10n: Localizer) -> String {
        if let error = self as? any LocalizableDetourError, let text = error.text { return text.rendered(by: l10n) }
        return message
    }

    /// The text to show a person: our own errors' descriptions, Foundation's localized text otherwise.
    public var message: String {
        (self as? any DetourError)?.description ?? localizedDescription
    }
}
