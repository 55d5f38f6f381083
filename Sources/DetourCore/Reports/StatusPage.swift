import Foundation

/// A component's status in the vocabulary status pages use.
public enum ComponentStatus: String, Sendable, CaseIterable {
    case operational
    case degradedPerformance = "degraded_performance"
    case partialOutage = "partial_outage"
    case majorOutage = "major_outage"
    case underMaintenance = "under_maintenance"

    /// What customers read (Japanese first), for places that show both languages in one text.
    public var label: String { "\(word(Localizer(.ja))) \(word(.english))" }

    /// The word for the status in a language.
    public func word(_ l10n: Localizer) -> String {
        switch self {
        case .operational: l10n.text("statuspage.status.operational")
        case .degradedPerformance: l10n.text("statuspage.status.degraded")
        case .partialOutage: l10n.text("statuspage.status.partial")
        case .majorOutage: l10n.text("statuspage.status.major")
        case .underMaintenance: l10n.text("statuspage.status.maintenance")
        }
    }
}

/// The public status of every store: one component each, current incidents, scheduled
/// maintenance, and 90 days of history, in Japanese and English.
///
/// Only names, states, times and what customers were already told are published: no probe
/// evidence, no URLs of probes, no reasons. Heartbeat channels (the merchant's own jobs) are not
/// stores and are left out.
public struct StatusPage: Sendable {
    /// One channel as a component.
    public struct Component: Sendable, Equatable {
        /// The channel id.
        public var id: String
        /// The channel's display name.
        public var name: String
        /// Its status.
        public var status: ComponentStatus
        /// Since when, if known.
        public var since: Date?
    }

    /// Components in workspace order.
    public var components: [Component]
    /// Unresolved incidents.
    public var incidents: [Incident]
    /// Maintenance running now or later.
    public var maintenance: [PlannedMaintenance]
    /// Each store's days and the past incidents' public timelines.
    public var history: StatusHistory
    /// When it was made.
    public var now: Date
    private let workspace: Workspace
    /// Display names by channel id: the page names a channel thousands of times over a year of incidents.
    private let names: [String: String]

