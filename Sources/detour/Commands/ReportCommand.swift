import DetourCore
import Foundation

/// `detour report`: lost-sale windows and money at risk.
struct ReportCommand: Command {
    static let name = "report"
    static let abstract = "Lost-sale windows: when each outage ran, for how long, and the money at risk"
    static let discussion = """
        Money at risk = revenue per hour (with the channel's byHour / byWeekday factors) × hours ×
        the sale multiplier from calendar.sales, split at the moment failover was complete. Each
        outage keeps the revenue per hour and sale multiplier in force when it opened (journaled
        then), so later changes to revenue or the calendar leave past outages as they were;
        --recompute applies today's settings instead, and the report says so.
        Times are ISO-8601 (2026-11-27T10:00+09:00), a date (2026-11-01, in the workspace's zone),
        or a duration back from now (7d, 12h). Windows that overlap the period are counted in full.
        """
    static let options = [
        OptionSpec(name: "since", short: nil, value: "TIME", help: "only outages that end after this time"),
        OptionSpec(name: "until", short: nil, value: "TIME", help: "only outages that start before this time"),
        OptionSpec(name: "channel", short: "c", value: "ID", help: "only this channel (repeat or separate with commas for more)"),
        OptionSpec(name: "csv", short: nil, value: nil, help: "print CSV (UTF-8) instead of a table"),
        OptionSpec(name: "bom", short: nil, value: nil, help: "with --csv: start with a UTF-8 byte order mark so Excel shows Japanese correctly"),
        OptionSpec(name: "json", short: nil, value: nil, help: "print JSON instead of a table"),
        OptionSpec(name: "html", short: nil, value: "FILE", help: "also write a self-contained HTML page with a timeline per channel"),
        OptionSpec(name: "recompute", short: nil, value: nil, help: "apply today's revenue and sale calendar to past outages (labelled as such)"),
    ]

    let since: String?
    let until: String?
    let channels: [String]
    let csv: Bool
    let bom: Bool
    let json: Bool
    let html: String?
    let recompute: Bool

    init(_ parsed: ParsedArguments) throws {
        since = parsed.value("since")
        until = parsed.value("until")
        channels = (parsed.values["channel"] ?? []).flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter {
            !$0.isEmpty
        }
        csv = parsed.flag("csv")
        bom = parsed.flag("bom")
        json = parsed.flag("json")
        html = parsed.value("html")
        recompute = parsed.flag("recompute")
    }

    func validate() throws {
        if csv && json { throw UsageError(description: "--csv and --json cannot be combined; pick one") }
        if bom && !csv { throw UsageError(description: "--bom only applies to --csv; add --csv") }
        for (name, text) in [("since", since), ("until", until)] {
            guard let text else { continue }
            if text.isEmpty { throw UsageError(description: "--\(name) needs a time such as 2026-11-01 or 7d") }
            // The workspace's zone is not known yet; the form and range of the text are.
            _ = try Self.time(text, option: name, now: Date(), zone: .gmt)
        }
    }

    func run(_ context: CommandContext) async -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        do {
            let now = try session.clock().now()
            let zone = workspace.settings.timeZone
            let from = try since.map { try Self.time($0, option: "since", now: now, zone: zone) }
            let to = try until.map { try Self.time($0, option: "until", now: now, zone: zone) }
            if let from, let to, to < from {
                context.console.err("error: --until is before --since; swap them")
                return .usage
            }
            for id in channels where workspace.channel(id) == nil {
                context.console.err("error: \(workspace.unknownChannelMessage(id))")
                return .usage
            }
            let filter = ReportFilter(since: from, until: to, channels: channels)
            // Only the journal's months from --since on are read when there is no snapshot to start from.
            let state = try StateStore(directory: session.stateDirectory).loadState(reportingSince: from)
            let report = LostSaleReport(state: state, workspace: workspace, now: now, filter: filter, recompute: recompute)
            if let html {
                let path = html.hasPrefix("/") ? html : FileManager.default.currentDirectoryPath + "/" + html
                try OutputFile.write(Data(context.console.redactor.mask(ReportHTML(report: report).render()).utf8), to: path)
                context.console.err("wrote \(path)")
            }
            if csv {
                // CSV stays plain rows for spreadsheets; the label goes beside it.
                if recompute { context.console.err(LostSaleReport.recomputedLabel) }
                context.console.document(report.csv(byteOrderMark: bom))
            } else if json {
                context.console.document(report.json().jsonText + "\n")
            } else {
                context.console.raw(report.table())
            }
            return .ok
        } catch let error as UsageError {
            context.console.err("error: \(error.description)")
            return .usage
        } catch {
            context.console.err("error: \(error.message)")
            return .failure
        }
    }

    /// An ISO time, a date in the workspace's zone, or a duration back from now.
    static func time(_ text: String, option: String, now: Date, zone: TimeZone) throws -> Date {
        if let date = LocalTime.parse(text, in: zone) { return date }
        if let duration = DurationText.parse(text), duration > .zero {
            guard duration <= DurationText.longest else { throw UsageError(description: "--\(option) \(DurationText.tooLong(text)), or a date") }
            return now.addingTimeInterval(-duration.timeInterval)
        }
        throw UsageError(
            description:
                "--\(option) \"\(text)\" is not a time; write 2026-11-27T10:00+09:00, a date such as 2026-11-01, or a duration back from now such as 7d")
    }
}
