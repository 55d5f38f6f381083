import DetourCore
import Foundation

/// The console page: channels with their health and evidence, open incidents with their steps and
/// timelines, and the action forms a user's role allows. Everything from outside is escaped by `HTML`.
struct ConsolePage {
    let snapshot: ConsoleSnapshot
    let session: ConsoleAccess.Session
    /// Signs each form's token; the signing key is read once for the page.
    let forms: ConsoleAccess.FormSigner
    let l10n: Localizer
    let user: ConsoleSettings.User

    private var workspace: Workspace { snapshot.workspace }
    private var zone: TimeZone { workspace.settings.timeZone }
    private var canAct: Bool { user.role == .operator }

    /// The whole page.
    func render(message: String?) -> String {
        let roleName = l10n.text(user.role == .operator ? "console.role.operator" : "console.role.viewer")
        let header: HTML = """
            <header><strong>\(l10n.text("console.title"))</strong> <span class="who">\(l10n.text("console.signedInAs", ["name": user.name, "role": roleName]))</span>
            <nav><a href="/">\(l10n.text("console.statusPage"))</a> <a href="/console/report">\(l10n.text("console.report"))</a> \
            <a href="/console/runbook">\(l10n.text("console.runbook"))</a> <a href="/console?lang=ja">日本語</a> <a href="/console?lang=en">English</a></nav>
            <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="\(forms.token(form: "logout"))">\
            <button type="submit">\(l10n.text("console.signOut"))</button></form></header>
            """
        let body = header + "<main id=\"live\">\(main(message: message))</main>"
        return Self.document(title: l10n.text("console.title"), language: l10n.language, body: body)
    }

    /// The part that live updates replace: flash message, channels, incidents.
    func main(message: String?) -> HTML {
        var out: HTML = ""
        if let message, !message.isEmpty { out += "<p class=\"flash\">\(message)</p>" }
        let pass = snapshot.lastPassAt.map { l10n.text("console.lastPass", ["time": LocalTime.iso8601($0, in: zone)]) } ?? l10n.text("console.noPass")
        out += "<p class=\"meta\">\(pass)</p>"
        out += "<h2>\(l10n.text("console.incidents"))</h2>"
        let incidents = snapshot.state.unresolvedIncidents
        if incidents.isEmpty { out += "<p>\(l10n.text("console.noIncidents"))</p>" }
        let records = incidents.isEmpty ? [] : ((try? StateStore(directory: snapshot.stateDirectory).records().records) ?? [])
        for incident in incidents { out += self.incident(incident, records: records) }
        out += "<h2>\(l10n.text("console.channels"))</h2>"
        for channel in workspace.channels { out += self.channel(channel) }
        return out
    }

    private func channel(_ channel: Channel) -> HTML {
        let health = snapshot.state.channels[channel.id]
        let state = health?.state ?? .up
        let word = l10n.text(Self.healthKey(state, probed: health?.lastProbeAt != nil))
        var out: HTML = "<section class=\"card \(state.rawValue)\"><h3>\(channel.name) <small>\(channel.id)</small> <span class=\"badge\">\(word)</span></h3>"
        out += "<p class=\"meta\">\(snapshot.state.displayState(of: channel.id, at: Date()))</p>"
        if let round = snapshot.lastProbes[channel.id] {
            out += "<h4>\(l10n.text("console.lastProbes")) <small>\(LocalTime.iso8601(round.at, in: zone))</small></h4><ul class=\"steps\">"
            for probe in round.probes {
                out += "<li class=\"\(probe.passed ? "succeeded" : "failed")\"><strong>\(probe.name)</strong> <code>\(probe.summary)</code></li>"
            }
            out += "</ul>"
        } else if let health {
            var facts: [HTML] = []
            if let at = health.lastProbeAt { facts.append("\(l10n.text("console.lastProbes")): \(LocalTime.iso8601(at, in: zone))") }
            if !facts.isEmpty { out += "<p>\(facts.joined(separator: "<br>"))</p>" }
        }
        if let health {
            var evidence: [HTML] = []
            if let failure = health.lastFailure { evidence.append("<code>\(failure)</code>") }
            if let slow = health.slowReason { evidence.append("<code>\(slow)</code>") }
            if !evidence.isEmpty { out += "<p>\(evidence.joined(separator: "<br>"))</p>" }
        }
        if canAct {
            let held = snapshot.state.holds[channel.id] != nil
            out += "<div class=\"actions\">"
            out += form(.failover, target: channel.id, fields: "<input name=\"reason\" required placeholder=\"\(l10n.text("console.reason"))\">")
            out += form(.restore, target: channel.id, fields: "<input name=\"reason\" placeholder=\"\(l10n.text("console.reason"))\">")
            if held {
                out += form(.release, target: channel.id, fields: "")
            } else {
                out += form(
                    .hold, target: channel.id,
                    fields:
                        "<input name=\"until\" placeholder=\"\(l10n.text("console.until")): 2h, 2026-12-04T21:00\"><input name=\"reason\" placeholder=\"\(l10n.text("console.reason"))\">"
                )
            }
            out += "</div>"
        }
        return out + "</section>"
    }

