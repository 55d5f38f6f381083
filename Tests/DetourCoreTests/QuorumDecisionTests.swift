import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// The quorum decision: which nodes' verdicts count, and when a channel fails.
struct QuorumDecisionTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    let live: Set<String> = ["a", "b", "c"]

    func seen(_ node: String, passed: Bool, ago seconds: Double = 1, transport: Bool = false) -> Observation {
        Observation(
            node: node, channel: "mall", at: now.addingTimeInterval(-seconds), passed: passed, failure: passed ? nil : (transport ? .connect : .http),
            transport: transport, reason: passed ? nil : "503", status: passed || transport ? nil : 503)
    }

    @Test func twoOfThreeFailingIsAFailureUnderMajority() {
        let rule = QuorumDecision(quorum: .majority, freshness: .seconds(30))
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false), seen("b", passed: false), seen("c", passed: true)], live: live, offline: [], at: now)
        #expect(outcome.failing)
        #expect(outcome.failedOn == ["a", "b"])
        #expect(outcome.passedOn == ["c"])
        #expect(outcome.needed == 2)
    }

    @Test func oneBrokenRouteIsOutvoted() {
        let rule = QuorumDecision(quorum: .majority, freshness: .seconds(30))
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false, transport: true), seen("b", passed: true), seen("c", passed: true)], live: live,
            offline: [], at: now)
        #expect(!outcome.failing)
        #expect(outcome.summary == "1 of 3 nodes saw it fail (needed 2)")
    }

    @Test func aStaleVerdictIsLeftOutAndDoesNotCount() {
        let rule = QuorumDecision(quorum: .majority, freshness: .seconds(10))
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false), seen("b", passed: false, ago: 60), seen("c", passed: true)], live: live, offline: [],
            at: now)
        #expect(!outcome.failing)
        #expect(outcome.leftOut == ["b"])
    }

    @Test func anOfflineNodeIsLeftOutAndTheMajorityIsOfTheOthers() {
        let rule = QuorumDecision(quorum: .majority, freshness: .seconds(30))
        // c's whole network is down: of a and b, both must agree.
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false), seen("b", passed: false), seen("c", passed: false, transport: true)], live: live,
            offline: ["c"], at: now)
        #expect(outcome.failing)
        #expect(outcome.needed == 2)
        #expect(outcome.leftOut == ["c"])
        let split = rule.decide(
            channel: "mall", observations: [seen("a", passed: false), seen("b", passed: true), seen("c", passed: false, transport: true)], live: live,
            offline: ["c"], at: now)
        #expect(!split.failing)
    }

    @Test func aNodeWhoseLeaseEndedDoesNotVote() {
        let rule = QuorumDecision(quorum: .count(2), freshness: .seconds(30))
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false), seen("gone", passed: false)], live: ["a", "b"], offline: [], at: now)
        #expect(!outcome.failing)
        #expect(outcome.failedOn == ["a"])
    }

    @Test func onlyTheNewestVerdictOfANodeCounts() {
        let rule = QuorumDecision(quorum: .count(1), freshness: .seconds(30))
        let outcome = rule.decide(
            channel: "mall", observations: [seen("a", passed: false, ago: 5), seen("a", passed: true, ago: 1)], live: ["a"], offline: [], at: now)
        #expect(!outcome.failing)
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)])
    func majorityIsMoreThanHalfOfTheLiveNodes(live: Int, needed: Int) {
        #expect(ClusterQuorum.majority.needed(live: live) == needed)
        #expect(ClusterQuorum.count(2).needed(live: live) == 2)
    }

    @Test func theClusterSettingIsReadWithDefaults() throws {
        let workspace = try TemporaryWorkspace()
        try workspace.write("detour.json5", #"{ cluster: { etcd: { endpoints: ["http://127.0.0.1:2379/"] }, prefix: "/detour/shop/", node: "tokyo-a" } }"#)
        try workspace.write("channels/shop.json5", #"{ name: "ショップ", kind: "own-site", url: "http://127.0.0.1:9/", probes: [{ url: "http://127.0.0.1:9/" }] }"#)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let cluster = try #require(load.workspace?.settings.cluster)
        #expect(cluster.endpoints == ["http://127.0.0.1:2379"])
        #expect(cluster.prefix == "/detour/shop")
        #expect(cluster.node == "tokyo-a")
        #expect(cluster.leaseTTL == .seconds(10))
        #expect(cluster.quorum == .majority)
        #expect(cluster.compactAfter == 1000)
    }

    @Test(arguments: [
        (#"{ cluster: { prefix: "/d" } }"#, "1:12", #"cluster is missing "etcd""#),
        (#"{ cluster: { etcd: { endpoints: ["10.0.0.5:2379"] } } }"#, "1:34", "is not an etcd client URL"),
        (#"{ cluster: { etcd: { endpoints: ["http://a:1"], password: "hunter2" } } }"#, "1:59", "must be a reference, never the secret itself"),
        (#"{ cluster: { etcd: { endpoints: ["http://a:1"] }, quorum: "most" } }"#, "1:59", #"a number of nodes (like 2) or "majority""#),
        (#"{ cluster: { etcd: { endpoints: ["http://a:1"] }, leaseTTL: "1s" } }"#, "1:61", "at least 2s"),
        (#"{ cluster: { etcd: { endpoints: ["http://a:1"] }, compactAfter: 3 } }"#, "1:65", "whole number of at least 10"),
        (#"{ cluster: { etcd: { endpoints: ["http://a:1"] }, prefx: "/d" } }"#, "1:51", #"did you mean "prefix"?"#),
    ])
    func aWrongClusterSettingIsReportedWithItsPlace(text: String, place: String, fragment: String) throws {
        let workspace = try TemporaryWorkspace()
        try workspace.write("detour.json5", text)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let errors = load.diagnostics.filter { $0.severity == .error }.map(\.description)
        #expect(errors.contains { $0.contains("detour.json5:\(place)") && $0.contains(fragment) }, "\(errors)")
        #expect(!errors.joined().contains("hunter2"))
    }
}
