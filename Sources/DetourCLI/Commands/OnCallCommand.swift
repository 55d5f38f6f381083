import DetourCore
import Foundation

/// `detour oncall`: who is on call now (or at a time), the next handoffs, and the overrides.
struct OnCallCommand: Command {
    static let name = "oncall"
    static let abstract = "Show who is on call now, the next handoffs and the overrides (from oncall.json5)"
    static let at = Option.string("at", value: "TIME", help: "look at another time (2026-12-04T21:00, or a duration ahead such as 3d)")
    static let json = Flag("json", help: "print JSON for scripts")
    static let options: [any OptionDeclaration] = [at, json]

    let at: String?
    let json: Bool

    init(_ parsed: ParsedArguments) throws(UsageError) {
        at = try parsed.value(Self.at)
        json = parsed.flag(Self.json)
    }

    func validate() throws(UsageError) {
        guard let at else { return }
        if DurationText.parse(at) == nil, LocalTime.parse(at, in: .current) == nil {
            throw UsageError(description: "--at \"\(at)\" is not a time; write a local time such as 2026-12-04T21:00, or a duration ahead such as 3d")
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let workspace = session.workspace
        let zone = workspace.settings.timeZone
        guard let schedule = workspace.oncall else {
            context.console.err("error: this workspace has no oncall.json5; add one at the workspace root (see docs/workspace.md, \"On call\")")
            return .invalidWorkspace
        }
        let now = (try? session.clock().now()) ?? Date()
        var time = now
        if let at {
            time = DurationText.parse(at).map { now.addingTimeInterval($0.timeInterval) } ?? LocalTime.parse(at, in: zone) ?? now
        }
        let oncall = OnCall(schedule: schedule)
        let iso = { (date: Date) in LocalTime.iso8601(date, in: zone) }
        let short = { (date: Date) in String(iso(date).prefix(16)).replacingOccurrences(of: "T", with: " ") }
        if json {
            let rotations: [JSONValue] = schedule.rotations.map { rotation in
                let shift = oncall.shift(of: rotation.id, at: time)
                return .object([
                    ("rotation", .string(rotation.id)), ("person", shift.map { .string($0.person.id) } ?? .null),
                    ("name", shift.map { .string($0.person.name) } ?? .null), ("until", shift.map { .string(iso($0.to)) } ?? .null),
                    ("override", shift?.override.map { .string($0.reason) } ?? .null),
                    (
                        "next",
                        .array(
                            oncall.upcoming(of: rotation.id, after: time, count: 3).map { next in
                                .object([("person", .string(next.person.id)), ("name", .string(next.person.name)), ("from", .string(iso(next.from)))])
                            })
                    ),
                ])
            }
            let overrides: [JSONValue] = schedule.overrides.filter { $0.to > time }.map { override in
                .object([
                    ("rotation", .string(override.rotation)), ("person", .string(override.person)), ("from", .string(iso(override.from))),
                    ("to", .string(iso(override.to))), ("reason", .string(override.reason)),
                ])
            }
            context.console.document(
                JSONValue.object([("at", .string(iso(time))), ("rotations", .array(rotations)), ("overrides", .array(overrides))]).jsonText + "\n")
            return .ok
        }
        context.console.out("On call at \(short(time)):")
        var rows = [["rotation", "on call", "until", "then"]]
        for rotation in schedule.rotations {
            guard let shift = oncall.shift(of: rotation.id, at: time) else { continue }
            let next = oncall.upcoming(of: rotation.id, after: time, count: 2).map { "\($0.person.name) (\(short($0.from)))" }
            let cover = shift.override.map { " — override\($0.reason.isEmpty ? "" : ": \($0.reason)")" } ?? ""
            rows.append([rotation.id, "\(shift.person.name) (\(shift.person.id))\(cover)", short(shift.to), next.joined(separator: ", ")])
        }
        context.console.raw(TextTable.render(rows))
        let ahead = schedule.overrides.filter { $0.to > time }
        if !ahead.isEmpty {
            context.console.out("\nOverrides:")
            for override in ahead {
                let name = schedule.person(override.person)?.name ?? override.person
                context.console.out(
                    "  \(override.rotation): \(name) from \(short(override.from)) to \(short(override.to))\(override.reason.isEmpty ? "" : " — \(override.reason)")"
                )
            }
        }
        for name in schedule.escalation.keys.sorted() {
            context.console.out("\nEscalation \"\(name)\":")
            for (index, level) in (schedule.escalation[name] ?? []).enumerated() {
                let person = oncall.person(for: level.notify, at: time)
                let wait = level.wait.map { ", then after \(DurationText.format($0)) without an acknowledgement" } ?? ""
                context.console.out(
                    "  \(index + 1). \(level.notify)\(person.map { " → \($0.name)" } ?? "") by \(level.via.map(\.rawValue).joined(separator: ", "))\(wait)")
            }
        }
        return .ok
    }
}
