import DetourCore
import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The deployment examples in docs/deploy run as written (paths swapped for a test workspace).
@Suite(.serialized)
final class DeployExamplesTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/deploy").path
    let envFile: String
    let logFile: String

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/shop.json5",
            "{ name: \"店\", kind: \"own-site\", url: \"\(sandbox.baseURL)/store/shop/\", probes: [{ url: \"\(sandbox.baseURL)/store/shop/\" }] }")
        envFile = workspace.root + "/env"
        logFile = workspace.root + "/tick.log"
        try "LINE_CHANNEL_TOKEN=example\n".write(toFile: envFile, atomically: true, encoding: .utf8)
    }

    deinit { sandbox.stop() }

    func file(_ name: String) throws -> String { try String(contentsOfFile: deploy + "/" + name, encoding: .utf8) }

    /// Swaps the example's install paths for this test's.
    func localize(_ command: String) -> String {
        command.replacingOccurrences(of: "/srv/detour", with: workspace.root)
            .replacingOccurrences(of: "/etc/detour/env", with: envFile)
            .replacingOccurrences(of: "/var/log/detour/tick.log", with: logFile)
            .replacingOccurrences(of: "/usr/local/bin/detour", with: DetourBinary.url.path)
    }

    func shell(_ command: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: workspace.root)
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func theCrontabLineIsValidAndRuns() throws {
        let line = try #require(try file("crontab").split(separator: "\n").first { $0.first.map { "*0123456789".contains($0) } == true })
        let fields = line.split(separator: " ", maxSplits: 5)
        _ = try CronExpression(fields[0..<5].joined(separator: " "))
        #expect(try shell(localize(String(fields[5]))) == 0)
        #expect(sandbox.hits("shop") == 1)
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/.detour/state.json"))
        #expect(FileManager.default.fileExists(atPath: logFile))
    }

    @Test(arguments: ["detour-tick.service", "detour-watch.service"])
    func systemdUnitsNameARealCommand(unit: String) throws {
        let text = try file(unit)
        let exec = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }).dropFirst("ExecStart=".count)
        let words = exec.split(separator: " ").map(String.init)
        #expect(words.first == "/usr/local/bin/detour")
        // The command's words are valid: its own help answers.
        let help = try DetourBinary.run(Array(words.dropFirst()) + ["--help"], in: workspace.root)
        #expect(help.status == 0)
        #expect(text.contains("WorkingDirectory=/srv/detour"))
        if unit == "detour-tick.service" { #expect(try shell(localize(String(exec))) == 0) }
    }

    @Test func theTimerFiresEveryMinute() throws {
        #expect(try file("detour-tick.timer").contains("OnCalendar=*-*-* *:*:00"))
    }

    @Test func theCronJobRunsTickWithItsScheduleAndPaths() throws {
        let yaml = try file("cronjob.yaml")
        let schedule = try #require(yaml.firstMatch(of: /schedule: "([^"]+)"/)).1
        _ = try CronExpression(String(schedule))
        let command = try #require(yaml.firstMatch(of: /command: \[(.+)\]/)).1
        let words = command.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        #expect(words.prefix(2) == ["detour", "tick"])
        let arguments = words.dropFirst().map { $0 == "/workspace" ? workspace.root : $0 == "/state" ? workspace.root + "/state" : $0 }
        let result = try DetourBinary.run(Array(arguments), in: NSTemporaryDirectory())
        #expect(result.status == 0, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/state/state.json"))
        #expect(sandbox.hits("shop") == 1)
    }
}
