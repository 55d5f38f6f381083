import Foundation

/// The shape every built-in action shares: its config (read at load time), what `check`
/// validates, how it builds its request, and how it reads the answer.
public protocol ProviderAction: Sendable {
    /// The name written in `do`.
    var name: String { get }
    /// Whether repeating an attempt that may have arrived cannot act twice (a retry key, a dedup key, an idempotent switch).
    var honoursIdempotency: Bool { get }
    /// Whether customers see it, so a playbook's cooldown keeps it from being posted again.
    var isPublicNotice: Bool { get }
    /// Whether it switches something on the shop for as long as an outage lasts (a discount), rather
    /// than telling someone: such steps are shared by overlapping incidents (`holds`).
    var isEffect: Bool { get }
    /// Every template with where it was written, for variable checks.
    var templates: [(Template, SourceLocation)] { get }
    /// Every credential reference with where it was written.
    var credentials: [(CredentialReference, SourceLocation)] { get }
    /// Customer-visible texts with their platform's limit, for length checks.
    var texts: [(Template, SourceLocation, TextLimit)] { get }
    /// The next call, given what earlier calls of the step left in `environment.outputs`; nil sends nothing.
    func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall?
    /// What an answer means.
    func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict
    /// For a rehearsal of a multi-call action: stand-in outputs after `call`, or nil when it was the last call.
    func rehearsalOutputs(after call: ProviderCall) -> [String: String]?
    /// What the step does when `call` sends nothing (`log` writes a journal line); nil when it does nothing.
    func localEffect(_ environment: CallEnvironment) throws(StepError) -> LocalEffect?
}

/// A step's whole effect when nothing is sent: what the journal says it did.
public struct LocalEffect: Sendable, Equatable {
    /// What was done, in place of a request (`log: 楽天市場店 is down`).
    public var request: String
    /// The line for the step's record.
    public var note: String?

    /// Creates the effect.
    public init(request: String, note: String?) {
        self.request = request
        self.note = note
    }
}

extension ProviderAction {
    /// Most actions tell someone something.
    public var isEffect: Bool { false }

    /// The provider family (`line` for `line.broadcast`): public messages alternate per family.
    public var family: String { String(name.split(separator: ".").first ?? Substring(name)) }

    /// Single-call actions have nothing more to rehearse.
    public func rehearsalOutputs(after call: ProviderCall) -> [String: String]? { nil }

    /// Actions that send requests have no local effect.
    public func localEffect(_ environment: CallEnvironment) throws(StepError) -> LocalEffect? { nil }

    /// Every env variable the action reads (references and `{{env.X}}`).
    public var environmentNames: Set<String> {
        var names: Set<String> = []
        for (reference, _) in credentials { if case .environment(let name) = reference { names.insert(name) } }
        for (template, _) in templates {
            for (path, _) in template.variables where path.count == 2 && path[0] == "env" { names.insert(path[1]) }
        }
        return names
    }
}

/// A ticket action that closes what it opened when the incident ends: its undo is implied.
public protocol ClosesOnUndo: ProviderAction {
    /// The action that closes it (comment with the summary, then done).
    var closing: any ProviderAction { get }
}

/// One HTTP call of an action, before the sandbox redirect.
public struct ProviderCall: Sendable {
    /// GET, POST, PUT, PATCH or DELETE.
    public var method: String
    /// The full URL.
    public var url: String
    /// Headers, credentials included (masked when shown).
    public var headers: [HTTPHeader]
    /// The body text, if any.
    public var body: String?
    /// Which call of a multi-call action (`create`, `content`, `send`); empty for single calls.
    public var stage: String = ""
}

/// How an answer ends the attempt.
public enum ProviderVerdict: Sendable, Equatable {
    /// Done; `outputs` (ids) are journaled.
    case success(outputs: [String: String])
    /// One call of several done; the next call follows with these outputs.
    case progress(outputs: [String: String])
    /// The provider says it already has it (a repeat of an accepted request): counts as done.
    case alreadyDone(String)
    /// Worth another attempt, after `retryAfter` when the provider said so.
    case retryable(String, retryAfter: Duration?)
    /// Retrying cannot help; the message says what to fix.
    case permanent(String)
}

