import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// Paging as machine decisions, transition by transition on a manual clock: level 1 at once, the
/// next level only after `wait` without an acknowledgement, nothing twice, "resolved" at the end.
struct PagingMachineTests {
    static let oncall = """
        {
          people: {
            tanaka: { name: "田中", line: "U1111", phone: "+819011112222" },
            suzuki: { name: "鈴木", line: "U2222", phone: "+819033334444" },
            owner: { name: "店長", phone: "+819055556666" },
          },
          rotations: {
            primary: { members: ["tanaka", "suzuki"], handoff: "mon 10:00", every: "1w", start: "2026-11-30" },
            secondary: { members: ["suzuki", "tanaka"], handoff: "mon 10:00", every: "1w", start: "2026-11-30" },
          },
          escalation: {
            default: [
              { notify: "primary", via: ["line"], wait: "10m" },
              { notify: "secondary", via: ["phone"], wait: "10m" },
              { notify: "owner", via: ["phone"] },
            ],
          },
          send: { line: { token: "env:LINE_TOKEN" }, twilio: { accountSid: "env:TWILIO_SID", authToken: "env:TWILIO_TOKEN", from: "+815012345678" } },
        }
        """

    static func rig() throws -> MachineRig {
        try MachineRig([
            "channels/mall.json5": MachineFixtures.channel("mall"),
            "playbooks/mall-down.json5": #"{ on: { event: "down" }, steps: [{ id: "page", do: "page", escalation: "default" }] }"#,
            "oncall.json5": oncall,
        ])
    }

    func pages(_ rig: MachineRig) -> [String] { rig.sent.filter { $0.key.hasPrefix("mall-down/page/") }.map(\.key) }

    @Test func levelsFollowTheWaitsUntilSomeoneAcknowledges() throws {
        let rig = try Self.rig()
        rig.probe("mall", passes: false, times: 3)
        let incident = try #require(rig.state.openIncident(for: "mall"))
        #expect(pages(rig) == ["mall-down/page/1/line"])
        #expect(incident.pages?.map(\.person) == ["tanaka"])
        #expect(rig.state.incident(incident.id)?.steps["mall-down/page"]?.outcome == .succeeded)
        #expect(rig.machine.next(at: rig.now).wakeAt == rig.now.addingTimeInterval(600), "watch wakes up when the wait runs out")

        rig.advance(599)
        #expect(pages(rig) == ["mall-down/page/1/line"], "not before the wait")
        rig.advance(1)
        #expect(pages(rig) == ["mall-down/page/1/line", "mall-down/page/2/phone"])
        #expect(rig.state.incident(incident.id)?.pages?.map(\.person) == ["tanaka", "suzuki"])

        rig.advance(300)
        rig.apply(try rig.machine.acknowledge(incident: incident.id, by: "鈴木"))
        #expect(rig.state.incident(incident.id)?.timeToAcknowledge == 900, "acknowledged 15 minutes after the incident opened and level 1 was paged")
        rig.advance(3_600)
        #expect(pages(rig) == ["mall-down/page/1/line", "mall-down/page/2/phone"], "acknowledged: the owner is never paged")
        #expect(throws: EngineError.self) { try rig.machine.acknowledge(incident: incident.id, by: "田中") }
    }

    @Test func theLastLevelIsPagedOnceAndEveryonePagedHearsItIsOver() throws {
        let rig = try Self.rig()
        rig.probe("mall", passes: false, times: 3)
        rig.advance(600)
        rig.advance(600)
        rig.advance(7_200)
        #expect(pages(rig) == ["mall-down/page/1/line", "mall-down/page/2/phone", "mall-down/page/3/phone"], "each level once")
        #expect(rig.sent.allSatisfy { $0.attempt == 1 })

        rig.probe("mall", passes: true, times: 2)
        rig.advance(300)
        let id = try #require(rig.state.incidents.first?.id)
        #expect(rig.state.incident(id)?.status == .resolved)
        let resolved = rig.sent.filter { $0.key.contains("/resolved/") }
        #expect(resolved.map(\.key) == ["mall-down/page/resolved/tanaka/line", "mall-down/page/resolved/suzuki/phone", "mall-down/page/resolved/owner/phone"])
        rig.advance(3_600)
        #expect(rig.sent.filter { $0.key.contains("/resolved/") }.count == 3, "told once")
    }

    @Test func aRecoveryBeforeTheWaitStopsTheEscalation() throws {
        let rig = try Self.rig()
        rig.probe("mall", passes: false, times: 3)
        rig.advance(60)
        rig.probe("mall", passes: true, times: 2)
        rig.advance(1_200)
        #expect(pages(rig) == ["mall-down/page/1/line", "mall-down/page/resolved/tanaka/line"])
    }

    @Test func aWayThatFailsIsRetriedUnderItsKeyAndTheNextLevelStillComes() throws {
        let rig = try Self.rig()
        var failures = 0
        rig.answer = { call in
            if call.planned.key == "mall-down/page/1/line", failures < 1 {
                failures += 1
                return StepAttempt(outcome: .retryable, status: 500, error: "LINE answered 500", duration: .milliseconds(5))
            }
            return StepAttempt(outcome: .succeeded, status: 200, error: nil, duration: .milliseconds(5))
        }
        rig.probe("mall", passes: false, times: 3)
        rig.advance(5)
        let line = rig.sent.filter { $0.key == "mall-down/page/1/line" }
        #expect(line.map(\.attempt) == [1, 2])
        #expect(line.last?.outcome == .succeeded)
        rig.advance(600)
        #expect(pages(rig).last == "mall-down/page/2/phone")
    }
}