    /// Builds the page from the state at a time, with `historyDays` days of history (today included).
    public init(workspace: Workspace, state: DetourState, now: Date, maintenance: [PlannedMaintenance]? = nil, historyDays: Int = 90) {
        let maintenance = maintenance ?? workspace.plannedMaintenance
        let stores = workspace.channels.filter { $0.kind != .heartbeat }
        let published = Set(stores.map(\.id))
        self.workspace = workspace
        self.now = now
        names = Dictionary(workspace.channels.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.maintenance = maintenance.filter { $0.to > now && published.contains($0.channel) }.sorted { $0.from < $1.from }
        history = StatusHistory(workspace: workspace, state: state, now: now, days: historyDays)
        // Scheduled and notice runs are internal; customers see outages only.
        incidents = state.unresolvedIncidents.filter { $0.isOutage && published.contains($0.channel) }
        components = stores.map { channel in
            let health = state.channels[channel.id] ?? ChannelHealth()
            let incident = state.openIncident(for: channel.id)
            if let window = maintenance.first(where: { $0.channel == channel.id && $0.from <= now && now < $0.to }) {
                return Component(id: channel.id, name: channel.name, status: .underMaintenance, since: window.from)
            }
            if health.state == .down || incident?.status == .open || incident?.status == .mitigated {
                return Component(id: channel.id, name: channel.name, status: .majorOutage, since: incident?.openedAt ?? health.downAt)
            }
            // A held channel is under planned work: its frozen health says nothing about now.
            if state.hold(on: channel.id, at: now) != nil {
                return Component(id: channel.id, name: channel.name, status: .underMaintenance, since: nil)
            }
            switch health.state {
            case .recovering, .down: return Component(id: channel.id, name: channel.name, status: .partialOutage, since: health.recoveringAt)
            case .suspect: return Component(id: channel.id, name: channel.name, status: .degradedPerformance, since: health.firstFailureAt)
            case .degraded: return Component(id: channel.id, name: channel.name, status: .degradedPerformance, since: health.lastProbeAt)
            case .maintenance: return Component(id: channel.id, name: channel.name, status: .underMaintenance, since: nil)
            case .up: return Component(id: channel.id, name: channel.name, status: .operational, since: nil)
            }
        }
        markToday()
    }

    /// Today's bar shows a slowness going on now, which no incident records.
    private mutating func markToday() {
        for component in components where component.status == .degradedPerformance {
            guard var days = history.bars[component.id], let today = days.indices.last, days[today].status == .operational else { continue }
            days[today].status = .degradedPerformance
            history.bars[component.id] = days
        }
    }

    /// The overall indicator: `none`, `minor`, `major` or `maintenance`.
    public var indicator: String {
        let statuses = Set(components.map(\.status))
        if statuses.contains(.majorOutage) { return "major" }
        if statuses.contains(.partialOutage) || statuses.contains(.degradedPerformance) { return "minor" }
        if statuses.contains(.underMaintenance) { return "maintenance" }
        return "none"
    }

    /// The overall sentence in a language.
    public func overall(_ l10n: Localizer) -> String {
        switch indicator {
        case "major": l10n.text("statuspage.overall.major")
        case "minor": l10n.text("statuspage.overall.minor")
        case "maintenance": l10n.text("statuspage.overall.maintenance")
        default: l10n.text("statuspage.overall.none")
        }
    }

    /// The overall indicator and a sentence in both languages (Japanese first).
    public var overall: (indicator: String, description: String) {
        (indicator, "\(overall(Localizer(.ja))) \(overall(.english))")
    }

    private var zone: TimeZone { workspace.settings.timeZone }

    private func iso(_ date: Date?) -> JSONValue {
        date.map { .string(Self.iso8601($0, in: zone)) } ?? .null
    }

    /// `LocalTime.iso8601` without a `Calendar`: the page formats thousands of times (a year of
    /// incidents), and the journal's own date writer does it in a fraction of the time.
    static func iso8601(_ date: Date, in zone: TimeZone) -> String {
        let seconds = zone.secondsFromGMT(for: date)
        let local = JournalDates.text(Date(timeIntervalSince1970: (date.timeIntervalSince1970).rounded(.down) + Double(seconds)))
        let offset =
            seconds == 0 ? "Z" : String(format: "%@%02d:%02d", seconds < 0 ? "-" : "+", abs(seconds) / 3600, abs(seconds) % 3600 / 60)
        return local.prefix(19) + offset
    }

    private func incidentStatus(_ incident: Incident) -> String {
        // Detour knows which channel is down the moment it opens an incident: "identified" at once.
        switch incident.status {
        case .open: "identified"
        case .mitigated: "identified"
        case .recovering: "monitoring"
        case .resolved: "resolved"
        }
    }

    private func incidentPhase(_ incident: Incident, _ l10n: Localizer) -> String {
        incidentStatus(incident) == "monitoring" ? l10n.text("statuspage.incident.monitoring") : l10n.text("statuspage.incident.identified")
    }

    private func alternates(of channel: String) -> [Channel] {
        (workspace.channel(channel)?.alternates ?? []).compactMap { workspace.channel($0) }.filter { alternate in
            components.first { $0.id == alternate.id }?.status == .operational
        }
    }

    private func name(_ channel: String) -> String { names[channel] ?? channel }

    // MARK: - Words

    /// `2026-12-02 10:20` in the workspace's zone (the zone and its offset are named once, in the footer).
    private func time(_ date: Date) -> String {
        String(Self.iso8601(date, in: zone).replacingOccurrences(of: "T", with: " ").prefix(16))
    }

    /// `+09:00`.
    private var offset: String {
        let seconds = zone.secondsFromGMT(for: now)
        return String(format: "%@%02d:%02d", seconds < 0 ? "-" : "+", abs(seconds) / 3600, abs(seconds) % 3600 / 60)
    }

    /// "LINE, X" or "LINE・X": how customers were reached.
    private func via(_ providers: [String], _ l10n: Localizer) -> String {
        let names = providers.map { provider -> String in
            switch provider {
            case "line": "LINE"
            case "x": "X"
            case "discord": "Discord"
            case "mailchimp", "sendgrid": l10n.text("statuspage.via.email")
            case "twilio": l10n.text("statuspage.via.sms")
            case "statuspage": l10n.text("statuspage.via.statuspage")
            default: provider
            }
        }
        guard let last = names.last, names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: l10n.text("statuspage.via.separator")) + l10n.text("statuspage.via.last") + last
    }

