import DetourCore
import Foundation

/// `detour log`: the journal, one readable line per record.
struct LogCommand: Command {
    static let name = "log"
    static let abstract = "Print the journal readably: health changes, incidents, every step attempt"
    static let json = Flag("json", help: "print the raw JSON lines")
    static let lines = Option.string("lines", short: "n", value: "N", help: "only the last N records (reads only the journal's latest months)")
    static let options: [any OptionDeclaration] = [json, lines]

    let json: Bool
    let last: Int?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        json = parsed.flag(Self.json)
        if let text = try parsed.value(Self.lines) {
            guard let count = Int(text), count > 0, count <= 10_000_000 else {
                throw UsageError(description: "-n \"\(text)\" is not a number of records; write a whole number such as -n 50")
            }
            last = count
        } else {
            last = nil
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let store = try StateStore(directory: session.stateDirectory)
        let records = try last.map { try store.lastRecords($0) } ?? store.records().records
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace, l10n: context.l10n)
        for record in records {
            if json {
                context.console.document(try JournalCoding.encode(record) + "\n")
            } else {
                context.console.out(describe(record, printer, context.l10n))
            }
        }
        return .ok
    }

    // The record types and raw values are the journal's own words; the words between them are the reader's.
    private func describe(_ record: JournalRecord, _ printer: TimelinePrinter, _ l10n: Localizer) -> String {
        let time = printer.clock(record.ts)
        let by = { (name: String) in l10n.text("log.by", ["by": name]) }
        switch record.event {
        case .channelHealth(let e):
            return
                "\(time)  \(record.event.type)  \(e.channel) \(e.health.state.rawValue)\(e.change.map { " (\($0.rawValue))" } ?? "")\(e.evidence.map { " — \($0)" } ?? "")"
        case .incidentOpened(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.channel) \(e.trigger.rawValue)\(e.by.map(by) ?? "")\(e.follows.map { l10n.text("timeline.follows", ["incident": $0]) } ?? ""): \(e.reason)"
        case .stepStarted(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.step) \(l10n.text("log.attempt", ["attempt": "\(e.attempt)"])) key \(e.idempotencyKey): \(e.request)"
        case .stepFinished(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.step) \(l10n.text("log.attempt", ["attempt": "\(e.attempt)"])): \(e.outcome.rawValue)\(e.status.map { " \($0)" } ?? "")\(e.error.map { " — \($0)" } ?? "")\(e.note.map { " — \($0)" } ?? "")"
        case .incidentMitigated(let e), .incidentResolved(let e):
            return "\(time)  \(record.event.type)  \(e.incident)"
        case .channelHeld(let e):
            return
                "\(time)  \(record.event.type)  \(e.channel)\(by(e.by))\(e.until.map { l10n.text("log.until", ["time": printer.clock($0)]) } ?? "")\(e.reason.map { ": \($0)" } ?? "")"
        case .channelReleased(let e):
            return "\(time)  \(record.event.type)  \(e.channel)\(by(e.by))"
        case .incidentRecovering(let e):
            let forced = e.forced == true ? l10n.text("log.forced") : ""
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.trigger.rawValue)\(e.by.map(by) ?? "")\(forced)\(e.reason.map { ": \($0)" } ?? "")"
        case .incidentApproved(let e):
            let how = e.automatic ? l10n.text("log.automatically") : by(e.by ?? l10n.text("timeline.operator"))
            return "\(time)  \(record.event.type)  \(e.incident)\(how)"
        case .workspaceInvalid(let e):
            let errors = e.errors == 1 ? l10n.text("check.count.error") : l10n.text("check.count.errors", ["count": "\(e.errors)"])
            return "\(time)  \(record.event.type)  "
                + l10n.text("log.workspace-invalid", ["errors": errors, "files": e.files.joined(separator: ", "), "fingerprint": e.fingerprint])
        case .workspaceValid(let e):
            return "\(time)  \(record.event.type)  " + l10n.text("log.workspace-valid", ["count": "\(e.fixed)"])
        case .monitorOffline(let e), .monitorOnline(let e):
            return
                "\(time)  \(record.event.type)  \(e.channels.joined(separator: ","))\(l10n.text("log.canaries", ["count": "\(e.canaries)"]))\(e.evidence.map { " — \($0)" } ?? "")"
        case .incidentRelapsed(let e):
            return "\(time)  \(record.event.type)  \(e.incident)"
        case .stepRetried(let e):
            return "\(time)  \(record.event.type)  \(e.incident) \(e.step)\(by(e.by))"
        case .incidentPaged(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.step) \(l10n.text("log.level", ["level": "\(e.level)"])): \(e.name) (\(e.target))\(by(e.via.joined(separator: ", ")))"
        case .incidentAcknowledged(let e):
            return "\(time)  \(record.event.type)  \(e.incident)\(by(e.by))"
        case .channelCheckin(let e):
            return "\(time)  \(record.event.type)  \(e.channel) via \(e.via)"
        }
    }
}
