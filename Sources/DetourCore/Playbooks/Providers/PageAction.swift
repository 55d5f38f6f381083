import Foundation

/// `page`: pages the person on call by an escalation policy of `oncall.json5`.
///
/// The step itself sends nothing: `IncidentMachine` turns it into one call per level and way
/// (`PageTransport`), journaled like every step, and escalates until someone acknowledges.
public struct PageAction: ProviderAction {
    /// The policy's name under `escalation`.
    public var escalation: String
    /// A line added to every page, such as `チケット: {{steps.ticket.url}}`.
    public var text: TemplateField?
    /// Where the step is written.
    public var location: SourceLocation

    public var name: String { "page" }
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { text.map { [($0.template, $0.location)] } ?? [] }
    public var credentials: [(CredentialReference, SourceLocation)] { [] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> PageAction? {
        let escalation = fields.string("escalation") ?? "default"
        let text = fields.template("text")
        return PageAction(escalation: escalation, text: text, location: fields.reader.value("escalation")?.location ?? fields.location)
    }

    // The machine sends the page's calls; a rehearsal of the step itself has nothing to send.
    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? { nil }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        AnswerReading.standard(response, provider: "page", now: environment.now)
    }
}
