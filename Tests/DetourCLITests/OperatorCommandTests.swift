import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What an operator at the keyboard sees: names, holds, suggestions, waits and interruptions.
@Suite(.serialized)
final class OperatorCommandTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/rakuten.json5",
            """
            { name: "楽天市場店", kind: "mall", url: "\(sandbox.baseURL)/store/rakuten/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/rakuten/item" }],
              schedule: { every: "1m", confirmEvery: "1m", failAfter: 2, recoverAfter: 1 } }
            """)
        // Step ids out of alphabetical order: listings must follow the order they run in.
        try workspace.write(
            "playbooks/mall-down.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [
                { id: "zeta", do: "http", request: { method: "POST", url: "\(sandbox.baseURL)/slow", json: { on: true } },
                  undo: { request: { method: "POST", url: "\(sandbox.baseURL)/slow", json: { on: false } } } },
                { id: "alpha", do: "http", request: { method: "POST", url: "\(sandbox.baseURL)/second", json: { on: true } } },
              ] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        var environment = environment
        if let time { environment["DETOUR_NOW"] = "2026-12-02T\(time)+09:00" }
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    @Test func byFallsBackToTheLoginNameNeverUnknown() throws {
        let login = String(cString: getpwuid(getuid())!.pointee.pw_name)
        #expect(try detour("hold", "rakuten", "--indefinitely", environment: ["USER": "", "LOGNAME": ""]).status == 0)
        #expect(try detour("log").stdout.contains("channel.held  rakuten by \(login)"))
        #expect(try detour("release", "rakuten", environment: ["USER": "", "LOGNAME": "kato"]).status == 0)
        let log = try detour("log").stdout
        #expect(log.contains("channel.released  rakuten by kato"), "\(log)")
        #expect(!log.contains("unknown"))
    }

    @Test func holdNeedsAnEndAndExtendingKeepsTheReason() throws {
        let bare = try detour("hold", "rakuten")
        #expect(bare.status == 64)
        #expect(bare.stderr.contains("--until 2h"), "\(bare.stderr)")
        #expect(bare.stderr.contains("--indefinitely"))
        #expect(try detour("hold", "rakuten", "--until", "2h", "--indefinitely").status == 64)
        #expect(try detour("hold", "rakuten", "--until", "2h", "--reason", "RMS定期メンテナンス", "--by", "sato", at: "01:00:00").status == 0)
        #expect(try detour("hold", "rakuten", "--until", "4h", "--by", "sato", at: "02:00:00").status == 0)
        let status = try detour("status", at: "02:30:00").stdout
        #expect(status.contains("rakuten is held by sato until 2026-12-02T06:00:00+09:00: RMS定期メンテナンス"), "\(status)")
    }

    @Test func holdReadsItsEndInTheWorkspaceZoneAndRefusesATimeThatDoesNotExistThere() throws {
        // Samoa skipped 30 December 2011: the time is fine in GMT, where it used to be checked, but
        // the workspace's zone read it as nothing and the channel was held until released.
        try workspace.write("detour.json5", #"{ timezone: "Pacific/Apia" }"#)
        let skipped = try detour("hold", "rakuten", "--until", "2011-12-30T12:00", environment: ["DETOUR_NOW": "2011-12-29T09:00:00-10:00"])
        #expect(skipped.status == 64, "\(skipped.output)")
        #expect(skipped.stderr.contains(#"--until "2011-12-30T12:00" does not exist in Pacific/Apia"#), "\(skipped.stderr)")
        #expect(!(try detour("log").stdout.contains("channel.held")))
        let local = try detour("hold", "rakuten", "--until", "2011-12-31T12:00", environment: ["DETOUR_NOW": "2011-12-29T09:00:00-10:00"])
        #expect(local.status == 0, "\(local.output)")
        #expect(local.stdout.contains("held until 2011-12-31T12:00:00+14:00"), "\(local.stdout)")
    }

    @Test func jsonMayComeBeforeTheCommand() throws {
        let status = try detour("--json", "-w", workspace.root, "status", at: "01:00:00")
        #expect(status.status == 0, "\(status.output)")
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect(json?["channels"] != nil, "\(status.stdout)")
    }

    @Test func aHeldChannelShowsHeldEverywhere() throws {
        #expect(try detour("tick", at: "01:00:00").status == 0)
        #expect(try detour("hold", "rakuten", "--indefinitely", at: "01:00:30").status == 0)
        #expect(try detour("tick", "--metrics-file", "metrics.prom", at: "01:01:00").status == 0)
        let status = try detour("status", at: "01:01:30").stdout
        let row = try #require(status.split(separator: "\n").first { $0.hasPrefix("rakuten") })
        #expect(row.contains(" held "), "\(row)")
        #expect(!row.contains(" up "))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(detour("status", "--json", at: "01:01:30").stdout.utf8)) as? [String: Any])
        #expect((json["channels"] as? [[String: Any]])?.first?["state"] as? String == "held")
        let page = try detour("statuspage", "--out", "public", at: "01:01:30")
        #expect(page.stdout.contains("rakuten: under_maintenance"), "\(page.output)")
        let metrics = try String(contentsOfFile: workspace.root + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("detour_channel_state{channel=\"rakuten\",state=\"held\"} 1"), "\(metrics)")
        #expect(metrics.contains("detour_channel_state{channel=\"rakuten\",state=\"up\"} 0"))
        #expect(metrics.contains("detour_channel_up{channel=\"rakuten\"} 0"))
    }

    @Test func stepsAreListedInTheOrderTheyRun() throws {
        let failover = try detour("failover", "rakuten", "--reason", "決済エラー", at: "01:00:00")
        #expect(failover.status == 0, "\(failover.output)")
        let status = try detour("status", at: "01:00:30").stdout
        let zeta = try #require(status.range(of: "mall-down/zeta:"))
        let alpha = try #require(status.range(of: "mall-down/alpha:"))
        #expect(zeta.lowerBound < alpha.lowerBound, "\(status)")
        let json = try detour("status", "--json", at: "01:00:30").stdout
        #expect(try #require(json.range(of: "mall-down/zeta")).lowerBound < (try #require(json.range(of: "mall-down/alpha"))).lowerBound)
        let show = try detour("show", "rakuten-20261202-010000").stdout
        #expect(show.contains("steps, in the order they run:\n  mall-down/zeta: succeeded 200\n  mall-down/alpha: succeeded 200"), "\(show)")
    }

    @Test(arguments: [
        ["probe", "rakutn"], ["drill", "rakutn"], ["failover", "rakutn", "--reason", "x"], ["restore", "rakutn"],
        ["hold", "rakutn", "--indefinitely"], ["release", "rakutn"], ["report", "--channel", "rakutn"],
        // The demo used to take the busiest mall down instead of refusing a mistyped --channel.
        ["demo", "--channel", "rakutn"],
    ])
    func aMistypedChannelGetsASuggestion(arguments: [String]) throws {
        let result = try DetourBinary.run(arguments, in: workspace.root)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.stderr.contains("unknown channel \"rakutn\"; did you mean \"rakuten\"?"), "\(result.stderr)")
    }

    @Test func theWorkspaceOptionMayComeBeforeTheCommand() throws {
        let elsewhere = NSTemporaryDirectory()
        let before = try DetourBinary.run(["-w", workspace.root, "check"], in: elsewhere)
        #expect(before.status == 0, "\(before.output)")
        #expect(try DetourBinary.run(["--workspace=\(workspace.root)", "status"], in: elsewhere).status == 0)
        let state = NSTemporaryDirectory() + "detour-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        #expect(try DetourBinary.run(["--workspace", workspace.root, "--state-dir", state, "hold", "rakuten", "--indefinitely"], in: elsewhere).status == 0)
        #expect(FileManager.default.fileExists(atPath: state + "/journal"))
        #expect(try DetourBinary.run(["-w"], in: elsewhere).status == 64)
    }

    @Test func aCommandWaitingForTheLockSaysWhomItWaitsFor() async throws {
        let folder = workspace.root + "/.detour"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let descriptor = open(folder + "/lock", O_RDWR | O_CREAT, 0o644)
        #expect(descriptor >= 0)
        #expect(flock(descriptor, LOCK_EX) == 0)
        let line = "{\"command\":\"detour tick\",\"pid\":4242,\"since\":\"2026-12-02T01:00:03.000Z\"}\n"
        _ = line.withCString { write(descriptor, $0, strlen($0)) }
        // cron's tick does not wait: it says who runs and exits 0.
        let tick = try detour("tick")
        #expect(tick.status == 0)
        #expect(tick.stdout.contains("detour tick (pid 4242) since 2026-12-02T10:00:03+09:00"), "\(tick.output)")

        let hold = try DetourBinary.start(["hold", "rakuten", "--indefinitely"], in: workspace.root)
        #expect(try await hold.waitForOutput("waiting for the run lock: detour tick (pid 4242) since 2026-12-02T10:00:03+09:00"), "\(hold.stderrSoFar)")
        flock(descriptor, LOCK_UN)
        close(descriptor)
        let result = hold.wait()
        #expect(result.status == 0, "\(result.output)")
        // While it ran, the lock file named it.
        #expect(try String(contentsOfFile: folder + "/lock", encoding: .utf8).contains("\"command\":\"detour hold rakuten\""))
    }

    @Test func aSymlinkPlantedAsTheLockFileIsNotFollowed() throws {
        let folder = workspace.root + "/.detour"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = workspace.root + "/precious.txt"
        try "keep me".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/lock", withDestinationPath: target)
        let result = try detour("hold", "rakuten", "--indefinitely")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("\(folder)/lock is a symbolic link"), "\(result.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
    }

    @Test func ctrlCFinishesTheStepInFlightThenSaysWhatIsLeft() async throws {
        // Long enough that a loaded machine still signals while the step is out (at 1.5 s it sometimes did not).
        sandbox.setDelay(.seconds(6), forPath: "/slow")
        let failover = try DetourBinary.start(
            ["failover", "rakuten", "--reason", "決済エラー"], in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"])
        let deadline = ContinuousClock.now + .seconds(20)
        // A blocking poll: a Task.sleep can wait behind other suites' blocking binary runs for longer than
        // the step's delay, and the signal would then come after the command finished.
        while sandbox.requests(path: "/slow").isEmpty, ContinuousClock.now < deadline { usleep(20_000) }
        kill(failover.process.processIdentifier, SIGINT)
        let result = failover.wait()
        #expect(result.status == 130, "\(result.output)")
        #expect(
            result.stderr.contains("interrupted: 1 step of rakuten-20261202-010000 not run yet (mall-down/alpha); run 'detour tick' to finish"),
            "\(result.stderr)")
        #expect(sandbox.requests(path: "/second").isEmpty, "nothing after the step in flight is sent")
        #expect(try detour("log").stdout.contains("mall-down/zeta attempt 1: succeeded 200"), "the step in flight finished and was journaled")

        #expect(try detour("tick", at: "01:00:10").status == 0)
        #expect(sandbox.requests(path: "/second").count == 1)
        #expect(sandbox.requests(path: "/slow").count == 1, "the finished step is not sent again")
    }

    @Test func restoreNamesItselfAsTheWayToFinish() async throws {
        #expect(try detour("failover", "rakuten", "--reason", "決済エラー", at: "01:00:00").status == 0)
        sandbox.setDelay(.seconds(6), forPath: "/slow")
        sandbox.clearRequests()
        try workspace.write(
            "playbooks/zz-after.json5",
            "{ on: { event: \"up\" }, steps: [{ id: \"back\", do: \"http\", request: { url: \"\(sandbox.baseURL)/back\", json: {} } }] }")
        let restore = try DetourBinary.start(["restore", "rakuten"], in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T01:10:00+09:00"])
        let deadline = ContinuousClock.now + .seconds(20)
        // Blocking, as in ctrlCFinishesTheStepInFlightThenSaysWhatIsLeft: the signal must come while the step is out.
        while sandbox.requests(path: "/slow").isEmpty, ContinuousClock.now < deadline { usleep(20_000) }
        kill(restore.process.processIdentifier, SIGINT)
        let result = restore.wait()
        #expect(result.status == 130, "\(result.output)")
        #expect(result.stderr.contains("(zz-after/back/recovery); run 'detour tick' (or 'detour restore rakuten' again) to finish"), "\(result.stderr)")
        #expect(sandbox.requests(path: "/back").isEmpty)
    }

    @Test func aReportKeepsTheRatesJournaledWhenTheOutageOpened() throws {
        try workspace.write(
            "channels/rakuten.json5",
            """
            { name: "楽天市場店", kind: "mall", url: "\(sandbox.baseURL)/store/rakuten/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/rakuten/item" }], revenue: { perHour: 60000 } }
            """)
        try FileManager.default.createDirectory(atPath: workspace.root + "/.detour", withIntermediateDirectories: true)
        let journal = """
            {"ts":"2026-12-01T16:00:00.000Z","type":"incident.opened","incident":"rakuten-1","channel":"rakuten","trigger":"manual","by":"sato","reason":"x","revenuePerHour":50000,"saleMultiplier":2}
            {"ts":"2026-12-01T17:00:00.000Z","type":"incident.recovering","incident":"rakuten-1","trigger":"manual","recoveredAt":"2026-12-01T17:00:00.000Z","by":"sato"}

            """
        try journal.write(toFile: workspace.root + "/.detour/journal.jsonl", atomically: true, encoding: .utf8)
        let kept = try detour("report", "--json", at: "03:00:00")
        #expect(kept.status == 0, "\(kept.output)")
        #expect(kept.stdout.contains("\"moneyAtRisk\":100000"), "1 h × 50,000 × 2 as journaled: \(kept.stdout)")

        // A sale added to the calendar later changes nothing, unless asked to recompute.
        try workspace.write(
            "detour.json5", "{ calendar: { sales: [{ name: \"後付けセール\", from: \"2026-12-02T00:00\", to: \"2026-12-03T00:00\", multiplier: 3 }] } }")
        #expect(try detour("report", "--json", at: "03:00:00").stdout.contains("\"moneyAtRisk\":100000"))
        let recomputed = try detour("report", "--recompute", at: "03:00:00")
        #expect(recomputed.stdout.hasPrefix("recomputed with today's settings"), "\(recomputed.stdout)")
        #expect(recomputed.stdout.contains("¥180,000"), "1 h × 60,000 × 3 with today's settings: \(recomputed.stdout)")
    }
}
