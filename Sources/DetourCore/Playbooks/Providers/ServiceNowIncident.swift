import Foundation

/// `servicenow.incident`: opens an incident through the Table API (`POST /api/now/table/incident`);
/// on undo, resolves it (`PATCH …/{sys_id}` with state 6, a close code and the summary as close notes).
public struct ServiceNowIncident: ProviderAction, ClosesOnUndo {
    /// Open the incident, or resolve it (the undo).
    public enum Operation: String, Sendable {
        case create, resolve
    }

    /// What this call does.
    public var operation: Operation
    /// The instance: `matchado` (matchado.service-now.com) or a full host.
    public var instance: String
    /// The integration user (the Basic user).
    public var user: String
    /// Its password.
    public var password: CredentialField
    /// The short description.
    public var summary: TemplateField?
    /// The description; by default the incident so far.
    public var description: TemplateField?
    /// Urgency and impact, 1 (high) to 3 (low).
    public var urgency: Int
    /// Impact, 1 to 3.
    public var impact: Int
    /// The close code when resolving (`Solution provided` in a standard instance).
    public var closeCode: String

    public var name: String { "servicenow.incident" }
    // The Table API takes no idempotency key: a repeated create opens a second incident.
    public var honoursIdempotency: Bool { false }
    public var isPublicNotice: Bool { false }
    public var templates: [(Template, SourceLocation)] { [summary, description].compactMap { $0 }.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(password.reference, password.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    /// The same incident, resolved.
    public var closing: any ProviderAction {
        var closing = self
        closing.operation = .resolve
        return closing
    }

    static func read(_ fields: ProviderFields) -> ServiceNowIncident? {
        let operation = Operation(rawValue: fields.word("action", in: ["create", "resolve"], default: "create")) ?? .create
        let instance = fields.reader.requiredString("instance", hint: "instance: \"matchado\" (matchado.service-now.com)")
        let user = fields.reader.requiredString("user", hint: "user: \"detour.integration\"")
        let password = fields.credential("password", hint: "password: \"env:SERVICENOW_PASSWORD\"")
        let summary = fields.template("summary", required: operation == .create, hint: "summary: \"{{channel.name}}が停止しています\"")
        let description = fields.template("description")
        let urgency = fields.reader.count("urgency") ?? 1
        let impact = fields.reader.count("impact") ?? 2
        let closeCode = fields.reader.string("closeCode") ?? "Solution provided"
        for (key, value) in [("urgency", urgency), ("impact", impact)] where !(1...3).contains(value) {
            fields.error(.text("provider.servicenow.level", ["key": key]), key: key)
        }
        guard let instance, let user, let password else { return nil }
        return ServiceNowIncident(
            operation: operation, instance: instance, user: user, password: password, summary: summary, description: description, urgency: urgency,
            impact: impact, closeCode: closeCode)
    }

    private func base(_ environment: CallEnvironment) -> String {
        environment.base("servicenow", default: "https://" + (instance.contains(".") ? instance : "\(instance).service-now.com"))
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let secret = try environment.secret(password.reference)
        let headers = [
            HTTPHeader("Authorization", "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()),
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json"),
        ]
        switch operation {
        case .create:
            let text =
                try description.map { template throws(StepError) in try environment.text(template.template) } ?? environment.context.incident["details"] ?? ""
            let body = JSONValue.object([
                ("short_description", .string(String(try environment.text(summary!.template).prefix(160)))), ("description", .string(text)),
                ("urgency", .string(String(urgency))), ("impact", .string(String(impact))),
                ("correlation_id", .string(String(environment.incidentID.prefix(100)))),
            ])
            return ProviderCall(method: "POST", url: base(environment) + "/api/now/table/incident", headers: headers, body: body.jsonText, stage: "create")
        case .resolve:
            guard let id = environment.outputs["sysId"] else {
                throw StepError(message: "servicenow.incident: no sys_id from the step it resolves; the incident was never opened", permanent: true)
            }
            let body = JSONValue.object([
                ("state", .string("6")), ("close_code", .string(closeCode)), ("close_notes", .string(environment.context.incident["summary"] ?? "")),
            ])
            return ProviderCall(
                method: "PATCH", url: base(environment) + "/api/now/table/incident/\(FormBody.escape(id))", headers: headers, body: body.jsonText,
                stage: "resolve")
        }
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "ServiceNow (\(call.stage))", now: environment.now) { status in
            status == 401 ? "the user and password were refused; check the integration user and where \(password.reference) points" : nil
        }
        guard case .success = verdict, call.stage == "create" else { return verdict }
        let result = (AnswerReading.json(response) as? [String: Any])?["result"] as? [String: Any]
        guard let id = result?["sys_id"] as? String else { return .permanent("ServiceNow answered \(response.status) without a sys_id; check the instance") }
        let number = result?["number"] as? String ?? id
        return .success(outputs: ["sysId": id, "key": number, "url": base(environment) + "/nav_to.do?uri=incident.do%3Fsys_id%3D\(id)"])
    }
}