    /// One line of a past incident's timeline, in a language.
    private func sentence(_ entry: StatusHistory.Entry, channel: String, _ l10n: Localizer) -> String {
        switch entry.kind {
        case .began: l10n.text("statuspage.entry.began", ["channel": name(channel)])
        case .toldDown(let providers): l10n.text("statuspage.entry.toldDown", ["via": via(providers, l10n)])
        case .redirected: l10n.text("statuspage.entry.redirected")
        case .recovered: l10n.text("statuspage.entry.recovered", ["channel": name(channel)])
        case .toldRecovered(let providers): l10n.text("statuspage.entry.toldRecovered", ["via": via(providers, l10n)])
        }
    }

    /// What a day's bar says, in a language.
    private func dayText(_ day: StatusHistory.Day, _ l10n: Localizer) -> String {
        switch day.status {
        case .majorOutage, .partialOutage: l10n.text("statuspage.history.down", ["date": day.date, "minutes": String(day.minutesDown)])
        case .underMaintenance: l10n.text("statuspage.history.maintenance", ["date": day.date])
        case .degradedPerformance: l10n.text("statuspage.history.degraded", ["date": day.date])
        case .operational: l10n.text("statuspage.history.ok", ["date": day.date])
        }
    }

    /// The share of the period a store could sell, `99.95`.
    private func uptime(_ days: [StatusHistory.Day]) -> String {
        let minutes = Double(days.count * 1_440)
        let down = Double(days.reduce(0) { $0 + $1.minutesDown })
        return String(format: "%.2f", max(0, 100 * (minutes - down) / minutes))
    }

    // MARK: - status.json

