import Foundation

/// `log`: writes a line to the journal only; nothing is sent.
public struct LogAction: ProviderAction {
    /// The line.
    public var message: TemplateField

    public var name: String { "log" }
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [(message.template, message.location)] }
    public var credentials: [(CredentialReference, SourceLocation)] { [] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> LogAction? {
        fields.template("message", required: true, hint: "message: \"{{channel.name}} failover started\"").map(LogAction.init)
    }

    /// The rendered line, for the journal.
    public func line(_ environment: CallEnvironment) throws(StepError) -> String { try environment.text(message.template) }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? { nil }

    /// The rendered line, journaled as the step's note.
    public func localEffect(_ environment: CallEnvironment) throws(StepError) -> LocalEffect? {
        let line = try line(environment)
        return LocalEffect(request: "log: \(line)", note: line)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        .success(outputs: [:])
    }
}
