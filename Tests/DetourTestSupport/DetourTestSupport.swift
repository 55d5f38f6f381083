import Foundation

/// The outcome of running the `detour` binary.
public struct CommandResult: Sendable {
    /// Exit status.
    public var status: Int32
    /// Standard output.
    public var stdout: String
    /// Standard error.
    public var stderr: String
    /// Both, for assertions that do not care which.
    public var output: String { stdout + stderr }
}

/// Runs the built `detour` executable, as a user would.
public enum DetourBinary {
    /// The binary next to the test bundle in the build folder.
    public static var url: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // XCTest/Testing bundles live in <build>/<config>/; the executable is beside them.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("detour")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/detour")
    }

    /// Runs `detour` with arguments in a folder, with extra environment variables.
    @discardableResult
    public static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> CommandResult {
        try start(arguments, in: directory, environment: environment).wait()
    }

    /// Starts `detour` without waiting.
    public static func start(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> RunningCommand {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["DETOUR_STATE_DIR"] = nil
        env["DETOUR_WORKSPACE"] = nil
        // A fixed locale, so a developer's Japanese environment does not change the English a test expects.
        env["LANG"] = "C.UTF-8"
        for name in ["LC_ALL", "LC_MESSAGES", "LANGUAGE"] { env[name] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stdout = TemporaryFile()
        let stderr = TemporaryFile()
        process.standardOutput = stdout.handle
        process.standardError = stderr.handle
        try process.run()
        return RunningCommand(process: process, stdout: stdout, stderr: stderr)
    }
}

/// A started `detour` process.
public final class RunningCommand: @unchecked Sendable {
    // @unchecked: used from one test task at a time.
    public let process: Process
    private let stdout: TemporaryFile
    private let stderr: TemporaryFile

    init(process: Process, stdout: TemporaryFile, stderr: TemporaryFile) {
        self.process = process
        self.stdout = stdout
        self.stderr = stderr
    }

    /// What the process has written to standard output so far.
    public var stdoutSoFar: String { stdout.peek() }

    /// What the process has written to standard error so far.
    public var stderrSoFar: String { stderr.peek() }

    /// Waits until standard output or error contains `text`; false after `timeout`.
    public func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stdoutSoFar.contains(text) || stderrSoFar.contains(text) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits for the exit and collects the output.
    public func wait() -> CommandResult {
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: stdout.contents(), stderr: stderr.contents())
    }
}

/// A file for a child's output (pipes could fill up and block a chatty child).
final class TemporaryFile {
    let path = NSTemporaryDirectory() + "detour-test-\(UUID().uuidString)"
    let handle: FileHandle

    init() {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)!
    }

    func peek() -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    func contents() -> String {
        try? handle.close()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A workspace folder written by a test, removed afterwards.
public final class TemporaryWorkspace: @unchecked Sendable {
    // @unchecked: written once at creation, then only read.
    /// The folder.
    public let root: String

    /// Creates an empty workspace with `channels/` and `playbooks/`.
    public init() throws {
        root = NSTemporaryDirectory() + "detour-ws-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/channels", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/playbooks", withIntermediateDirectories: true)
    }

    /// Writes a file relative to the workspace.
    public func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Removes a file.
    public func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: root + "/" + path)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Waits until `condition` holds, checking every 10 ms without blocking a thread; false only if
/// it never does within `limit`, a bound far beyond any wait the tests expect, so a slow machine
/// makes a test slower, never red.
public func eventually(within limit: Duration = .seconds(30), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

extension TemporaryWorkspace {
    /// The journal's segment files in `.detour`, oldest first (an earlier release's single `journal.jsonl` first).
    public var journalSegments: [String] {
        let state = root + "/.detour"
        let legacy = FileManager.default.fileExists(atPath: state + "/journal.jsonl") ? [state + "/journal.jsonl"] : []
        let segments = ((try? FileManager.default.contentsOfDirectory(atPath: state + "/journal")) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        return legacy + segments.map { state + "/journal/" + $0 }
    }

    /// Every journal line of every segment, in order.
    public func journalText() throws -> String {
        try journalSegments.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
    }
}
