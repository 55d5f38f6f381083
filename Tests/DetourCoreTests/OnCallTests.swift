import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// Who is on call, and when escalation moves on: pure, with the time passed in.
struct OnCallTests {
    static let channel = #"{ name: "店", kind: "own-site", url: "http://127.0.0.1:9/", probes: [{ url: "http://127.0.0.1:9/" }] }"#

    static let oncall = """
        {
          people: {
            tanaka: { name: "田中", line: "U1", phone: "+819011112222" },
            suzuki: { name: "鈴木", line: "U2", phone: "+819033334444" },
            owner: { name: "店長", line: "U3", phone: "+819055556666" },
          },
          rotations: {
            primary: { members: ["tanaka", "suzuki"], handoff: "mon 10:00", every: "1w", start: "2026-11-23" },
            daily: { members: ["tanaka", "suzuki", "owner"], handoff: "09:00", every: "1d", start: "2026-11-30" },
          },
          overrides: [{ rotation: "primary", person: "owner", from: "2026-12-04T18:00", to: "2026-12-05T02:00", reason: "スーパーSALE初日" }],
          escalation: { default: [{ notify: "primary", via: ["line"], wait: "10m" }, { notify: "owner", via: ["phone"] }] },
          send: { line: { token: "env:LINE_TOKEN" }, twilio: { accountSid: "env:SID", authToken: "env:TOKEN", from: "+815012345678" } },
        }
        """

