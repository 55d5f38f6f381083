import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// Which steps an incident runs, in which groups, and the order undo steps reverse them in.
struct IncidentPlanTests {
    let workspace: Workspace

    init() throws {
        let files = try TemporaryWorkspace()
        try files.write(
            "channels/mall.json5",
            #"{ name: "モール", kind: "mall", url: "https://mall.example/", probes: [{ name: "item", url: "https://mall.example/item" }] }"#)
        func http(_ id: String, parallel: String? = nil, undo: Bool = false) -> String {
            let group = parallel.map { #", parallel: "\#($0)""# } ?? ""
            let reverse = undo ? #", undo: { request: { method: "POST", url: "https://shop.example/\#(id)", json: { on: false } } }"# : ""
            return #"{ id: "\#(id)", do: "http", request: { method: "POST", url: "https://shop.example/\#(id)", json: { on: true } }\#(group)\#(reverse) }"#
        }
        // Playbooks run in id order; a `parallel` group never reaches across playbooks.
        try files.write(
            "playbooks/b-down.json5",
            """
            { on: { event: "down", channels: ["mall"] },
              steps: [\(http("promo", undo: true)), \(http("line", parallel: "notify")), \(http("x", parallel: "notify")),
                      \(http("banner", undo: true)), \(http("slack", parallel: "notify"))],
              recovery: [\(http("thanks"))] }
            """)
        try files.write(
            "playbooks/a-down.json5",
            """
            { on: { event: "down", channels: "*" }, steps: [\(http("pager", parallel: "notify")), \(http("coupon", undo: true))] }
            """)
        try files.write("playbooks/c-up.json5", #"{ on: { event: "up", channels: ["mall"] }, steps: [\#(http("back"))] }"#)
        let load = WorkspaceLoader(root: files.root, environment: [:]).load()
        workspace = try #require(load.workspace, "\(load.diagnostics)")
    }

    func incident(succeeded: [String], uncertain: [String] = [], failed: [String] = []) -> Incident {
        var incident = Incident(id: "mall-1", channel: "mall", trigger: .probe, reason: "down", openedAt: Date(timeIntervalSince1970: 0))
        for key in succeeded + uncertain + failed {
            var record = StepRecord(phase: .failover, idempotencyKey: key)
            record.attemptsStarted = 1
            record.attemptsFinished = uncertain.contains(key) ? 0 : 1
            record.outcome = succeeded.contains(key) ? .succeeded : failed.contains(key) ? .failed : nil
            incident.steps[key] = record
        }
        return incident
    }

    @Test func failoverRunsEachDownPlaybookInIdOrderAndRecoveryAfter() {
        let plan = IncidentPlan(workspace: workspace, channel: "mall")
        #expect(
            plan.failover.map(\.key) == [
                "a-down/pager", "a-down/coupon", "b-down/promo", "b-down/line", "b-down/x", "b-down/banner", "b-down/slack",
            ])
        #expect(plan.recovery.map(\.key) == ["b-down/thanks/recovery", "c-up/back/recovery"])
        #expect(plan.failoverByPlaybook.map { $0.map(\.playbook.id) } == [["a-down", "a-down"], Array(repeating: "b-down", count: 5)])
    }

    @Test func consecutiveStepsOfOneParallelGroupGoTogetherAndOnlyThose() {
        let plan = IncidentPlan(workspace: workspace, channel: "mall")
        let groups = IncidentPlan.groups(plan.failover).map { $0.map(\.key) }
        #expect(
            groups == [
                // Same group name, another playbook: not joined to b-down's.
                ["a-down/pager"], ["a-down/coupon"], ["b-down/promo"], ["b-down/line", "b-down/x"], ["b-down/banner"],
                // Same group again after another step: a new run, not the earlier one.
                ["b-down/slack"],
            ])
    }

    @Test func undoReversesOnlyWhatRanOrMayHaveRunLastFirst() {
        let plan = IncidentPlan(workspace: workspace, channel: "mall")
        let all = plan.undo(after: incident(succeeded: ["a-down/coupon", "b-down/promo", "b-down/banner"]))
        #expect(all.map(\.key) == ["b-down/banner/undo", "b-down/promo/undo", "a-down/coupon/undo"])
        #expect(all.map(\.reverses) == ["b-down/banner", "b-down/promo", "a-down/coupon"])
        #expect(all.allSatisfy { $0.phase == .undo && $0.step.parallel == nil })
        // A step whose answer never came may have taken effect: it is undone too. A failed one is not.
        let partial = plan.undo(after: incident(succeeded: ["b-down/promo"], uncertain: ["a-down/coupon"], failed: ["b-down/banner"]))
        #expect(partial.map(\.key) == ["b-down/promo/undo", "a-down/coupon/undo"])
        #expect(plan.undo(after: incident(succeeded: [])).isEmpty)
    }

    @Test func orderedKeysAreFailoverThenUndoThenRecovery() {
        let plan = IncidentPlan(workspace: workspace, channel: "mall")
        let keys = plan.orderedKeys(for: incident(succeeded: ["a-down/coupon", "b-down/promo"]))
        #expect(
            keys == [
                "a-down/pager", "a-down/coupon", "b-down/promo", "b-down/line", "b-down/x", "b-down/banner", "b-down/slack",
                "b-down/promo/undo", "a-down/coupon/undo", "b-down/thanks/recovery", "c-up/back/recovery",
            ])
    }

    @Test func aScheduledRunIsItsOnePlaybookWithNothingAfter() {
        var scheduled = incident(succeeded: [])
        scheduled.playbook = "a-down"
        let plan = IncidentPlan(workspace: workspace, incident: scheduled)
        #expect(plan.failover.map(\.key) == ["a-down/pager", "a-down/coupon"])
        #expect(plan.recovery.isEmpty)
    }
}
