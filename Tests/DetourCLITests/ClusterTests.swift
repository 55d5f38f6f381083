import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Three `detour watch` nodes on a real three-member etcd cluster: one decision, one actor, nothing lost or sent twice.
@Suite(.serialized, .enabled(if: EtcdCluster.binary != nil, "etcd is not installed: install etcd-server (.ci/setup does) to run the cluster tests"))
struct ClusterTests {
    /// The provider paths of the failover, each of which must be reached under one idempotency key.
    static let stepPaths = ["/promo", "/line"]

    /// Every failover step reached its provider under one key; LINE delivered once; X posted at most once.
    func expectEachStepOnce(_ sandbox: SandboxServer, since: Date = .distantPast, _ note: String = "") {
        let recent = { (path: String) in sandbox.requests(path: path).filter { $0.receivedAt >= since } }
        for path in Self.stepPaths {
            let requests = recent(path).filter { !$0.body.contains("false") }
            let keys = Set(requests.compactMap { $0.headers["idempotency-key"] })
            #expect(!requests.isEmpty, "\(note): \(path) never ran")
            #expect(keys.count == 1, "\(note): \(path) sent under \(keys.count) keys: \(keys)")
        }
        let line = recent("/v2/bot/message/broadcast")
        #expect(line.filter { $0.answeredStatus == 200 }.count == 1, "\(note): LINE answers \(line.map(\.answeredStatus))")
        #expect(Set(line.compactMap { $0.headers["x-line-retry-key"] }).count == 1, "\(note)")
        #expect(recent("/2/tweets").filter { $0.answeredStatus == 201 }.count <= 1, "\(note): X posted more than once")
    }

    /// Waits until some running node's journal holds `count` records of `type`.
    func waitForJournal(_ rig: ClusterRig, _ type: String, count: Int, within limit: Duration = .seconds(30)) async throws -> Bool {
        try await eventually(within: limit) {
            (0..<rig.names.count).contains { rig.node($0)?.process.isRunning == true && rig.journaled(type, on: $0) >= count }
        }
    }

