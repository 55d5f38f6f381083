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
    static let since = Option.time("since", durations: .back, help: "only outages that end after this time")
    static let until = Option.time("until", durations: .back, help: "only outages that start before this time")
    static let channel = Option.channel(help: "only this channel (repeat or separate with commas for more)")
    static let csv = Flag("csv", help: "print CSV (UTF-8) instead of a table")
    static let bom = Flag("bom", help: "with --csv: start with a UTF-8 byte order mark so Excel shows Japanese correctly")
    static let json = Flag("json", help: "print JSON instead of a table")
    static let html = Option.path("html", value: "FILE", help: "also write a self-contained HTML page with a timeline per channel")
    static let recompute = Flag("recompute", help: "apply today's revenue and sale calendar to past outages (labelled as such)")
    static let kpi = Flag("kpi", help: "KPIs per channel and period: outages, availability, MTTD, MTTA, MTTM, MTTR, money")
    static let by = Option.string("by", value: "PERIOD", help: "with --kpi: month (default) or week")
    static let options: [any OptionDeclaration] = [since, until, channel, csv, bom, json, html, recompute, kpi, by]

    let since: TimeArgument?
    let until: TimeArgument?
    let channels: [ChannelID]
    let csv: Bool
    let bom: Bool
    let json: Bool
    let html: PathArgument?
    let recompute: Bool
    let kpi: Bool
    let by: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        since = try parsed.value(Self.since)
        until = try parsed.value(Self.until)
        channels = try parsed.values(Self.channel).flatMap { $0.id.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(ChannelID.init)
        csv = parsed.flag(Self.csv)
        bom = parsed.flag(Self.bom)
        json = parsed.flag(Self.json)
        html = try parsed.value(Self.html)
        recompute = parsed.flag(Self.recompute)
        kpi = parsed.flag(Self.kpi)
        by = try parsed.value(Self.by)
    }

    func validate() throws(UsageError) {
        if csv && json { throw UsageError(description: "--csv and --json cannot be combined; pick one") }
        if bom && !csv { throw UsageError(description: "--bom only applies to --csv; add --csv") }
        if let by, !kpi { throw UsageError(description: "--by \(by) only applies to --kpi; add --kpi") }
        if let by, KPIReport.Period(rawValue: by) == nil { throw UsageError(description: "--by \"\(by)\" is not a period; write --by month or --by week") }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        let now = try session.clock().now()
        let zone = workspace.settings.timeZone
        let from = try since?.date(now: now, zone: zone)
        let to = try until?.date(now: now, zone: zone)
        if let from, let to, to < from { throw UsageError(description: "--until is before --since; swap them") }
        for id in channels { _ = try id.resolve(in: workspace) }
        let filter = ReportFilter(since: from, until: to, channels: channels.map(\.id))
        // Only the journal's months from --since on are read when there is no snapshot to start from.
        let state = try StateStore(directory: session.stateDirectory).loadState(reportingSince: from)
        let report = LostSaleReport(state: state, workspace: workspace, now: now, filter: filter, recompute: recompute)
        if kpi {
            let kpis = KPIReport(report: report, state: state, period: by.flatMap(KPIReport.Period.init(rawValue:)) ?? .month)
            if let html {
                let path = html.absolute()
                try OutputFile.write(Data(context.console.redactor.mask(KPIReportHTML(report: kpis, timeZone: zone).render()).utf8), to: path)
                context.console.err("wrote \(path)")
            }
            if csv {
                context.console.document(kpis.csv())
            } else if json {
                context.console.document(kpis.json().jsonText + "\n")
            } else {
                context.console.raw(kpis.table(l10n: context.l10n))
            }
            return .ok
        }
        if let html {
            let path = html.absolute()
            try OutputFile.write(Data(context.console.redactor.mask(ReportHTML(report: report).render()).utf8), to: path)
            context.console.err("wrote \(path)")
        }
        if csv {
            // CSV stays plain rows for spreadsheets; the label goes beside it.
            if recompute { context.console.err(context.l10n.text("report.recomputed")) }
            context.console.document(report.csv(byteOrderMark: bom))
        } else if json {
            context.console.document(report.json().jsonText + "\n")
        } else {
            context.console.raw(report.table(l10n: context.l10n))
        }
        return .ok
    }
}
