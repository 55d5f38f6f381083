import Foundation

/// `selftest`: checks every credential the workspace uses, as `detour drill` would need them, in a
/// `schedule` playbook (`on: { event: "schedule", cron: "0 9 * * mon" }`).
///
/// The step itself sends nothing: `IncidentMachine` turns it into one `CredentialCheck` per
/// credential (a harmless authenticated GET where the provider has one), then finishes it failed
/// with the list of what is refused or missing, so the `step-failed` playbooks tell the operator.
public struct SelfTestAction: ProviderAction {
    public var name: String { "selftest" }
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [] }
    public var credentials: [(CredentialReference, SourceLocation)] { [] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> SelfTestAction? { SelfTestAction() }

    // The machine sends the checks; the step itself has nothing to send.
    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? { nil }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        AnswerReading.standard(response, provider: "selftest", now: environment.now)
    }
}