    @Test func aRealOutageSeenByThreeNodesOpensOneIncidentAndEveryNoticeGoesOutOnce() async throws {
        let rig = try await ClusterRig()
        try rig.startAll()
        let leader = try #require(await rig.waitForLeader())
        rig.sandbox.setMode(.down, for: "mall")
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        rig.sandbox.setMode(.healthy, for: "mall")
        #expect(try await waitForJournal(rig, "incident.resolved", count: 1))
        // Every node mirrors the shared journal, so each can report locally.
        #expect(try await eventually { (0..<3).allSatisfy { rig.journaled("incident.resolved", on: $0) == 1 } })
        for index in 0..<3 { #expect(rig.journaled("incident.opened", on: index) == 1, "\(rig.names[index])") }
        expectEachStepOnce(rig.sandbox, "one outage")
        #expect(rig.sandbox.requests(path: "/line-back").count == 1)
        #expect(rig.sandbox.requests(path: "/promo").filter { $0.body.contains("false") }.count == 1)
        let follower = (leader + 1) % 3
        let report = try DetourBinary.run(["report", "--csv"], in: rig.workspaces[follower].root).stdout
        #expect(report.split(separator: "\r\n").count == 2, "a follower reports the one outage: \(report)")
        let status = try DetourBinary.run(["status"], in: rig.workspaces[follower].root).stdout
        #expect(status.contains("cluster: this node (\(rig.names[follower])) follows \(rig.names[leader])"), "\(status)")
    }

    @Test func oneNodesBrokenRouteOpensNoIncidentAndStatusShowsTheDissent() async throws {
        let rig = try await ClusterRig(blackHoled: [2])
        try rig.startAll()
        _ = try #require(await rig.waitForLeader())
        // Wait until the black-holed node has voted "failed" and the others "up", then give the leader
        // more than failAfter rounds (1 s each) in which a single vote must not be enough.
        #expect(
            try await eventually {
                let json = (try? DetourBinary.run(["cluster", "status", "--json"], in: rig.workspaces[0].root).stdout) ?? ""
                return json.contains("\"node\":\"n3\",\"passed\":false") && json.contains("\"node\":\"n1\",\"passed\":true")
            })
        try await Task.sleep(for: .seconds(3))
        #expect(rig.sandbox.requests(path: "/promo").isEmpty)
        #expect(rig.sandbox.requests(path: "/line").isEmpty)
        for index in 0..<3 { #expect(rig.journaled("incident.opened", on: index) == 0) }
        let status = try DetourBinary.run(["cluster", "status"], in: rig.workspaces[0].root)
        #expect(status.status == 0)
        let dissent = status.stdout.split(separator: "\n").first { $0.contains("n3") && $0.contains("(dissent)") }
        #expect(dissent?.contains("failed (transport)") == true, "\(status.stdout)")
        #expect(status.stdout.contains("leader: n"))
        #expect(status.stdout.split(separator: "\n").contains { $0.contains("(leader)") && $0.contains("ok") }, "nodes with their leases: \(status.stdout)")
        #expect(status.stdout.contains("ok"), "endpoint health: \(status.stdout)")
    }

    @Test func killingTheLeaderMidFailoverHandsOverWithinTheLeaseAndRepeatsNothing() async throws {
        let repetitions = Int(ProcessInfo.processInfo.environment["DETOUR_CLUSTER_KILLS"] ?? "") ?? 3
        let seed = SplitMix64.seedFromEnvironment()
        print("cluster kill seed \(seed); replay with DETOUR_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let rig = try await ClusterRig()
        // Slow providers widen the window in which a kill leaves a step uncertain.
        for path in ["/promo", "/line", "/v2/bot/message/broadcast", "/2/tweets"] { rig.sandbox.setDelay(.milliseconds(250), forPath: path) }
        try rig.startAll()
        var takeovers: [Double] = []
        for repetition in 0..<repetitions {
            let leader = try #require(await rig.waitForLeader())
            let started = Date()
            rig.sandbox.setMode(.down, for: "mall")
            #expect(try await eventually { rig.sandbox.requests(path: "/promo").contains { $0.receivedAt >= started } })
            try await Task.sleep(for: .milliseconds(Int64.random(in: 0...900, using: &random)))
            let killed = ContinuousClock.now
            rig.stop(leader)
            let next = try #require(await rig.waitForLeader(nodes: 2, otherThan: leader))
            let takeover = (ContinuousClock.now - killed).timeInterval
            takeovers.append(takeover)
            // Each kill within a gross bound (a takeover happens; it does not hang). The target (leaseTTL + 1 s) is
            // checked on the median below: while the whole suite runs, a 2-core CI machine once starved the nodes,
            // etcd and this poll for 9 s in one repetition. bench/cluster measures the worst on a quiet machine.
            #expect(takeover <= rig.leaseTTL.timeInterval + 10, "seed \(seed): \(rig.names[next]) took over after \(takeover) s")
            #expect(try await waitForJournal(rig, "incident.mitigated", count: repetition + 1), "seed \(seed)")
            rig.sandbox.setMode(.healthy, for: "mall")
            #expect(try await waitForJournal(rig, "incident.resolved", count: repetition + 1), "seed \(seed)")
            expectEachStepOnce(rig.sandbox, since: started, "seed \(seed), repetition \(repetition)")
            try rig.start(leader)
        }
        let sorted = takeovers.sorted()
        print("cluster takeover over \(repetitions) kills: median \(sorted[sorted.count / 2]) s, worst \(sorted.last ?? 0) s")
        #expect(sorted[sorted.count / 2] <= rig.leaseTTL.timeInterval + 1, "seed \(seed): takeovers \(sorted)")
    }

    @Test func aLeaderStoppedLongerThanItsLeaseSendsNothingWhenItWakes() async throws {
        let rig = try await ClusterRig()
        for path in ["/promo", "/line", "/v2/bot/message/broadcast", "/2/tweets"] { rig.sandbox.setDelay(.milliseconds(300), forPath: path) }
        try rig.startAll()
        let leader = try #require(await rig.waitForLeader())
        rig.sandbox.setMode(.down, for: "mall")
        #expect(try await eventually { !rig.sandbox.requests(path: "/promo").isEmpty })
        // Stopped in the middle of a provider call: it wakes up holding an answer it may no longer journal.
        rig.signal(leader, SIGSTOP)
        let next = try #require(await rig.waitForLeader(nodes: 2, otherThan: leader))
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        let before = rig.sandbox.requests().count
        rig.signal(leader, SIGCONT)
        let woken = try #require(rig.node(leader))
        #expect(try await woken.waitForOutput("\(rig.names[leader]) follows \(rig.names[next])"), "\(woken.stdoutSoFar)\(woken.stderrSoFar)")
        #expect(woken.stderrSoFar.contains("not acting") || woken.stderrSoFar.contains("refused"), "its stale write is refused: \(woken.stderrSoFar)")
        #expect(rig.sandbox.requests().count == before, "the deposed leader sent \(rig.sandbox.requests().count - before) requests")
        expectEachStepOnce(rig.sandbox, "after SIGSTOP")
    }

    @Test func losingEtcdQuorumStopsEveryNodeAndItsReturnFinishesTheIncident() async throws {
        let rig = try await ClusterRig(pingPath: "quorum-check")
        try rig.startAll()
        _ = try #require(await rig.waitForLeader())
        // One member down: a quorum of two remains and the outage is handled as usual.
        rig.etcd.stop(0)
        rig.sandbox.setMode(.down, for: "mall")
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        rig.sandbox.setMode(.healthy, for: "mall")
        #expect(try await waitForJournal(rig, "incident.resolved", count: 1))
        expectEachStepOnce(rig.sandbox, "one member down")
        // Two down: no quorum; every node stops acting, and a new outage sends nothing.
        rig.etcd.stop(1)
        for index in 0..<3 {
            let node = try #require(rig.node(index))
            #expect(try await node.waitForOutput("not acting: no etcd quorum since"), "\(rig.names[index]): \(node.stdoutSoFar)")
        }
        let status = try DetourBinary.run(["status"], in: rig.workspaces[0].root).stdout
        #expect(status.contains("not acting: no etcd quorum since"), "\(status)")
        let cut = Date()
        rig.sandbox.setMode(.down, for: "mall")
        try await Task.sleep(for: .seconds(3))
        #expect(rig.sandbox.requests().filter { $0.receivedAt >= cut && !$0.path.hasPrefix("/store/") && $0.host != "hc-ping.com" }.isEmpty)
        // Each node's heartbeat says it is not acting.
        #expect(rig.sandbox.requests().filter { $0.host == "hc-ping.com" && $0.path == "/quorum-check/fail" }.count >= 3)
        // Back: the nodes resume and finish the new outage, once.
        try rig.etcd.start(0)
        try rig.etcd.start(1)
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 2, within: .seconds(60)))
        rig.sandbox.setMode(.healthy, for: "mall")
        #expect(try await waitForJournal(rig, "incident.resolved", count: 2))
        expectEachStepOnce(rig.sandbox, since: cut, "after etcd came back")
    }