    /// `status.json`: page, status, components, incidents, scheduled_maintenances, history and past_incidents.
    ///
    /// Texts for people are given in `language`, or, when it is nil, as `{ "en": …, "ja": … }`.
    public func json(language: Language? = nil) -> JSONValue {
        func text(_ make: (Localizer) -> String) -> JSONValue {
            if let language { return .string(make(Localizer(language))) }
            return .object([("en", .string(make(.english))), ("ja", .string(make(Localizer(.ja))))])
        }
        let overall = overall
        let components: [JSONValue] = components.map { component in
            .object([
                ("id", .string(component.id)), ("name", .string(component.name)), ("status", .string(component.status.rawValue)),
                ("since", iso(component.since)), ("label", text { component.status.word($0) }),
            ])
        }
        let incidents: [JSONValue] = incidents.map { incident in
            let name = name(incident.channel)
            return .object([
                ("id", .string(incident.id)), ("name", .string("\(name)で障害が発生しています")), ("status", .string(incidentStatus(incident))),
                ("title", text { $0.text("statuspage.incident.title", ["channel": name]) }), ("message", text { incidentPhase(incident, $0) }),
                ("impact", .string(incident.status == .recovering ? "minor" : "major")), ("started_at", iso(incident.outageStart)),
                ("components", .array([.string(incident.channel)])),
                ("needs_attention", .bool(incident.needsAttention)),
                (
                    "alternates",
                    .array(alternates(of: incident.channel).map { .object([("id", .string($0.id)), ("name", .string($0.name)), ("url", .string($0.url))]) })
                ),
            ])
        }
        let maintenance: [JSONValue] = maintenance.map { window in
            .object([
                ("name", .string(window.note)), ("status", .string(window.from <= now ? "in_progress" : "scheduled")),
                ("scheduled_for", iso(window.from)), ("scheduled_until", iso(window.to)), ("components", .array([.string(window.channel)])),
            ])
        }
        let bars: [JSONValue] = self.components.map { component in
            let days = history.bars[component.id] ?? []
            return .object([
                ("component", .string(component.id)), ("uptime_percent", .number(Double(uptime(days)) ?? 100)),
                // Only the days something happened: 200 stores × 90 good days would be a megabyte of "operational".
                (
                    "days",
                    .array(
                        days.filter { $0.status != .operational }.map { day in
                            .object([("date", .string(day.date)), ("status", .string(day.status.rawValue)), ("minutes_down", .number(Double(day.minutesDown)))])
                        })
                ),
            ])
        }
        let past: [JSONValue] = history.incidents.map { incident in
            .object([
                ("id", .string(incident.id)), ("component", .string(incident.channel)),
                ("title", text { $0.text("statuspage.incident.title", ["channel": name(incident.channel)]) }),
                ("started_at", iso(incident.start)), ("resolved_at", iso(incident.end)),
                (
                    "updates",
                    .array(
                        incident.entries.map { entry in .object([("at", iso(entry.at)), ("text", text { sentence(entry, channel: incident.channel, $0) })]) })
                ),
            ])
        }
        var page: [(String, JSONValue)] = [("name", .string("Detour status")), ("updated_at", iso(now)), ("time_zone", .string(zone.identifier))]
        page.append(("utc_offset", .string(offset)))
        if let language { page.append(("language", .string(language.rawValue))) }
        return .object([
            ("page", .object(page)),
            (
                "status",
                .object([("indicator", .string(overall.indicator)), ("description", .string(overall.description)), ("text", text { self.overall($0) })])
            ),
            ("components", .array(components)), ("incidents", .array(incidents)), ("scheduled_maintenances", .array(maintenance)),
            (
                "history",
                .object([
                    ("days", .number(Double(history.days))), ("from", .string(history.firstDate)), ("to", .string(history.lastDate)),
                    ("components", .array(bars)),
                ])
            ), ("past_incidents", .array(past)),
        ])
    }

    // MARK: - index.html

    /// Both languages of a text: the reader's toggle shows one.
    private func both(_ make: (Localizer) -> String) -> HTML {
        "<span class=\"ja\" lang=\"ja\">\(make(Localizer(.ja)))</span><span class=\"en\" lang=\"en\">\(make(.english))</span>"
    }

    /// `index.html`: one static page, no scripts, no network; reloads itself every minute.
    ///
    /// Both languages are in the page; a CSS-only toggle shows one, `language` first.
    public func html(language: Language = .ja) -> String {
        var body: HTML = "<h1>\(both { $0.text("statuspage.title") })</h1>\n"
        body += "<div class=\"banner \(indicator)\">\(both { overall($0) })</div>\n"
        if !incidents.isEmpty {
            body += "<h2>\(both { $0.text("statuspage.current") })</h2>\n"
            for incident in incidents { body += currentIncident(incident) }
        }
        body +=
            "<h2>\(both { $0.text("statuspage.components") }) <small>\(both { $0.text("statuspage.history", ["days": String(history.days)]) })</small></h2>\n"
        body += "<ul class=\"components\">\n"
        for component in components { body += componentRow(component) }
        body += "</ul>\n"
        if !maintenance.isEmpty {
            body += "<h2>\(both { $0.text("statuspage.maintenance") })</h2>\n<ul class=\"maintenance\">\n"
            for window in maintenance {
                body += "<li>\(name(window.channel)): \(time(window.from)) – \(time(window.to)) \(window.note)</li>\n"
            }
            body += "</ul>\n"
        }
        body += "<h2>\(both { $0.text("statuspage.past") })</h2>\n"
        let past = history.incidents.filter { $0.end != nil }
        if past.isEmpty { body += "<p class=\"empty\">\(both { $0.text("statuspage.past.none", ["days": String(history.days)]) })</p>\n" }
        for incident in past { body += pastIncident(incident) }
        body += "<p class=\"updated\">\(both { $0.text("statuspage.updated", ["time": time(now)]) }) · "
        body += "\(both { $0.text("statuspage.timezone", ["zone": zone.identifier, "offset": offset]) })</p>\n"
        let japanese = language == .ja ? " checked" : ""
        let english = language == .en ? " checked" : ""
        let page: HTML = """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="60">
            <title>ストア稼働状況 Store status</title>
            <style>\(HTML.raw(Self.css))</style>
            </head>
            <body>
            <input type="radio" name="lang" id="lang-ja" class="lang"\(HTML.raw(japanese))><input type="radio" name="lang" id="lang-en" class="lang"\(HTML.raw(english))>
            <div class="page">
            <nav class="toggle"><label for="lang-ja" lang="ja">\(Localizer(.ja).text("statuspage.language"))</label><label for="lang-en" lang="en">\(Localizer.english.text("statuspage.language"))</label></nav>
            \(body)</div>
            </body>
            </html>

            """
        return page.text
    }

