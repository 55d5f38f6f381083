import Foundation

/// The `selftest` step as decisions: one `CredentialCheck` per credential of the workspace, each a
/// step of its own (`weekly/selftest/1-line`), then the step's outcome: failed with the list of
/// what was refused or missing, so the `step-failed` playbooks tell the operator.
extension IncidentMachine {
    /// Every credential the workspace uses, once, with how to check it.
    func credentialChecks() -> [CredentialCheck] {
        var checks: [CredentialCheck] = []
        var seen: Set<String> = []
        func add(_ check: CredentialCheck) {
            guard seen.insert(check.references.map(\.description).joined(separator: " ")).inserted else { return }
            checks.append(check)
        }
        for playbook in workspace.playbooks {
            for step in playbook.steps + playbook.recovery {
                for action in [step.action] + (step.undo.map { [$0] } ?? []) {
                    let provider = action.action
                    let used = "\(provider.name) (\(playbook.id)/\(step.id))"
                    let references = provider.credentials.map(\.0)
                    switch provider.family {
                    case "line" where references.count == 1: add(CredentialCheck(kind: .line(references[0]), usedBy: used))
                    case "sendgrid" where references.count == 1: add(CredentialCheck(kind: .sendgrid(references[0]), usedBy: used))
                    case "github" where references.count == 1: add(CredentialCheck(kind: .github(references[0]), usedBy: used))
                    case "twilio" where references.count == 2: add(CredentialCheck(kind: .twilio(references[0], references[1]), usedBy: used))
                    default: for reference in references { add(CredentialCheck(kind: .present(reference), usedBy: used)) }
                    }
                }
            }
        }
        if let transports = workspace.oncall?.transports {
            let used = "oncall.json5 send"
            if let token = transports.lineToken { add(CredentialCheck(kind: .line(token.reference), usedBy: "\(used).line")) }
            if let token = transports.slackToken { add(CredentialCheck(kind: .slackBot(token.reference), usedBy: "\(used).slack")) }
            if let key = transports.sendgridKey { add(CredentialCheck(kind: .sendgrid(key.reference), usedBy: "\(used).email")) }
            if let sid = transports.twilioAccount, let token = transports.twilioToken {
                add(CredentialCheck(kind: .twilio(sid.reference, token.reference), usedBy: "\(used).twilio"))
            }
            if let key = transports.pagerdutyKey { add(CredentialCheck(kind: .present(key.reference), usedBy: "\(used).pagerduty")) }
        }
        if let heartbeat = workspace.settings.heartbeat { add(CredentialCheck(kind: .present(heartbeat.url), usedBy: "heartbeat.url")) }
        return checks
    }

    /// The `selftest` step: its checks, then its outcome once every check is settled.
    func selfTestStep(_ planned: PlannedStep, of incident: Incident, channel: Channel, at now: Date) -> StepDecision {
        var sends: [StepCall] = []
        var wake: Date?
        var failures: [String] = []
        let checks = credentialChecks()
        for (index, check) in checks.enumerated() {
            var step = planned.step
            step.when = nil
            step.parallel = nil
            step.holds = .none
            step.continueOnError = true
            let key = "\(planned.key)/\(index + 1)-\(check.name.dropFirst(9))"
            let sub = PlannedStep(key: key, phase: planned.phase, step: step, action: .provider(check), playbook: planned.playbook, event: planned.event)
            switch decide(sub, of: incident, channel: channel, at: now) {
            case .journal(let events): return .journal(events)
            case .send(let call): sends.append(call)
            case .sendAll(let calls): sends += calls
            case .wait(let until): wake = min(wake ?? until, until)
            case .awaitingApproval, .failed, .done:
                if incident.steps[key]?.outcome == .failed {
                    failures.append(
                        "\(check.references.map(\.description).joined(separator: " + ")) for \(check.usedBy): \(incident.steps[key]?.error ?? "failed")")
                }
            }
        }
        if !sends.isEmpty { return .sendAll(sends) }
        if let wake { return .wait(wake) }
        guard failures.isEmpty else {
            let error =
                "step \(planned.key) (selftest): \(failures.count) of \(checks.count) credentials refused or missing: \(failures.joined(separator: "; "))"
            return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .failed, error: error)])
        }
        return .journal([finished(planned, incident: incident.id, attempt: 0, outcome: .succeeded, note: "\(checks.count) credentials checked; all accepted")])
    }
}