    @Test func failoverOnAFollowerIsCarriedOutByTheLeaderOnce() async throws {
        let rig = try await ClusterRig()
        try rig.startAll()
        let leader = try #require(await rig.waitForLeader())
        let follower = (leader + 1) % 3
        let result = try DetourBinary.run(
            ["failover", "mall", "--reason", "決済エラー多発", "--by", "sato"], in: rig.workspaces[follower].root, environment: rig.environment)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("carried out by \(rig.names[leader])"), "\(result.output)")
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        expectEachStepOnce(rig.sandbox, "manual failover")
        #expect(try await eventually { (0..<3).allSatisfy { rig.journaled("incident.opened", on: $0) == 1 } })
        // A command without a cluster form is refused with a reason, never run against one node's journal.
        let dryRun = try DetourBinary.run(["failover", "mall", "--dry-run", "--reason", "確認"], in: rig.workspaces[follower].root)
        #expect(dryRun.status != 0)
        #expect(dryRun.stderr.contains("not available on a cluster node"), "\(dryRun.output)")
        // ack goes to the leader too, which refuses an unknown incident and says why.
        let ack = try DetourBinary.run(["ack", "x", "--by", "sato"], in: rig.workspaces[follower].root)
        #expect(ack.status == 1)
        #expect(ack.stdout.contains("x") && ack.stdout.contains("(carried out by \(rig.names[leader]))"), "\(ack.output)")
        // The leader hands on when asked, from any node, and stays out even when nobody else is quick to take over.
        let others = (0..<3).filter { $0 != leader }
        for index in others { rig.signal(index, SIGSTOP) }
        let resign = try DetourBinary.run(["cluster", "resign"], in: rig.workspaces[follower].root)
        #expect(resign.status == 0, "\(resign.output)")
        #expect(resign.stdout.contains("\(rig.names[leader]) stepped down"), "\(resign.stdout)")
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            #expect(await rig.leader() != leader, "\(rig.names[leader]) took the lead again right after resigning")
            try await Task.sleep(for: .milliseconds(50))
        }
        for index in others { rig.signal(index, SIGCONT) }
        let next = try #require(await rig.waitForLeader(otherThan: leader))
        #expect(next != leader)
    }

    /// Reads the console's base URL from node `index`'s output (`console: http://127.0.0.1:PORT/console`).
    func consoleBase(_ rig: ClusterRig, _ index: Int) async throws -> String {
        let running = try #require(rig.node(index))
        #expect(try await running.waitForOutput("console: http://127.0.0.1:"), "\(running.stderrSoFar)")
        let line = try #require(running.stdoutSoFar.split(separator: "\n").first { $0.hasPrefix("console: http://127.0.0.1:") })
        return String(line.dropFirst("console: ".count).dropLast("/console".count))
    }

    @Test func theConsoleAndCheckInsOnAFollowerGoThroughTheLeader() async throws {
        let token = "hb-7d2e9c41a0b35f68"
        let rig = try await ClusterRig(heartbeatToken: token, pingPath: "c0ffee-node-check")
        try rig.startAll(arguments: ["--listen", "127.0.0.1:0"])
        let leader = try #require(await rig.waitForLeader())
        let follower = (leader + 1) % 3
        let base = try await consoleBase(rig, follower)
        let http = HTTPClient()
        defer { http.shutdown() }
        // Sign in on the follower's console as sato.
        let link = try DetourBinary.run(["console", "login", "sato"], in: rig.workspaces[follower].root)
        #expect(link.status == 0, "\(link.output)")
        let signIn = try #require(link.stdout.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        let form = { (fields: [(String, String)]) in
            Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&").utf8)
        }
        let formHeaders = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Origin", base)]
        let login = try await http.send(
            HTTPRequest(method: "POST", url: base + "/console/login", headers: formHeaders, body: form([("token", signIn)]), followRedirects: false)
        ).get()
        #expect(login.status == 303)
        let cookie = try #require(login.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let page = try await http.send(HTTPRequest(url: base + "/console", headers: [HTTPHeader("Cookie", cookie)], followRedirects: false)).get()
        let marker = "value=\"failover\"><input type=\"hidden\" name=\"target\" value=\"mall\"><input type=\"hidden\" name=\"csrf\" value=\""
        let csrf = try #require(page.bodyText.range(of: marker).map { String(page.bodyText[$0.upperBound...].prefix(64)) }, "\(page.bodyText)")
        let done = try await http.send(
            HTTPRequest(
                method: "POST", url: base + "/console/action", headers: formHeaders + [HTTPHeader("Cookie", cookie)],
                body: form([("action", "failover"), ("target", "mall"), ("reason", "RMSが落ちている"), ("csrf", csrf)]), followRedirects: false)
        ).get()
        #expect(done.status == 303, "\(done.bodyText)")
        // Carried out once, by the leader, and mirrored into every node's journal with the user's name.
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        expectEachStepOnce(rig.sandbox, "console failover")
        #expect(
            try await eventually {
                (0..<3).allSatisfy { index in
                    rig.journaled("incident.opened", on: index) == 1 && ((try? rig.workspaces[index].journalText()) ?? "").contains("\"by\":\"sato\"")
                }
            })
        let leaderOutput = try #require(rig.node(leader)).stdoutSoFar
        #expect(leaderOutput.contains("failover mall (sato on \(rig.names[follower]))"), "\(leaderOutput)")

        // A job checks in on the follower's /hb/<token>; the leader journals it and every node mirrors it.
        let wrong = try await http.send(HTTPRequest(url: base + "/hb/hb-not-the-token-000")).get()
        #expect(wrong.status == 404)
        let accepted = try await http.send(HTTPRequest(url: base + "/hb/" + token)).get()
        #expect(accepted.status == 200, "\(accepted.bodyText)")
        #expect(accepted.bodyText.contains("\"channel\":\"sync\""))
        #expect(try await eventually { (0..<3).allSatisfy { rig.journaled("channel.checkin", on: $0) == 1 } })
        // And `detour checkin` on another node.
        let other = (leader + 2) % 3
        let cli = try DetourBinary.run(["checkin", "sync"], in: rig.workspaces[other].root, environment: rig.environment)
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.stdout.contains("sync checked in (carried out by \(rig.names[leader]))"), "\(cli.output)")
        #expect(try await eventually { (0..<3).allSatisfy { rig.journaled("channel.checkin", on: $0) == 2 } })
        for index in 0..<3 {
            let journal = try rig.workspaces[index].journalText()
            #expect(journal.contains("\"via\":\"http\"") && journal.contains("\"via\":\"cli\""))
            #expect(!journal.contains(token), "the token never leaves the node that received it")
        }
        // Each node pings its heartbeat after its first pass, then only every 30 s, although it runs several passes a second.
        let pings = rig.sandbox.requests().filter { $0.host == "hc-ping.com" }
        #expect(pings.count >= 3 && pings.count <= 9, "\(pings.map(\.path))")
        #expect(pings.allSatisfy { $0.path == "/c0ffee-node-check" }, "\(pings.map(\.path))")
    }

    @Test func theLeaderCompactsTheSharedLogBehindASnapshotAndANewNodeStartsFromIt() async throws {
        let rig = try await ClusterRig(nodes: 4, compactAfter: 10)
        for index in 0..<3 { try rig.start(index) }
        _ = try #require(await rig.waitForLeader())
        // One outage that ends, and one still open: more than ten shared records.
        rig.sandbox.setMode(.down, for: "mall")
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 1))
        rig.sandbox.setMode(.healthy, for: "mall")
        #expect(try await waitForJournal(rig, "incident.resolved", count: 1))
        rig.sandbox.setMode(.down, for: "mall")
        #expect(try await waitForJournal(rig, "incident.mitigated", count: 2))
        // Once every node has mirrored them, the leader writes the snapshot and deletes the records below the mark.
        var snapshot: [String: Any]?
        let deadline = ContinuousClock.now + .seconds(30)
        while snapshot == nil, ContinuousClock.now < deadline {
            snapshot = try await rig.value("/snapshot").flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            if snapshot == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let written = try #require(snapshot, "no snapshot within 30 s")
        let seq = try #require(written["seq"] as? Int)
        let compactedThrough = try #require(written["compactedThrough"] as? Int)
        #expect(compactedThrough >= 5 && compactedThrough <= seq, "\(written)")
        let logged = try await rig.keys(under: "/log/").compactMap { Int64($0.split(separator: "/").last ?? "") }
        #expect(!logged.isEmpty && logged.allSatisfy { $0 > compactedThrough }, "records at or below the mark are gone: \(logged)")
        #expect(try await rig.keys(under: "/snapshot/").count >= 1)
        let status = try DetourBinary.run(["cluster", "status"], in: rig.workspaces[0].root).stdout
        #expect(status.contains("compacted; snapshot at record"), "\(status)")
        // Every node still reports both incidents from its own journal.
        #expect(try await eventually { (0..<3).allSatisfy { rig.journaled("incident.mitigated", on: $0) == 2 } })
        for index in 0..<3 {
            #expect(rig.journaled("incident.opened", on: index) == 2, "\(rig.names[index])")
            let report = try DetourBinary.run(["report", "--csv"], in: rig.workspaces[index].root).stdout
            #expect(report.split(separator: "\r\n").count == 3, "\(rig.names[index]) reports both outages: \(report)")
        }
        // A fourth node with an empty state folder starts from the snapshot and sees what the others see.
        try rig.start(3)
        let fourth = try #require(rig.node(3))
        #expect(try await fourth.waitForOutput("started from the snapshot at record"), "\(fourth.stdoutSoFar)\(fourth.stderrSoFar)")
        let openIncidents = { (index: Int) -> [String] in
            let json = (try? DetourBinary.run(["status", "--json"], in: rig.workspaces[index].root).stdout) ?? ""
            return json.components(separatedBy: "\"id\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }
        #expect(try await eventually { !openIncidents(3).isEmpty && openIncidents(3) == openIncidents(0) }, "\(openIncidents(3)) vs \(openIncidents(0))")
        let report = try DetourBinary.run(["report", "--csv"], in: rig.workspaces[3].root).stdout
        #expect(report.split(separator: "\r\n").count == 3, "the snapshot holds the resolved incident too: \(report)")
        #expect(rig.journaled("incident.opened", on: 3) == 0, "its journal starts after the snapshot")
        // The cluster carries on: the open incident ends, and the new node mirrors its end.
        rig.sandbox.setMode(.healthy, for: "mall")
        #expect(try await eventually { rig.journaled("incident.resolved", on: 3) == 1 })
        let after = try DetourBinary.run(["status"], in: rig.workspaces[3].root)
        #expect(after.status == 0, "\(after.output)")
    }

    @Test func tickRunsOnePassAsAMemberSoCronStillWorks() async throws {
        // A lease longer than the cron period, as docs/cluster.md advises; each tick takes it up again.
        let rig = try await ClusterRig(nodes: 1, leaseTTL: .seconds(60), pingPath: "tick-check")
        rig.sandbox.setMode(.down, for: "mall")
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        for second in 0..<4 {
            let now = LocalTime.iso8601(start.addingTimeInterval(Double(second * 10)), in: TimeZone(identifier: "Asia/Tokyo")!)
            let result = try DetourBinary.run(["tick"], in: rig.workspaces[0].root, environment: rig.environment.merging(["DETOUR_NOW": now]) { $1 })
            #expect(result.status == 0, "\(result.output)")
        }
        #expect(rig.journaled("incident.opened", on: 0) == 1)
        #expect(rig.journaled("incident.mitigated", on: 0) == 1)
        expectEachStepOnce(rig.sandbox, "ticks")
        #expect(rig.sandbox.requests().filter { $0.host == "hc-ping.com" }.map(\.path) == Array(repeating: "/tick-check", count: 4), "each tick pings")
        // The local journal is the shared one: every record went through etcd first.
        let json = try DetourBinary.run(["cluster", "status", "--json"], in: rig.workspaces[0].root).stdout
        let local = try rig.workspaces[0].journalText().split(separator: "\n").filter { $0.contains("\"ts\"") }.count
        #expect(json.contains("\"sharedRecords\":\(local)"), "\(local) local records; \(json)")
        #expect(json.contains("\"leader\":\"n1\""))
    }

    @Test func aSingleNodesJournalIsImportedOnceAndNeverMixedIn() async throws {
        let rig = try await ClusterRig(nodes: 1, leaseTTL: .seconds(60))
        let root = rig.workspaces[0].root
        let clustered = try String(contentsOfFile: root + "/detour.json5", encoding: .utf8)
        let base = rig.sandbox.baseURL
        try rig.workspaces[0].write("detour.json5", "{ providers: { line: \"\(base)/ext/api.line.me\", x: \"\(base)/ext/api.x.com\" } }")
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let at = { (seconds: Int) in
            rig.environment.merging(["DETOUR_NOW": LocalTime.iso8601(start.addingTimeInterval(Double(seconds)), in: TimeZone(identifier: "Asia/Tokyo")!)]) {
                $1
            }
        }
        rig.sandbox.setMode(.down, for: "mall")
        for second in [0, 10, 20] { try DetourBinary.run(["tick"], in: root, environment: at(second)) }
        #expect(rig.journaled("incident.mitigated", on: 0) == 1, "a single node handled the outage")
        // Now a cluster node: its journal cannot be mixed into the shared one unasked.
        try rig.workspaces[0].write("detour.json5", clustered)
        let refused = try DetourBinary.run(["tick"], in: root, environment: at(30))
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("detour cluster import"), "\(refused.output)")
        let imported = try DetourBinary.run(["cluster", "import"], in: root)
        #expect(imported.status == 0, "\(imported.output)")
        let local = try rig.workspaces[0].journalText().split(separator: "\n").filter { $0.contains("\"ts\"") }.count
        #expect(imported.stdout.contains("imported \(local) records"), "\(imported.stdout)")
        // A second import would duplicate the history: refused.
        #expect(try DetourBinary.run(["cluster", "import"], in: root).status != 0)
        rig.sandbox.setMode(.healthy, for: "mall")
        for second in [40, 50] {
            let result = try DetourBinary.run(["tick"], in: root, environment: at(second))
            #expect(result.status == 0, "\(result.output)")
        }
        #expect(rig.journaled("incident.resolved", on: 0) == 1, "the imported incident is carried on by the cluster")
        #expect(rig.sandbox.requests(path: "/line").count == 1, "nothing was sent again")
        #expect(rig.sandbox.requests(path: "/line-back").count == 1)
        let json = try DetourBinary.run(["cluster", "status", "--json"], in: root).stdout
        let after = try rig.workspaces[0].journalText().split(separator: "\n").filter { $0.contains("\"ts\"") }.count
        #expect(json.contains("\"sharedRecords\":\(after)"), "\(after) local records; \(json)")
    }

    @Test func etcdWithAuthenticationTakesAPasswordReferenceAndNeverShowsThePassword() async throws {
        let rig = try await ClusterRig(nodes: 1, leaseTTL: .seconds(60))
        try await rig.etcd.enableAuthentication(user: "detour", password: "etcd-secret-4711", prefix: rig.prefix)
        let root = rig.workspaces[0].root
        let text = try String(contentsOfFile: root + "/detour.json5", encoding: .utf8)
        try rig.workspaces[0].write(
            "detour.json5", text.replacingOccurrences(of: "etcd: { endpoints:", with: "etcd: { user: \"detour\", password: \"env:ETCD_PASSWORD\", endpoints:"))
        let wrong = try DetourBinary.run(["tick"], in: root, environment: rig.environment.merging(["ETCD_PASSWORD": "not-the-password"]) { $1 })
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("check cluster.etcd.user and the password it references"), "\(wrong.output)")
        #expect(!wrong.output.contains("not-the-password"))
        let right = try DetourBinary.run(["tick"], in: root, environment: rig.environment.merging(["ETCD_PASSWORD": "etcd-secret-4711"]) { $1 })
        #expect(right.status == 0, "\(right.output)")
        #expect(right.stdout.contains("n1 leads the cluster"), "\(right.output)")
        let status = try DetourBinary.run(["cluster", "status"], in: root, environment: ["ETCD_PASSWORD": "etcd-secret-4711"])
        #expect(status.stdout.contains("leader: n1"), "\(status.output)")
        #expect(!(right.output + status.output).contains("etcd-secret-4711"))
    }
}
