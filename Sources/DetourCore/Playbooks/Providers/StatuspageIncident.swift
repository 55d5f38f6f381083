import Foundation

/// `statuspage.incident`: create, update or resolve an incident on a public status page.
/// The created incident's id is journaled; update and resolve use it.
public struct StatuspageIncident: ProviderAction {
    /// The API key.
    public var apiKey: CredentialField
    /// The page id.
    public var page: String
    /// `create`, `update` or `resolve`.
    public var operation: String
    /// The incident title (create).
    public var title: TemplateField?
    /// The message shown.
    public var body: TemplateField?
    /// For update: `identified` or `monitoring`.
    public var status: String
    /// Components marked as affected.
    public var components: [String]
    /// Their status while the incident lasts.
    public var componentStatus: String

    public var name: String { "statuspage.incident" }
    public var honoursIdempotency: Bool { operation != "create" }
    public var isPublicNotice: Bool { true }
    public var templates: [(Template, SourceLocation)] { [title, body].compactMap { $0 }.map { ($0.template, $0.location) } }
    public var credentials: [(CredentialReference, SourceLocation)] { [(apiKey.reference, apiKey.location)] }
    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    static func read(_ fields: ProviderFields) -> StatuspageIncident? {
        let apiKey = fields.credential("apiKey", hint: "apiKey: \"env:STATUSPAGE_API_KEY\"")
        let page = fields.reader.requiredString("page", hint: "page: \"kctbh9vrtdwd\" (the page id)")
        let operation = fields.word("action", in: ["create", "update", "resolve"], default: "create")
        let title = fields.template("name", required: operation == "create", hint: "name: \"{{channel.name}}の障害\"")
        let body = fields.template("body")
        let status = fields.word("status", in: ["investigating", "identified", "monitoring"], default: "identified")
        let components = fields.reader.stringArray("components")?.map(\.value) ?? []
        let componentStatus = fields.word(
            "componentStatus", in: ["degraded_performance", "partial_outage", "major_outage", "under_maintenance"], default: "major_outage")
        guard let apiKey, let page else { return nil }
        return StatuspageIncident(
            apiKey: apiKey, page: page, operation: operation, title: title, body: body, status: status, components: components,
            componentStatus: componentStatus)
    }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let key = try environment.secret(apiKey.reference)
        let base = environment.base("statuspage", default: "https://api.statuspage.io/v1") + "/pages/\(page)/incidents"
        let headers = [HTTPHeader("Authorization", "OAuth \(key)"), HTTPHeader("Content-Type", "application/json")]
        var incident: [(String, JSONValue)] = []
        if let title { incident.append(("name", .string(try environment.text(title.template)))) }
        if let body { incident.append(("body", .string(try environment.text(body.template)))) }
        if operation == "create" {
            incident.append(("status", .string("investigating")))
            incident.append(("component_ids", .array(components.map(JSONValue.string))))
            incident.append(("components", .object(components.map { ($0, .string(componentStatus)) })))
            return ProviderCall(method: "POST", url: base, headers: headers, body: JSONValue.object([("incident", .object(incident))]).jsonText)
        }
        guard let id = environment.outputs["statuspageIncidentId"] else {
            throw StepError(
                message: "statuspage.incident \(operation): no status page incident was created for this incident; add a create step before it",
                permanent: true)
        }
        incident.append(("status", .string(operation == "resolve" ? "resolved" : status)))
        if operation == "resolve", !components.isEmpty {
            incident.append(("components", .object(components.map { ($0, .string("operational")) })))
        }
        return ProviderCall(method: "PATCH", url: base + "/\(id)", headers: headers, body: JSONValue.object([("incident", .object(incident))]).jsonText)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        let verdict = AnswerReading.standard(response, provider: "Statuspage", now: environment.now) { status in
            status == 401 ? "the API key was refused; check it in Statuspage's API info page" : nil
        }
        guard case .success = verdict, call.method == "POST" else { return verdict }
        guard let id = (AnswerReading.json(response) as? [String: Any])?["id"] as? String else { return verdict }
        return .success(outputs: ["statuspageIncidentId": id])
    }
}
