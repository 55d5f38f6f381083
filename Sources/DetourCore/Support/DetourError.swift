import Foundation

/// An error whose description is written for the operator: shown as is, never as a dump.
public protocol DetourError: Error, Sendable, CustomStringConvertible {}

extension Error {
    /// The text to show a person: our own errors' descriptions, Foundation's localized text otherwise.
    public var message: String {
        (self as? any DetourError)?.description ?? localizedDescription
    }
}