/// A platform's text limit.
public enum TextLimit: Sendable, Equatable {
    /// X's weighted length.
    case xWeighted(Int)
    /// UTF-16 code units (LINE).
    case utf16(Int)
    /// Characters (Discord, Slack).
    case characters(Int)

    /// The measured length of a text and whether it fits.
    public func measure(_ text: String) -> (length: Int, fits: Bool) {
        let length: Int
        let limit: Int
        switch self {
        case .xWeighted(let max): (length, limit) = (TextLength.xWeighted(text), max)
        case .utf16(let max): (length, limit) = (text.utf16.count, max)
        case .characters(let max): (length, limit) = (text.count, max)
        }
        return (length, length <= limit)
    }

    /// How the limit is said in messages.
    public var description: String {
        switch self {
        case .xWeighted(let max): "\(max) (X weighted length: kana and kanji count 2, every URL 23)"
        case .utf16(let max): "\(max) UTF-16 code units"
        case .characters(let max): "\(max) characters"
        }
    }
}

/// What an action's calls are built from: the incident's template values, secrets, base URLs and keys.
public struct CallEnvironment: Sendable {
    /// Template values of the incident.
    public var context: TemplateContext
    /// Credentials (every resolved value is registered for masking).
    public var secrets: SecretResolver
    /// Base URL overrides from `providers` in detour.json5.
    public var providers: [String: String]
    /// `incident/playbook/step`, the same on every attempt.
    public var idempotencyKey: String
    /// The incident id (PagerDuty's dedup_key).
    public var incidentID: String
    /// Ids left by earlier calls of this step (and, for undo, of the step it reverses).
    public var outputs: [String: String]
    /// Whether this attempt repeats one that may have arrived.
    public var isRepeat: Bool
    /// The engine's time, for rate-limit resets given as clock times.
    public var now: Date

    /// Creates an environment.
    public init(
        context: TemplateContext, secrets: SecretResolver, providers: [String: String], idempotencyKey: String, incidentID: String,
        outputs: [String: String] = [:], isRepeat: Bool = false, now: Date = Date()
    ) {
        self.context = context
        self.secrets = secrets
        self.providers = providers
        self.idempotencyKey = idempotencyKey
        self.incidentID = incidentID
        self.outputs = outputs
        self.isRepeat = isRepeat
        self.now = now
    }

    /// A template rendered as text.
    public func text(_ template: Template) throws(StepError) -> String {
        try value(template).textValue
    }

    /// A template rendered as a JSON value.
    public func value(_ template: Template) throws(StepError) -> JSONValue {
        try rendering { resolve in try template.render(resolve) }
    }

    /// A templated JSON value rendered.
    public func value(_ template: TemplateValue) throws(StepError) -> JSONValue {
        try rendering { resolve in try template.render(resolve) }
    }

    /// Renders with this call's variables, every failure as a `StepError`.
    private func rendering(_ render: (([String]) throws -> JSONValue) throws -> JSONValue) throws(StepError) -> JSONValue {
        do {
            return try render { path in try context.resolve(path, secrets: secrets) }
        } catch let error as StepError {
            throw error
        } catch {
            throw StepError(message: "\(error)", permanent: true)
        }
    }

    /// A credential's value.
    public func secret(_ reference: CredentialReference) throws(StepError) -> String {
        do {
            return try secrets.resolve(reference)
        } catch {
            throw StepError(message: error.description, permanent: true)
        }
    }

    /// The base URL of a provider: the override from detour.json5, or the public default; no trailing slash.
    public func base(_ provider: String, default fallback: String) -> String {
        var base = providers[provider] ?? fallback
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}

/// Answer-reading shared by the providers.
public enum AnswerReading {
    /// 2xx success; 408, 425, 429 and 5xx retryable (with Retry-After or x-rate-limit-reset); the rest permanent.
    public static func standard(_ response: HTTPResponse, provider: String, now: Date, hint: (Int) -> String? = { _ in nil }) -> ProviderVerdict {
        let status = response.status
        if (200..<300).contains(status) { return .success(outputs: [:]) }
        let detail = excerpt(response)
        let said = "\(provider) answered \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        if status == 408 || status == 425 || status == 429 || status == 420 || status >= 500 {
            return .retryable(said, retryAfter: retryAfter(response, now: now))
        }
        let fix = hint(status) ?? defaultHint(status)
        return .permanent(said + (fix.isEmpty ? "" : "; \(fix)"))
    }