    private func currentIncident(_ incident: Incident) -> HTML {
        let name = name(incident.channel)
        var html: HTML = "<div class=\"incident\"><b>\(both { $0.text("statuspage.incident.title", ["channel": name]) })</b> "
        html += "<span>(\(both { $0.text("statuspage.incident.since", ["time": time(incident.outageStart)]) }), \(both { incidentPhase(incident, $0) }))</span>"
        let alternates = alternates(of: incident.channel)
        if !alternates.isEmpty {
            let links = alternates.map { alternate -> HTML in "<a href=\"\(alternate.url)\">\(alternate.name)</a>" }
            let ja = links.dropFirst().reduce(links[0]) { $0 + "、" + $1 }
            let en = links.dropFirst().reduce(links[0]) { $0 + ", " + $1 }
            // The links are markup: the sentence around them is escaped, then the placeholder is filled with them.
            let sentence = { (l10n: Localizer, stores: HTML) -> HTML in
                let parts = l10n.text("statuspage.incident.alternates").components(separatedBy: "{stores}")
                return parts.dropFirst().reduce("\(parts[0])" as HTML) { $0 + stores + "\($1)" }
            }
            html +=
                "<p><span class=\"ja\" lang=\"ja\">\(sentence(Localizer(.ja), ja))</span><span class=\"en\" lang=\"en\">\(sentence(.english, en))</span></p>"
        }
        // What customers were told so far, as in the past incidents.
        if let current = history.incidents.first(where: { $0.id == incident.id }), current.entries.count > 1 { html += timeline(current) }
        return html + "</div>\n"
    }

    private func componentRow(_ component: Component) -> HTML {
        let since: HTML = component.since.map { date -> HTML in " <small>\(both { $0.text("statuspage.incident.since", ["time": time(date)]) })</small>" } ?? ""
        var html: HTML = "<li data-component=\"\(component.id)\" data-status=\"\(component.status.rawValue)\"><div class=\"row\">"
        html += "<span class=\"name\">\(component.name)</span>"
        html += "<span class=\"status \(component.status.rawValue)\">\(both { component.status.word($0) })\(since)</span></div>\n"
        let days = history.bars[component.id] ?? []
        html += "<div class=\"bars\">"
        // A good day is a bare green bar: 200 stores × 90 days stay a small page; a day with a problem says what it was.
        for day in days {
            guard day.status != .operational else {
                html += "<i></i>"
                continue
            }
            html += "<i class=\"\(day.status.rawValue)\" data-date=\"\(day.date)\" title=\"\(dayText(day, Localizer(.ja))) / \(dayText(day, .english))\"></i>"
        }
        html += "</div><div class=\"uptime\">\(both { $0.text("statuspage.history.uptime", ["percent": uptime(days)]) })</div></li>\n"
        return html
    }

