import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Holds, state rebuilds and the watch daemon's signals, through the binary.
@Suite(.serialized)
final class ManualControlTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try writeChannel(every: "1m")
        try workspace.write(
            "playbooks/notify.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [{ id: "notice", do: "http", request: { url: "\(sandbox.baseURL)/notice", json: { text: "{{channel.name}}" } } }] }
            """)
    }

    deinit { sandbox.stop() }

    func writeChannel(every: String) throws {
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }],
              schedule: { every: "\(every)", confirmEvery: "\(every)", failAfter: 2, recoverAfter: 1 }, recovery: { settle: "0s" } }
            """)
    }

    @discardableResult
    func detour(_ arguments: String..., at time: String? = nil) throws -> CommandResult {
        let environment = time.map { ["DETOUR_NOW": "2026-12-02T\($0)+09:00"] } ?? [:]
        return try DetourBinary.run(arguments, in: workspace.root, environment: environment)
    }

    @Test func aHeldChannelIsNotProbedUntilTheHoldEnds() throws {
        let hold = try detour("hold", "mall", "--until", "2h", "--reason", "RMS定期メンテナンス", "--by", "sato", at: "01:00:00")
        #expect(hold.status == 0, "\(hold.output)")
        #expect(hold.stdout.contains("held until 2026-12-02T03:00:00+09:00"))
        sandbox.setMode(.down, for: "mall")
        for time in ["01:01:00", "01:02:00", "01:03:00"] { try detour("tick", at: time) }
        #expect(sandbox.hits("mall") == 0, "a held channel must not be probed")
        #expect(sandbox.requests(path: "/notice").isEmpty)
        #expect(try detour("status", at: "01:05:00").stdout.contains("mall is held by sato until 2026-12-02T03:00:00+09:00: RMS定期メンテナンス"))

        // The hold ends by itself: the outage is seen and acted on.
        try detour("tick", at: "03:00:01")
        try detour("tick", at: "03:01:01")
        #expect(sandbox.requests(path: "/notice").count == 1)
        #expect(try detour("log").stdout.contains("channel.held  mall by sato"))
    }

    @Test func releaseEndsAHoldAndBadInputIsRefused() throws {
        #expect(try detour("hold", "mall", "--until", "tomorrow").status == 64)
        #expect(try detour("hold", "nope").status == 64)
        #expect(try detour("release", "mall").status == 1)
        #expect(try detour("hold", "mall", "--indefinitely", at: "01:00:00").status == 0)
        try detour("tick", at: "01:01:00")
        #expect(sandbox.hits("mall") == 0)
        #expect(try detour("release", "mall", at: "01:02:00").status == 0)
        try detour("tick", at: "01:03:00")
        #expect(sandbox.hits("mall") == 1)
    }

    @Test func stateIsRebuiltFromTheJournal() throws {
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "01:00:00")
        try detour("tick", at: "01:01:00")
        let before = try detour("status").stdout
        #expect(before.contains("down"))
        let snapshot = workspace.root + "/.detour/state.json"
        try "{ not json".write(toFile: snapshot, atomically: true, encoding: .utf8)
        #expect(try detour("status").stdout == before, "a corrupt snapshot is rebuilt from the journal")
        try FileManager.default.removeItem(atPath: snapshot)
        let rebuilt = try detour("state", "rebuild")
        #expect(rebuilt.status == 0)
        #expect(rebuilt.stdout.contains("1 incidents (1 open)"))
        #expect(FileManager.default.fileExists(atPath: snapshot))
        #expect(try detour("status").stdout == before)
    }

    @Test func aDamagedJournalLineIsQuarantinedAndTheRestReplayed() throws {
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "01:00:00")
        try detour("tick", at: "01:01:00")
        let before = try detour("status").stdout
        let path = try #require(workspace.journalSegments.last)
        let segment = "journal/" + URL(fileURLWithPath: path).lastPathComponent
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        lines.insert("{\"ts\":\"garbage", at: 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: workspace.root + "/.detour/state.json")
        let result = try detour("status")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout == before, "every other line still counts")
        #expect(
            result.stderr.contains("warning: \(path):2: unreadable journal line (not JSON), skipped and copied to \(workspace.root)/.detour/journal.quarantine")
        )
        #expect(try String(contentsOfFile: workspace.root + "/.detour/journal.quarantine", encoding: .utf8) == "\(segment):2\t{\"ts\":\"garbage\n")
    }

    /// State damaged in ways seen in the field: every command still runs, and says what it repaired.
    @Test(arguments: [
        ("snapshot offset -100000000", "byte -100000000, which cannot be; rebuilt the state from"),
        ("snapshot offset past the end", "past the segment's end"),
        ("a line of 200,000 [", "unreadable journal line (nested more than 32 levels deep)"),
        ("an unknown record type", "unreadable journal line (unknown record type \"incident.teleported\")"),
        ("a torn last line", ""),
    ])
    func damagedStateNeverBlocksACommand(damage: String, warning: String) throws {
        sandbox.setMode(.down, for: "mall")
        try detour("tick", at: "01:00:00")
        try detour("tick", at: "01:01:00")
        let before = try detour("status").stdout
        let journal = try #require(workspace.journalSegments.last)
        let snapshot = workspace.root + "/.detour/state.json"
        var text = try String(contentsOfFile: journal, encoding: .utf8)
        switch damage {
        case "snapshot offset -100000000", "snapshot offset past the end":
            let offset = damage.hasSuffix("end") ? "99999999" : "-100000000"
            let state = try String(contentsOfFile: snapshot, encoding: .utf8)
            try state.replacing(#/"journalOffset":[0-9]+/#, with: "\"journalOffset\":\(offset)").write(toFile: snapshot, atomically: false, encoding: .utf8)
        case "a line of 200,000 [":
            text = text.replacingOccurrences(of: "\n", with: "\n" + String(repeating: "[", count: 200_000) + "\n", options: [], range: text.range(of: "\n"))
            try FileManager.default.removeItem(atPath: snapshot)
        case "an unknown record type":
            text = text.replacingOccurrences(
                of: "\n", with: "\n{\"ts\":\"2026-12-01T16:00:00.000Z\",\"type\":\"incident.teleported\",\"incident\":\"x\"}\n", options: [],
                range: text.range(of: "\n"))
            try FileManager.default.removeItem(atPath: snapshot)
        default:
            text += "{\"ts\":\"2026-12-01T16:02:00.000Z\",\"type\":\"chan"
        }
        try text.write(toFile: journal, atomically: false, encoding: .utf8)
        for command in ["status", "log", "report"] {
            let result = try detour(command)
            #expect(result.status == 0, "\(command) after \(damage): \(result.output)")
            // `log` reads the journal only, never the snapshot.
            if !warning.isEmpty, !(command == "log" && damage.hasPrefix("snapshot")) {
                #expect(result.stderr.contains(warning), "\(command) after \(damage): \(result.stderr)")
            }
        }
        #expect(try detour("status").stdout == before)
        #expect(try detour("tick", at: "01:02:00").status == 0)
    }

    @Test func watchReloadsAValidWorkspaceOnSIGHUPRefusesABrokenOneAndStopsOnSIGTERM() async throws {
        try writeChannel(every: "200ms")
        let watch = try DetourBinary.start(["watch"], in: workspace.root)
        #expect(try await watch.waitForOutput("watching 1 channels"))

        try workspace.write("playbooks/broken.json5", "{ on: { event: \"down\" }, steps: [ { id: \"x\" do: \"http\" } ] }")
        kill(watch.process.processIdentifier, SIGHUP)
        #expect(try await watch.waitForOutput("reload refused"), "\(watch.stderrSoFar)")
        #expect(watch.stderrSoFar.contains("playbooks/broken.json5:1:"))
        #expect(watch.process.isRunning)
        // The next pass journals that the workspace on disk has errors; the daemon goes on with its copy.
        #expect(try await watch.waitForOutput("WORKSPACE INVALID: 1 error in playbooks/broken.json5"), "\(watch.stdoutSoFar)")

        try workspace.remove("playbooks/broken.json5")
        try workspace.write("playbooks/second.json5", "{ on: { event: \"up\" }, steps: [] }")
        kill(watch.process.processIdentifier, SIGHUP)
        #expect(try await watch.waitForOutput("reloaded: 1 channels, 2 playbooks"))
        #expect(try await watch.waitForOutput("workspace valid again"), "\(watch.stdoutSoFar)")

        // The daemon keeps probing on the channel's schedule: wait for the next probes to arrive, however slow the machine.
        let hits = sandbox.hits("mall")
        #expect(try await eventually { sandbox.hits("mall") >= hits + 2 }, "probes every 200 ms")

        kill(watch.process.processIdentifier, SIGTERM)
        let result = watch.wait()
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func sigtermLetsTheStepInFlightFinishAndBeJournaled() async throws {
        try writeChannel(every: "200ms")
        sandbox.setDelay(.milliseconds(1500), forPath: "/notice")
        sandbox.setMode(.down, for: "mall")
        let watch = try DetourBinary.start(["watch"], in: workspace.root)
        let deadline = ContinuousClock.now + .seconds(20)
        while sandbox.requests(path: "/notice").isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(watch.process.processIdentifier, SIGTERM)
        let result = watch.wait()
        #expect(result.status == 0, "\(result.output)")
        let log = try detour("log").stdout
        #expect(log.contains("step.finished  "), "\(log)")
        #expect(log.contains("notify/notice attempt 1: succeeded 200"), "\(log)")
        #expect(sandbox.requests(path: "/notice").count == 1)
    }

    @Test func aSecondWatchOnTheSameStateFolderRefusesAndNamesTheFirst() async throws {
        let first = try DetourBinary.start(["watch"], in: workspace.root)
        defer { if first.process.isRunning { kill(first.process.processIdentifier, SIGKILL) } }
        #expect(try await first.waitForOutput("watching 1 channels"))

        let starting = try DetourBinary.start(["watch"], in: workspace.root)
        let deadline = ContinuousClock.now + .seconds(10)
        while starting.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if starting.process.isRunning {
            Issue.record("a second watch kept running beside the first")
            kill(starting.process.processIdentifier, SIGKILL)
        }
        let second = starting.wait()
        #expect(second.status == 1, "\(second.output)")
        #expect(
            second.stderr.contains("detour watch is already running on \(workspace.root)/.detour (pid \(first.process.processIdentifier))"), "\(second.stderr)")
        #expect(second.stderr.contains("--state-dir"))

        // Cron ticks and operators still run between the daemon's passes.
        let tick = try detour("tick")
        #expect(tick.status == 0, "\(tick.output)")

        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.wait().status == 0)
        let third = try DetourBinary.start(["watch"], in: workspace.root)
        #expect(try await third.waitForOutput("watching 1 channels"), "the lock ends with the daemon: \(third.stderrSoFar)")
        kill(third.process.processIdentifier, SIGTERM)
        #expect(third.wait().status == 0)
    }

    @Test func watchRepairsTheJournalOnlyOnceItHoldsTheLock() async throws {
        let path = workspace.root + "/.detour/journal.jsonl"
        // Another run holds the lock and is half-way through appending a line.
        let other = try #require(try StateStore(directory: workspace.root + "/.detour").tryLock())
        let fragment = #"{"ts":"2026-12-02T01:00:01.000+09:00","type":"#
        try fragment.write(toFile: path, atomically: false, encoding: .utf8)
        let torn = try Data(contentsOf: URL(fileURLWithPath: path))

        let watch = try DetourBinary.start(["watch"], in: workspace.root)
        defer { if watch.process.isRunning { kill(watch.process.processIdentifier, SIGKILL) } }
        #expect(try await watch.waitForOutput("watching 1 channels"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == torn, "the line being appended is left alone")

        other.release()
        let deadline = ContinuousClock.now + .seconds(20)
        while sandbox.hits("mall") < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(sandbox.hits("mall") == 1, "the daemon ran its pass once the lock was free")
        kill(watch.process.processIdentifier, SIGTERM)
        #expect(watch.wait().status == 0)
        #expect(try !String(contentsOfFile: path, encoding: .utf8).contains(fragment), "the torn tail was repaired under the lock")
    }

    @Test func aReloadTakesEffectBetweenPassesNeverDuringOne() async throws {
        try writeChannel(every: "200ms")
        sandbox.setDelay(.milliseconds(1500), forPath: "/notice")
        sandbox.setMode(.down, for: "mall")
        let watch = try DetourBinary.start(["watch"], in: workspace.root)
        defer { if watch.process.isRunning { kill(watch.process.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(20)
        while sandbox.requests(path: "/notice").isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        // The step is in flight: the pass that sent it must finish on the workspace it started with.
        try workspace.write("playbooks/second.json5", "{ on: { event: \"up\" }, steps: [] }")
        kill(watch.process.processIdentifier, SIGHUP)
        #expect(try await watch.waitForOutput("reloaded: 1 channels, 2 playbooks"), "\(watch.stdoutSoFar)")
        kill(watch.process.processIdentifier, SIGTERM)
        let output = watch.wait().stdout
        let answered = try #require(output.range(of: "← notify/notice"), "\(output)")
        let reloaded = try #require(output.range(of: "reloaded:"))
        #expect(answered.lowerBound < reloaded.lowerBound, "\(output)")
    }

    @Test func watchRefusesAPinnedClock() throws {
        let result = try detour("watch", at: "01:00:00")
        #expect(result.status == 64)
        #expect(result.stderr.contains("DETOUR_NOW"))
    }
}
