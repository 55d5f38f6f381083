import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// Heartbeat channels through the binary: a missed check-in is an outage, a check-in ends it.
@Suite(.serialized)
final class PushMonitorTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    static let token = "hb-7f3a9c2e5d1b8f4a"

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/inventory-sync.json5",
            """
            { name: "在庫連携", kind: "heartbeat",
              heartbeat: { every: "15m", grace: "5m", token: "env:INVENTORY_SYNC_TOKEN" },
              revenue: { perHour: 60000, currency: "JPY" }, recovery: { settle: "0s" } }
            """)
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }] }
            """)
        try workspace.write(
            "playbooks/stop-oversell.json5",
            """
            { on: { event: "down", channels: ["inventory-sync"] },
              steps: [{ id: "pause", do: "http", request: { url: "\(sandbox.baseURL)/pause", json: { text: "{{channel.name}}" } } }],
              recovery: [{ id: "resume", do: "http", request: { url: "\(sandbox.baseURL)/resume", json: { text: "{{channel.name}}" } } }] }
            """)
    }

    deinit { sandbox.stop() }

    @discardableResult
    func detour(_ arguments: String..., at time: String) throws -> CommandResult {
        try DetourBinary.run(
            arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T\(time)+09:00", "INVENTORY_SYNC_TOKEN": Self.token])
    }

    @Test func aMissedCheckinOpensAnIncidentAndACheckinRecoversIt() throws {
        #expect(try detour("check", at: "09:59:00").status == 0)
        // The first window after the channel appears is grace: no page on the first start.
        try detour("tick", at: "10:00:00")
        try detour("tick", at: "10:19:59")
        #expect(sandbox.requests(path: "/pause").isEmpty)
        #expect(try detour("status", at: "10:19:59").stdout.contains("down") == false)

        let late = try detour("tick", at: "10:21:00")
        #expect(late.status == 0, "\(late.output)")
        #expect(sandbox.requests(path: "/pause").count == 1, "the playbook runs against the sandbox")
        let log = try detour("log", at: "10:21:30").stdout
        #expect(log.contains("no check-in since monitoring began at 10:00:00 (expected every 15m, grace 5m)"), "\(log)")
        #expect(log.contains("incident.opened"))
        #expect(try detour("status", at: "10:22:00").stdout.contains("inventory-sync"))

        // Another pass while it is still late journals nothing new and runs nothing again.
        try detour("tick", at: "10:25:00")
        #expect(sandbox.requests(path: "/pause").count == 1)

        let checkin = try detour("checkin", "inventory-sync", at: "10:30:00")
        #expect(checkin.status == 0, "\(checkin.output)")
        #expect(checkin.stdout.contains("inventory-sync: checked in at 10:30:00; up again"))
        #expect(sandbox.requests(path: "/resume").count == 1, "recovery runs at once")
        #expect(try detour("log", at: "10:31:00").stdout.contains("channel.checkin  inventory-sync via cli"))
        let incident = try #require(late.stdout.split(separator: " ").first { $0.hasPrefix("inventory-sync-") }.map(String.init))
        let show = try detour("show", incident, at: "10:32:00").stdout
        #expect(show.contains("10:30:00  state    checked in (cli)"), "\(show)")
        #expect(show.contains("window: 2026-12-02 10:20:00 – 2026-12-02 10:30:00 (10.0 min)"), "\(show)")

        // The next window counts from the check-in.
        try detour("tick", at: "10:49:00")
        #expect(sandbox.requests(path: "/pause").count == 1)
        try detour("tick", at: "10:50:30")
        #expect(sandbox.requests(path: "/pause").count == 2)
        #expect(try detour("log", at: "10:51:00").stdout.contains("no check-in since 10:30:00 (expected every 15m, grace 5m)"))

        // The lost-sale report lists the window, from the missed deadline (10:20) to the check-in (10:30).
        let report = try detour("report", "--csv", at: "11:00:00")
        #expect(report.status == 0, "\(report.output)")
        #expect(report.stdout.contains("inventory-sync"), "\(report.stdout)")
        #expect(report.stdout.contains("2026-12-02T10:20:00+09:00") || report.stdout.contains("10:20:00"), "\(report.stdout)")

        // The token is a secret: never in the journal, the state or any output.
        var everything = try workspace.journalText() + checkin.output + late.output + log + report.output
        everything += (try? String(contentsOfFile: workspace.root + "/.detour/state.json", encoding: .utf8)) ?? ""
        #expect(!everything.contains(Self.token))
    }

    @Test func checkinRefusesProbedAndUnknownChannels() throws {
        let probed = try detour("checkin", "mall", at: "10:00:00")
        #expect(probed.status != 0)
        #expect(probed.stderr.contains("channel \"mall\" is probed, not a heartbeat channel"), "\(probed.output)")
        let unknown = try detour("checkin", "inventory", at: "10:00:00")
        #expect(unknown.status == 64, "\(unknown.output)")
        #expect(unknown.stderr.contains("inventory-sync"))
        #expect(try detour("checkin", at: "10:00:00").status == 64)
    }

    @Test func aTokenMustBeSetAndHardToGuess() throws {
        let short = try DetourBinary.run(["check"], in: workspace.root, environment: ["INVENTORY_SYNC_TOKEN": "abc123abc"])
        #expect(short.status == 2, "\(short.output)")
        #expect(short.output.contains("channels/inventory-sync.json5:2:50: error: the heartbeat token in env:INVENTORY_SYNC_TOKEN is only 9 characters long"))
        #expect(!short.output.contains("abc123abc"))
        let missing = try DetourBinary.run(["check"], in: workspace.root, environment: ["INVENTORY_SYNC_TOKEN": ""])
        #expect(missing.status == 0, "\(missing.output)")
        #expect(missing.output.contains("warning: heartbeat token of channel \"inventory-sync\": env:INVENTORY_SYNC_TOKEN is not available here"))
    }

    @Test(arguments: [
        (
            #"{ name: "x", kind: "heartbeat" }"#,
            #"channel "job" is a heartbeat channel but has no "heartbeat"; add heartbeat: { every: "15m""#
        ),
        (
            #"{ name: "x", kind: "heartbeat", heartbeat: { every: "15m", token: "env:T" }, probes: [{ url: "https://example.com/" }] }"#,
            #"channels/job.json5:1:86: error: channel "job" is a heartbeat channel, which is never probed; remove "probes""#
        ),
        (
            #"{ name: "x", kind: "heartbeat", heartbeat: { every: "fifteen", token: "env:T" } }"#,
            #"channels/job.json5:1:53: error: "every": "fifteen" is not a duration"#
        ),
        (
            #"{ name: "x", kind: "heartbeat", heartbeat: { every: "15m", grace: "-5m", token: "env:T" } }"#,
            #""grace": "-5m" is not a duration"#
        ),
        (
            #"{ name: "x", kind: "heartbeat", heartbeat: { every: "15m" } }"#,
            #"heartbeat of channel "job" is missing "token"; add token: "env:INVENTORY_SYNC_TOKEN""#
        ),
        (
            #"{ name: "x", kind: "heartbeat", heartbeat: { every: "15m", token: "s3cret-literal" } }"#,
            #""token" of heartbeat must be a reference, never the secret itself"#
        ),
        (
            #"{ name: "x", kind: "mall", url: "https://example.com/", probes: [{ url: "https://example.com/" }], heartbeat: { every: "15m" } }"#,
            #""heartbeat" only applies to channels of kind "heartbeat""#
        ),
        (
            #"{ name: "x", kind: "heartbeats", heartbeat: { every: "15m", token: "env:T" } }"#,
            #"did you mean "heartbeat"?"#
        ),
    ])
    func heartbeatChannelsAreValidated(file: String, message: String) throws {
        try workspace.write("channels/job.json5", file)
        let check = try detour("check", at: "10:00:00")
        #expect(check.status == 2, "\(check.output)")
        #expect(check.output.contains(message), "\(check.output)")
        #expect(!check.output.contains("s3cret-literal") || !message.contains("reference"))
    }
}