    private func pastIncident(_ incident: StatusHistory.PastIncident) -> HTML {
        let end: HTML = incident.end.map { "\(time($0))" } ?? both { $0.text("statuspage.past.ongoing") }
        var html: HTML =
            "<div class=\"past\" data-incident=\"\(incident.id)\"><b>\(both { $0.text("statuspage.incident.title", ["channel": name(incident.channel)]) })</b>"
        html += " <span>\(time(incident.start)) – \(end)</span>\n"
        return html + timeline(incident) + "</div>\n"
    }

    private func timeline(_ incident: StatusHistory.PastIncident) -> HTML {
        var html: HTML = "<ol class=\"timeline\">"
        for entry in incident.entries {
            html += "<li><time>\(time(entry.at))</time> \(both { sentence(entry, channel: incident.channel, $0) })</li>"
        }
        return html + "</ol>\n"
    }

    /// Writes `index.html` and `status.json` into a folder, each atomically (or in place for a device or a pipe).
    public func write(to directory: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), !isFolder.boolValue {
            throw JournalError(message: "cannot write the status page to \(directory): it is not a folder; give a folder for index.html and status.json")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(message: "cannot create the status page folder \(directory): \(error.localizedDescription)")
        }
        do {
            try OutputFile.write(Data((json().jsonText + "\n").utf8), to: directory + "/status.json")
            try OutputFile.write(Data(html().utf8), to: directory + "/index.html")
        } catch {
            throw JournalError(message: "cannot write the status page: \(error.description)")
        }
    }

    private static let css = """
        body{font-family:"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",system-ui,sans-serif;max-width:760px;margin:32px auto;padding:0 16px;color:#1f2937}
        .lang{position:absolute;opacity:0;pointer-events:none}#lang-ja:checked~.page .en,#lang-en:checked~.page .ja{display:none}
        .toggle{text-align:right;font-size:13px}.toggle label{cursor:pointer;padding:2px 8px;border:1px solid #d1d5db;border-radius:4px;margin-left:4px}
        #lang-ja:checked~.page label[for=lang-ja],#lang-en:checked~.page label[for=lang-en]{background:#1f2937;color:#fff}
        h1{font-size:24px}h2 small{color:#6b7280;font-weight:normal;font-size:60%}h2{font-size:18px;margin-top:28px}
        .banner{padding:14px 18px;border-radius:8px;color:#fff;font-weight:bold}.banner.none{background:#16a34a}.banner.minor{background:#d97706}
        .banner.major{background:#dc2626}.banner.maintenance{background:#2563eb}
        .incident{border-left:4px solid #dc2626;padding:8px 12px;margin:8px 0;background:#fef2f2}.incident span{color:#6b7280;font-size:13px}.incident p{margin:6px 0 0}
        ul{list-style:none;padding:0}.components li{border-bottom:1px solid #e5e7eb;padding:10px 4px}.row{display:flex;justify-content:space-between}
        .status.operational{color:#16a34a}.status.degraded_performance{color:#ca8a04}.status.partial_outage{color:#ea580c}
        .status.major_outage{color:#dc2626;font-weight:bold}.status.under_maintenance{color:#2563eb}.status small{color:#6b7280;margin-left:6px}
        .bars{display:flex;gap:1px;margin-top:6px;height:24px}.bars i{flex:1;border-radius:1px;background:#16a34a}
        .bars i.degraded_performance{background:#ca8a04}.bars i.partial_outage{background:#ea580c}.bars i.major_outage{background:#dc2626}
        .bars i.under_maintenance{background:#2563eb}.uptime{color:#6b7280;font-size:12px;text-align:right}
        .past{border-left:4px solid #9ca3af;padding:8px 12px;margin:8px 0}.past span{color:#6b7280;font-size:13px}
        .timeline{margin:6px 0 0;padding-left:18px;font-size:14px}.timeline time{color:#6b7280;margin-right:6px}
        .maintenance li{padding:6px 4px}.updated,.empty{color:#6b7280;font-size:12px;margin-top:24px}
        """
}