    private func incident(_ incident: Incident, records: [JournalRecord]) -> HTML {
        let name = workspace.channel(incident.channel)?.name ?? incident.channel
        var out: HTML =
            "<section class=\"card incident\"><h3>\(incident.id) — \(name) <span class=\"badge\">\(l10n.incidentStatus(incident.status))</span></h3>"
        out += "<p>\(workspace.summary(of: incident, clock: { LocalTime.clock($0, in: zone) }, l10n: l10n))</p>"
        out += "<p class=\"meta\">\(incident.reason)\(incident.by.map { " (\($0))" } ?? "")</p>"
        let steps = workspace.orderedSteps(of: incident)
        if !steps.isEmpty {
            out += "<h4>\(l10n.text("console.steps"))</h4><ul class=\"steps\">"
            for (key, step) in steps {
                // The class stays the English word (the style sheet's); the text is the reader's.
                let state = step.isUncertain ? "uncertain" : step.outcome?.rawValue ?? "pending"
                let word = step.isUncertain ? l10n.text("status.step.uncertain") : l10n.outcome(step.outcome)
                var line: HTML = "<li class=\"\(state)\"><strong>\(key)</strong> \(word)"
                if let status = step.status { line += " \(status)" }
                if let error = step.error { line += " <code>\(error)</code>" }
                if let note = step.note { line += " <code>\(note)</code>" }
                out += line + "</li>"
            }
            out += "</ul>"
        }
        if canAct {
            out += "<div class=\"actions\">"
            out += form(.approve, target: incident.id, fields: "")
            out += form(.ack, target: incident.id, fields: "")
            out += form(.retry, target: incident.id, fields: "")
            out += "</div>"
        }
        if let timeline = IncidentTimeline(incident: incident.id, records: records, timeZone: zone, l10n: l10n) {
            out += "<details><summary>\(l10n.text("console.timeline"))</summary><ol class=\"timeline\">"
            for entry in timeline.entries {
                out += "<li><time>\(LocalTime.iso8601(entry.time, in: zone))</time> <em>\(entry.kind.rawValue)</em> \(entry.text)</li>"
            }
            out += "</ol></details>"
        }
        return out + "</section>"
    }

    private func form(_ action: ConsoleAction, target: String, fields: HTML) -> HTML {
        let token = forms.token(form: "\(action.rawValue):\(target)")
        return """
            <form method="post" action="/console/action" data-confirm="\(l10n.text("console.confirm"))">\
            <input type="hidden" name="action" value="\(action.rawValue)"><input type="hidden" name="target" value="\(target)">\
            <input type="hidden" name="csrf" value="\(token)">\(fields)<button type="submit">\(l10n.text(ConsoleHandler.labelKey(action)))</button></form>
            """
    }

    static func healthKey(_ state: HealthState, probed: Bool) -> String {
        guard probed else { return "common.health.unknown" }
        switch state {
        case .up, .suspect, .recovering: return "common.health.up"
        case .degraded: return "common.health.degraded"
        case .maintenance: return "common.health.maintenance"
        case .down: return "common.health.down"
        }
    }

    /// A complete console document around `body`, with the console's own style sheet and script.
    static func document(title: String, language: Language, body: HTML) -> String {
        let page: HTML = """
            <!doctype html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title><link rel="stylesheet" href="/console/app.css"><script src="/console/app.js" defer></script></head>
            <body>\(body)</body></html>
            """
        return page.text
    }
}