    /// How long the provider asked to wait: `Retry-After` seconds (or HTTP date), or `x-rate-limit-reset`; at most an hour.
    public static func retryAfter(_ response: HTTPResponse, now: Date) -> Duration? {
        if let text = response.header("Retry-After"), let wait = RetryAfter.parse(text, as: .retryAfterHeader, now: now) {
            return wait
        }
        for name in ["x-rate-limit-reset", "X-RateLimit-Reset"] {
            if let text = response.header(name), let wait = RetryAfter.parse(text, as: .rateLimitReset, now: now) { return wait }
        }
        return nil
    }

    /// The start of the body, one line, for messages.
    public static func excerpt(_ response: HTTPResponse) -> String {
        String(response.bodyText.replacingOccurrences(of: "\n", with: " ").prefix(300))
    }

    private static func defaultHint(_ status: Int) -> String {
        switch status {
        case 401: "the credential was refused; check the token the step references"
        case 403: "the credential may lack the permission this needs; check its scopes"
        case 404: "the address was not found; check the URL or id in the step"
        case 400, 422: "the provider rejected the request; check the step's fields"
        default: ""
        }
    }

    /// The body parsed as JSON, if it is.
    public static func json(_ response: HTTPResponse) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }
}

/// The built-in actions, by the name written in `do`.
public enum ProviderKind: String, Sendable, CaseIterable {
    case http = "http"
    case lineBroadcast = "line.broadcast"
    case linePush = "line.push"
    case lineMulticast = "line.multicast"
    case xPost = "x.post"
    case slackPost = "slack.post"
    case discordPost = "discord.post"
    case sendgridSend = "sendgrid.send"
    case mailchimpCampaign = "mailchimp.campaign"
    case shopifyDiscount = "shopify.discount"
    case pagerdutyEvent = "pagerduty.event"
    case statuspageIncident = "statuspage.incident"
    case log = "log"
    case twilioSMS = "twilio.sms"
    case twilioCall = "twilio.call"
    case page = "page"
    case backlogIssue = "backlog.issue"
    case jiraIssue = "jira.issue"
    case servicenowIncident = "servicenow.incident"
    case githubIssue = "github.issue"
    case selftest = "selftest"

    /// Reads the action's fields from a step.
    func read(_ fields: ProviderFields) -> (any ProviderAction)? {
        switch self {
        case .http: nil  // read by StepLoader, with `request`
        case .lineBroadcast: LineMessage.read(fields, mode: .broadcast)
        case .linePush: LineMessage.read(fields, mode: .push)
        case .lineMulticast: LineMessage.read(fields, mode: .multicast)
        case .xPost: XPost.read(fields)
        case .slackPost: SlackPost.read(fields)
        case .discordPost: DiscordPost.read(fields)
        case .sendgridSend: SendGridSend.read(fields)
        case .mailchimpCampaign: MailchimpCampaign.read(fields)
        case .shopifyDiscount: ShopifyDiscount.read(fields)
        case .pagerdutyEvent: PagerDutyEvent.read(fields)
        case .statuspageIncident: StatuspageIncident.read(fields)
        case .log: LogAction.read(fields)
        case .twilioSMS: TwilioMessage.read(fields, mode: .sms)
        case .twilioCall: TwilioMessage.read(fields, mode: .call)
        case .page: PageAction.read(fields)
        case .backlogIssue: BacklogIssue.read(fields)
        case .jiraIssue: JiraIssue.read(fields)
        case .servicenowIncident: ServiceNowIncident.read(fields)
        case .githubIssue: GitHubIssue.read(fields)
        case .selftest: SelfTestAction.read(fields)
        }
    }
}
