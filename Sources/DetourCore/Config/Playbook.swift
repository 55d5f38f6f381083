/// What a playbook reacts to.
public enum PlaybookEvent: String, Sendable, CaseIterable, Codable {
    case down
    case up
    /// At the times of `on.cron`, once for each channel the playbook applies to.
    case schedule
    /// A channel became degraded (slower than `maxLatency`); steps run once per spell.
    case degraded
    /// A planned maintenance window started; steps run once per window.
    case maintenance
    /// The monitor's own network is down (every channel and canary failed); for internal notices only.
    case offline
    /// A step of an outage failed for good (`step-failed`); for internal notices, such as paging someone.
    case stepFailed = "step-failed"
    /// A new set of errors in the workspace: commands run on the last good copy; for internal notices only.
    case workspaceInvalid = "workspace-invalid"
}

/// Which channels a playbook applies to.
public enum ChannelSelector: Sendable, Equatable {
    case all
    case only([String])

    /// Whether the selector includes a channel.
    public func matches(_ channel: String) -> Bool {
        switch self {
        case .all: true
        case .only(let ids): ids.contains(channel)
        }
    }
}

/// A merchant's response to an event: steps to run, undo on recovery, then recovery steps.
public struct Playbook: Sendable {
    /// The file name without `.json5`.
    public var id: String
    /// What the playbook is for, in the merchant's words.
    public var description: String
    /// The event that starts it.
    public var event: PlaybookEvent
    /// The channels it applies to.
    public var channels: ChannelSelector
    /// When a `schedule` playbook runs, in the workspace's time zone.
    public var cron: CronExpression?
    /// Steps run in order when the event happens.
    public var steps: [Step]
    /// Steps run after the undo steps when the channel is back.
    public var recovery: [Step]
    /// Where the playbook's file starts.
    public var location: SourceLocation
    /// Each channel id of `on.channels` with where it was written, for cross-checks.
    var channelReferences: [Located<String>] = []
    /// Whether an operator must release the failover steps (`detour approve`).
    public var approval: ApprovalRule?
    /// How long after an incident of a channel its public notices are not posted again.
    public var cooldown: Duration?
}

/// One side effect of a playbook.
public struct Step: Sendable {
    /// Unique within the playbook; part of the idempotency key.
    public var id: String
    /// The request this step sends.
    public var action: StepAction
    /// The request that reverses it on recovery, if any.
    public var undo: StepAction?
    /// Whether later steps still run when this one fails for good.
    public var continueOnError: Bool
    /// How many times a retryable failure is tried in all.
    public var attempts: Int
    /// Where the step is written.
    public var location: SourceLocation
    /// The first retry waits this long, later ones twice as long each time (with jitter).
    public var backoff: Duration = .seconds(1)
    /// Limit on one attempt's request.
    public var timeout: Duration = .seconds(15)
    /// What a later run does with an attempt that may or may not have reached a provider without idempotency.
    public var onUncertain: UncertainPolicy = .skip
    /// Consecutive steps with the same group name run at the same time.
    public var parallel: String?
    /// When the step runs at all; nil runs it always.
    public var when: StepCondition?
    /// Which shared effect the step holds across incidents.
    public var holds: EffectHolding = .automatic
    /// For a recovery notice: send it even when this outage's notice on the provider was never delivered.
    public var always = false
}

/// Whether a step's effect is shared by the incidents that need it (`holds`).
public enum EffectHolding: Sendable, Equatable {
    /// Shared under `playbook/step` when the action switches something on the shop (a discount, an `http` call).
    case automatic
    /// Shared under this name, by every step that names it.
    case named(String)
    /// Never shared: each incident sends its own (`holds: false`).
    case none
}

/// What a step does.
public enum StepAction: Sendable {
    case http(HTTPStepRequest)
    /// A built-in provider action (`line.broadcast`, `x.post`, …).
    case provider(any ProviderAction)

    /// The provider name, as written in `do`.
    public var provider: String {
        switch self {
        case .http: "http"
        case .provider(let action): action.name
        }
    }

    /// The action behind the common provider shape.
    public var action: any ProviderAction {
        switch self {
        case .http(let request): HTTPAction(request: request)
        case .provider(let action): action
        }
    }
}

/// A templated HTTP request.
public struct HTTPStepRequest: Sendable {
    /// GET, POST, PUT, PATCH or DELETE.
    public var method: String
    /// The URL template.
    public var url: Template
    /// Where the URL string is written.
    public var urlLocation: SourceLocation
    /// Header name and value; a value may be a credential reference.
    public var headers: [HeaderTemplate]
    /// A JSON body, rendered value by value.
    public var json: TemplateValue?
    /// Where the request object is written.
    public var location: SourceLocation
}

/// One templated header.
public struct HeaderTemplate: Sendable {
    /// The header name.
    public var name: String
    /// A credential reference (`env:NAME`, `file:PATH`) or a template.
    public var value: HeaderValue
    /// Where the value is written.
    public var location: SourceLocation
}

/// A header's value: a secret reference or a template.
public enum HeaderValue: Sendable {
    case credential(CredentialReference)
    case template(Template)
}