    func schedule(timezone: String = "Asia/Tokyo", oncall: String = OnCallTests.oncall) throws -> (OnCallSchedule, TemporaryWorkspace) {
        let (workspace, folder) = try loadWorkspace([
            "detour.json5": "{ timezone: \"\(timezone)\" }", "channels/shop.json5": Self.channel, "oncall.json5": oncall,
        ])
        return (try #require(workspace.oncall), folder)
    }

    func at(_ text: String, _ zone: String = "Asia/Tokyo") -> Date { LocalTime.parse(text, in: TimeZone(identifier: zone)!)! }

    @Test(arguments: [
        ("2026-11-23T09:59", "suzuki"),  // before the first handoff: the shift before it
        ("2026-11-23T10:00", "tanaka"),  // the first handoff
        ("2026-11-30T09:59", "tanaka"),
        ("2026-11-30T10:00", "suzuki"),  // one week later
        ("2026-12-07T10:00", "tanaka"),
        ("2026-12-04T17:59", "suzuki"),
        ("2026-12-04T18:00", "owner"),  // the override
        ("2026-12-05T01:59", "owner"),
        ("2026-12-05T02:00", "suzuki"),  // back to the rotation
    ])
    func theWeeklyRotationHandsOffOnMondaysAndOverridesWin(time: String, expected: String) throws {
        let (schedule, _) = try schedule()
        #expect(OnCall(schedule: schedule).shift(of: "primary", at: at(time))?.person.id == expected)
    }

    @Test func theOverrideSaysWhyAndTheShiftBeforeItEndsWhereItStarts() throws {
        let (schedule, _) = try schedule()
        let oncall = OnCall(schedule: schedule)
        let covered = try #require(oncall.shift(of: "primary", at: at("2026-12-04T20:00")))
        #expect(covered.override?.reason == "スーパーSALE初日")
        #expect(covered.to == at("2026-12-05T02:00"))
        #expect(oncall.shift(of: "primary", at: at("2026-12-04T12:00"))?.to == at("2026-12-04T18:00"))
        let next = oncall.upcoming(of: "primary", after: at("2026-12-04T12:00"), count: 3)
        #expect(next.map(\.person.id) == ["owner", "suzuki", "tanaka"])
        #expect(next.map(\.from) == [at("2026-12-04T18:00"), at("2026-12-05T02:00"), at("2026-12-07T10:00")])
    }

    @Test func aDailyRotationCyclesThroughItsMembers() throws {
        let (schedule, _) = try schedule()
        let oncall = OnCall(schedule: schedule)
        #expect(oncall.shift(of: "daily", at: at("2026-11-30T09:00"))?.person.id == "tanaka")
        #expect(oncall.shift(of: "daily", at: at("2026-12-01T08:59"))?.person.id == "tanaka")
        #expect(oncall.shift(of: "daily", at: at("2026-12-01T09:00"))?.person.id == "suzuki")
        #expect(oncall.shift(of: "daily", at: at("2026-12-02T09:00"))?.person.id == "owner")
        #expect(oncall.shift(of: "daily", at: at("2026-12-03T09:00"))?.person.id == "tanaka")
    }

    @Test func handoffsAreLocalTimesOfTheWorkspaceEvenAcrossAClockChange() throws {
        // New York leaves daylight saving time on 2026-11-01: the 09:00 handoff stays at 09:00 local.
        let text = Self.oncall.replacingOccurrences(of: #"start: "2026-11-30""#, with: #"start: "2026-10-30""#)
        let (schedule, _) = try schedule(timezone: "America/New_York", oncall: text)
        let oncall = OnCall(schedule: schedule)
        let zone = "America/New_York"
        #expect(oncall.shift(of: "daily", at: at("2026-10-31T09:00", zone))?.from == at("2026-10-31T09:00", zone))
        #expect(oncall.shift(of: "daily", at: at("2026-11-02T09:00", zone))?.from == at("2026-11-02T09:00", zone))
        #expect(oncall.shift(of: "daily", at: at("2026-11-02T08:59", zone))?.from == at("2026-11-01T09:00", zone))
        // The same instant in Tokyo is another shift: the schedule follows the workspace's zone.
        #expect(oncall.shift(of: "primary", at: at("2026-11-30T10:00", zone))?.from == at("2026-11-30T10:00", zone))
    }

    @Test func escalationMovesOnOnlyAfterTheWaitAndStopsWhenAcknowledgedOrOver() throws {
        let (schedule, _) = try schedule()
        let escalation = Escalation(levels: try #require(schedule.escalation["default"]))
        let start = at("2026-11-27T03:00")
        #expect(escalation.next(paged: [], acknowledged: false, over: false, at: start) == .page(level: 0))
        #expect(
            escalation.next(paged: [start], acknowledged: false, over: false, at: start.addingTimeInterval(599)) == .wait(until: start.addingTimeInterval(600)))
        #expect(escalation.next(paged: [start], acknowledged: false, over: false, at: start.addingTimeInterval(600)) == .page(level: 1))
        #expect(escalation.next(paged: [start], acknowledged: true, over: false, at: start.addingTimeInterval(900)) == .done)
        #expect(escalation.next(paged: [start], acknowledged: false, over: true, at: start.addingTimeInterval(900)) == .done)
        // The last level has no wait: nothing after it.
        #expect(escalation.next(paged: [start, start.addingTimeInterval(600)], acknowledged: false, over: false, at: start.addingTimeInterval(7_200)) == .done)
    }

    @Test(arguments: [
        (
            #"suzuki: { name: "鈴木", line: "U2", phone: "+819033334444" },"#, #"suzuki: { name: "鈴木", line: "U2", phone: "090-3333-4444" },"#,
            "oncall.json5:4:46", "not in E.164"
        ),
        (
            #"members: ["tanaka", "suzuki"], handoff: "mon 10:00""#, #"members: ["tanaka", "suzki"], handoff: "mon 10:00""#, "oncall.json5:8:36",
            #"did you mean "suzuki"?"#
        ),
        (#"members: ["tanaka", "suzuki", "owner"]"#, "members: []", "oncall.json5:9:23", #"rotation "daily" has no members"#),
        (
            #"to: "2026-12-05T02:00", reason"#,
            #"to: "2026-12-05T02:00", reason: "x" }, { rotation: "primary", person: "tanaka", from: "2026-12-05T01:00", to: "2026-12-05T03:00", reason"#,
            "oncall.json5:11:120", "overlaps another override"
        ),
        (#"via: ["line"], wait: "10m""#, #"via: ["line", "slack"], wait: "10m""#, "oncall.json5:12:62", "paging by slack needs send"),
        (#"{ notify: "owner""#, #"{ notify: "ownr""#, "oncall.json5:12:88", #"did you mean "owner"?"#),
    ])
    func checkSaysWhereTheOnCallFileIsWrong(old: String, new: String, location: String, fragment: String) throws {
        let folder = try TemporaryWorkspace()
        try folder.write("channels/shop.json5", Self.channel)
        #expect(Self.oncall.contains(old))
        try folder.write("oncall.json5", Self.oncall.replacingOccurrences(of: old, with: new))
        let load = WorkspaceLoader(root: folder.root, environment: [:]).load()
        let errors = load.diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(errors.contains { $0.hasPrefix(location) && $0.contains(fragment) }, "\(errors)")
    }

    @Test func aPageStepNeedsAnEscalationTheFileHas() throws {
        let folder = try TemporaryWorkspace()
        try folder.write("channels/shop.json5", Self.channel)
        try folder.write("oncall.json5", Self.oncall)
        try folder.write("playbooks/p.json5", #"{ on: { event: "down" }, steps: [{ id: "page", do: "page", escalation: "defualt" }] }"#)
        let errors = WorkspaceLoader(root: folder.root, environment: [:]).load().diagnostics.map(\.description)
        #expect(
            errors.contains { $0.hasPrefix("playbooks/p.json5:1:72") && $0.contains(#"unknown escalation "defualt"; did you mean "default"?"#) }, "\(errors)")
    }
}
