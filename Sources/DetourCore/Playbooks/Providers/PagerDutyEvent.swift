import Foundation

/// `pagerduty.event`: trigger or resolve an alert through Events API v2; `dedup_key` is the incident id.
public struct PagerDutyEvent: ProviderAction {
    /// The integration's routing key.
    public var routingKey: CredentialField
    /// `trigger`, `acknowledge` or `resolve`.
    public var operation: String
    /// The alert summary (trigger).
    public var summary: TemplateField?
    /// `critical`, `error`, `warning` or `info`.
    public var severity: String
    /// The alert source.
    public var source: String

    public var name: String { "pagerduty.event" }
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { summary.map { [($0.template, $0.location)] } ?? [] }
    public var credentials: [(CredentialReference, SourceLocation)] { [(routingKey.reference, routingKey.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> PagerDutyEvent? {
        let routingKey = fields.credential("routingKey", hint: "routingKey: \"env:PAGERDUTY_ROUTING_KEY\"")
        let operation = fields.word("action", in: ["trigger", "acknowledge", "resolve"], default: "trigger")
        let summary = fields.template("summary", required: operation == "trigger", hint: "summary: \"{{channel.name}} is down: {{incident.reason}}\"")
        let severity = fields.word("severity", in: ["critical", "error", "warning", "info"], default: "critical")
        let source = fields.string("source") ?? "detour"
        guard let routingKey else { return nil }
        return PagerDutyEvent(routingKey: routingKey, operation: operation, summary: summary, severity: severity, source: source)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        var body: [(String, JSONValue)] = [
            ("routing_key", .string(try environment.secret(routingKey.reference))), ("event_action", .string(operation)),
            ("dedup_key", .string(String(environment.incidentID.prefix(255)))),
        ]
        if operation == "trigger", let summary {
            let text = String(try environment.text(summary.template).prefix(1_024))
            body.append(("payload", .object([("summary", .string(text)), ("source", .string(source)), ("severity", .string(severity))])))
        }
        return ProviderCall(
            method: "POST", url: environment.base("pagerduty", default: "https://events.pagerduty.com") + "/v2/enqueue",
            headers: [HTTPHeader("Content-Type", "application/json")], body: JSONValue.object(body).jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        AnswerReading.standard(response, provider: "PagerDuty", now: environment.now) { status in
            status == 400 ? "PagerDuty rejected the event; check the routing key (an Events API v2 integration key)" : nil
        }
    }
}
