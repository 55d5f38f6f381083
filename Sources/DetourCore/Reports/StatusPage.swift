import Foundation

/// A component's status in the vocabulary status pages use.
public enum ComponentStatus: String, Sendable, CaseIterable {
    case operational
    case degradedPerformance = "degraded_performance"
    case partialOutage = "partial_outage"
    case majorOutage = "major_outage"
    case underMaintenance = "under_maintenance"

    /// What customers read (Japanese first).
    public var label: String {
        switch self {
        case .operational: "正常 Operational"
        case .degradedPerformance: "一部遅延 Degraded performance"
        case .partialOutage: "一部障害 Partial outage"
        case .majorOutage: "障害発生中 Major outage"
        case .underMaintenance: "メンテナンス中 Under maintenance"
        }
    }
}

/// The public status of every channel: one component each, current incidents, scheduled maintenance.
///
/// Only names, states and times are published: no probe evidence, no URLs of probes, no reasons.
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
    /// When it was made.
    public var now: Date
    private let workspace: Workspace

    /// Builds the page from the state at a time.
    public init(workspace: Workspace, state: DetourState, now: Date, maintenance: [PlannedMaintenance]? = nil) {
        let maintenance = maintenance ?? workspace.plannedMaintenance
        self.workspace = workspace
        self.now = now
        self.maintenance = maintenance.filter { $0.to > now }.sorted { $0.from < $1.from }
        // Scheduled and notice runs are internal; customers see outages only.
        incidents = state.unresolvedIncidents.filter(\.isOutage)
        components = workspace.channels.map { channel in
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
    }

    /// The overall indicator: `none`, `minor`, `major` or `maintenance`, and a sentence.
    public var overall: (indicator: String, description: String) {
        let statuses = Set(components.map(\.status))
        if statuses.contains(.majorOutage) { return ("major", "一部の店舗で障害が発生しています Some storefronts are down") }
        if statuses.contains(.partialOutage) || statuses.contains(.degradedPerformance) {
            return ("minor", "一部の店舗で不具合が発生しています Some storefronts have problems")
        }
        if statuses.contains(.underMaintenance) { return ("maintenance", "メンテナンス中の店舗があります Maintenance in progress") }
        return ("none", "すべての店舗が正常に営業中です All storefronts operational")
    }

    private func iso(_ date: Date?) -> JSONValue {
        date.map { .string(LocalTime.iso8601($0, in: workspace.settings.timeZone)) } ?? .null
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

    private func alternates(of channel: String) -> [Channel] {
        (workspace.channel(channel)?.alternates ?? []).compactMap { workspace.channel($0) }.filter { alternate in
            components.first { $0.id == alternate.id }?.status == .operational
        }
    }

    /// `status.json`: page, status, components, incidents, scheduled_maintenances.
    public func json() -> JSONValue {
        let overall = overall
        let components: [JSONValue] = components.map {
            .object([("id", .string($0.id)), ("name", .string($0.name)), ("status", .string($0.status.rawValue)), ("since", iso($0.since))])
        }
        let incidents: [JSONValue] = incidents.map { incident in
            let name = workspace.channel(incident.channel)?.name ?? incident.channel
            return .object([
                ("id", .string(incident.id)), ("name", .string("\(name)で障害が発生しています")), ("status", .string(incidentStatus(incident))),
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
        return .object([
            ("page", .object([("name", .string("Detour status")), ("updated_at", iso(now)), ("time_zone", .string(workspace.settings.timeZone.identifier))])),
            ("status", .object([("indicator", .string(overall.indicator)), ("description", .string(overall.description))])),
            ("components", .array(components)), ("incidents", .array(incidents)), ("scheduled_maintenances", .array(maintenance)),
        ])
    }

    /// `index.html`: one static page, no scripts, no network; reloads itself every minute.
    public func html() -> String {
        let overall = overall
        let zone = workspace.settings.timeZone
        // Minutes are enough for customers; the zone is named once, in the footer.
        let time = { (date: Date) in String(LocalTime.iso8601(date, in: zone).replacingOccurrences(of: "T", with: " ").prefix(16)) }
        var body: HTML = "<h1>ストア稼働状況 <small>Store status</small></h1>\n"
        body += "<div class=\"banner \(overall.indicator)\">\(overall.description)</div>\n"
        if !incidents.isEmpty {
            body += "<h2>現在の障害 <small>Current incidents</small></h2>\n"
            for incident in incidents {
                let name = workspace.channel(incident.channel)?.name ?? incident.channel
                body +=
                    "<div class=\"incident\"><b>\(name)で障害が発生しています</b> <span>(\(time(incident.outageStart))〜, \(incidentStatus(incident)))</span>"
                let alternates = alternates(of: incident.channel)
                if !alternates.isEmpty {
                    let links = alternates.map { alternate -> HTML in "<a href=\"\(alternate.url)\">\(alternate.name)</a>" }.joined(separator: "、")
                    let names = alternates.map(\.name).joined(separator: ", ")
                    body += "<p>お手数ですが \(links) をご利用ください。<br><small>Please shop at \(names) meanwhile.</small></p>"
                }
                body += "</div>\n"
            }
        }
        body += "<h2>店舗 <small>Components</small></h2>\n<ul class=\"components\">\n"
        for component in components {
            let since: HTML = component.since.map { date -> HTML in " <small>\(time(date))〜</small>" } ?? ""
            body +=
                "<li data-component=\"\(component.id)\" data-status=\"\(component.status.rawValue)\"><span class=\"name\">\(component.name)</span>"
            body += "<span class=\"status \(component.status.rawValue)\">\(component.status.label)\(since)</span></li>\n"
        }
        body += "</ul>\n"
        if !maintenance.isEmpty {
            body += "<h2>メンテナンス予定 <small>Scheduled maintenance</small></h2>\n<ul class=\"maintenance\">\n"
            for window in maintenance {
                let name = workspace.channel(window.channel)?.name ?? window.channel
                body += "<li>\(name): \(time(window.from)) – \(time(window.to)) \(window.note)</li>\n"
            }
            body += "</ul>\n"
        }
        body += "<p class=\"updated\">最終更新 Updated \(time(now)) (\(zone.identifier))</p>\n"
        let page: HTML = """
            <!DOCTYPE html>
            <html lang="ja">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="60">
            <title>ストア稼働状況 Store status</title>
            <style>\(HTML.raw(Self.css))</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
        return page.text
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
        h1{font-size:24px}h1 small,h2 small{color:#6b7280;font-weight:normal;font-size:60%}h2{font-size:18px;margin-top:28px}
        .banner{padding:14px 18px;border-radius:8px;color:#fff;font-weight:bold}.banner.none{background:#16a34a}.banner.minor{background:#d97706}
        .banner.major{background:#dc2626}.banner.maintenance{background:#2563eb}
        .incident{border-left:4px solid #dc2626;padding:8px 12px;margin:8px 0;background:#fef2f2}.incident span{color:#6b7280;font-size:13px}.incident p{margin:6px 0 0}
        ul{list-style:none;padding:0}.components li{display:flex;justify-content:space-between;border-bottom:1px solid #e5e7eb;padding:10px 4px}
        .status.operational{color:#16a34a}.status.degraded_performance{color:#ca8a04}.status.partial_outage{color:#ea580c}
        .status.major_outage{color:#dc2626;font-weight:bold}.status.under_maintenance{color:#2563eb}.status small{color:#6b7280;margin-left:6px}
        .maintenance li{padding:6px 4px}.updated{color:#6b7280;font-size:12px;margin-top:24px}
        """
}
