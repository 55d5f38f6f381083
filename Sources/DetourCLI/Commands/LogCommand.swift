import DetourCore
import Foundation

/// `detour log`: the journal, one readable line per record.
struct LogCommand: Command {
    static let name = "log"
    static let abstract = "Print the journal readably: health changes, incidents, every step attempt"
    static let json = Flag("json", help: "print the raw JSON lines")
    static let options: [any OptionDeclaration] = [json]

    let json: Bool

    init(_ parsed: ParsedArguments) { json = parsed.flag(Self.json) }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let store = try StateStore(directory: session.stateDirectory)
        let records = try store.records().records
        let printer = TimelinePrinter(console: context.console, workspace: session.workspace)
        for record in records {
            if json {
                context.console.document(try JournalCoding.encode(record) + "\n")
            } else {
                context.console.out(describe(record, printer))
            }
        }
        return .ok
    }

    private func describe(_ record: JournalRecord, _ printer: TimelinePrinter) -> String {
        let time = printer.clock(record.ts)
        switch record.event {
        case .channelHealth(let e):
            return
                "\(time)  \(record.event.type)  \(e.channel) \(e.health.state.rawValue)\(e.change.map { " (\($0))" } ?? "")\(e.evidence.map { " — \($0)" } ?? "")"
        case .incidentOpened(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.channel) \(e.trigger.rawValue)\(e.by.map { " by \($0)" } ?? "")\(e.follows.map { " (follows \($0))" } ?? ""): \(e.reason)"
        case .stepStarted(let e):
            return "\(time)  \(record.event.type)  \(e.incident) \(e.step) attempt \(e.attempt) key \(e.idempotencyKey): \(e.request)"
        case .stepFinished(let e):
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.step) attempt \(e.attempt): \(e.outcome.rawValue)\(e.status.map { " \($0)" } ?? "")\(e.error.map { " — \($0)" } ?? "")\(e.note.map { " — \($0)" } ?? "")"
        case .incidentMitigated(let e), .incidentResolved(let e):
            return "\(time)  \(record.event.type)  \(e.incident)"
        case .channelHeld(let e):
            return
                "\(time)  \(record.event.type)  \(e.channel) by \(e.by)\(e.until.map { " until \(printer.clock($0))" } ?? "")\(e.reason.map { ": \($0)" } ?? "")"
        case .channelReleased(let e):
            return "\(time)  \(record.event.type)  \(e.channel) by \(e.by)"
        case .incidentRecovering(let e):
            let forced = e.forced == true ? " (forced while failing)" : ""
            return
                "\(time)  \(record.event.type)  \(e.incident) \(e.trigger.rawValue)\(e.by.map { " by \($0)" } ?? "")\(forced)\(e.reason.map { ": \($0)" } ?? "")"
        case .incidentApproved(let e):
            return "\(time)  \(record.event.type)  \(e.incident) \(e.automatic ? "automatically" : "by \(e.by ?? "operator")")"
        case .workspaceInvalid(let e):
            return
                "\(time)  \(record.event.type)  \(e.errors) error\(e.errors == 1 ? "" : "s") in \(e.files.joined(separator: ", ")) (\(e.fingerprint)); running on the last good copy"
        case .workspaceValid(let e):
            return "\(time)  \(record.event.type)  errors \(e.fixed) fixed"
        case .monitorOffline(let e), .monitorOnline(let e):
            return "\(time)  \(record.event.type)  \(e.channels.joined(separator: ",")) canaries \(e.canaries)\(e.evidence.map { " — \($0)" } ?? "")"
        case .incidentRelapsed(let e):
            return "\(time)  \(record.event.type)  \(e.incident)"
        case .stepRetried(let e):
            return "\(time)  \(record.event.type)  \(e.incident) \(e.step) by \(e.by)"
        case .incidentPaged(let e):
            return "\(time)  \(record.event.type)  \(e.incident) \(e.step) level \(e.level): \(e.name) (\(e.target)) by \(e.via.joined(separator: ", "))"
        case .incidentAcknowledged(let e):
            return "\(time)  \(record.event.type)  \(e.incident) by \(e.by)"
        }
    }
}
