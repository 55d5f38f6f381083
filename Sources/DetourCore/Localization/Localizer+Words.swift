/// The words for states, statuses and outcomes, as people read them in status, show and log.
///
/// The raw values stay the words of JSON and the journal; these are only for human output.
extension Localizer {
    /// A channel's state as `status` shows it: a health state, `held` or `unknown`.
    public func channelState(_ raw: String) -> String {
        switch raw {
        case "up": text("words.state.up")
        case "suspect": text("words.state.suspect")
        case "down": text("words.state.down")
        case "recovering": text("words.state.recovering")
        case "degraded": text("words.state.degraded")
        case "maintenance": text("words.state.maintenance")
        case "held": text("words.state.held")
        case "unknown": text("words.state.unknown")
        default: raw
        }
    }

    /// An incident's status.
    public func incidentStatus(_ status: IncidentStatus) -> String {
        switch status {
        case .open: text("words.incident.open")
        case .mitigated: text("words.incident.mitigated")
        case .recovering: text("words.incident.recovering")
        case .resolved: text("words.incident.resolved")
        }
    }

    /// What opened an incident.
    public func trigger(_ trigger: IncidentTrigger) -> String {
        switch trigger {
        case .probe: text("words.trigger.probe")
        case .manual: text("words.trigger.manual")
        case .schedule: text("words.trigger.schedule")
        case .notice: text("words.trigger.notice")
        }
    }

    /// How a step ended; nil is a step not run yet.
    public func outcome(_ outcome: StepOutcome?) -> String {
        switch outcome {
        case .succeeded?: text("words.outcome.succeeded")
        case .retryable?: text("words.outcome.retryable")
        case .failed?: text("words.outcome.failed")
        case .skipped?: text("words.outcome.skipped")
        case .progressed?: text("words.outcome.progressed")
        case nil: text("words.outcome.pending")
        }
    }
}
