import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// The example workspace, broken thousands of ways: loading it never crashes, never takes 2 s, and
/// every diagnostic points at a real place with `file:line:column`.
///
/// The seed is printed; `DETOUR_TEST_SEED=<seed> swift test --filter WorkspaceFuzzTests` replays a run.
struct WorkspaceFuzzTests {
    /// Mutated workspaces loaded per run.
    static let caseCount = 2_400

    @Test func checkSurvivesMutatedExampleFiles() throws {
        let seed = SplitMix64.seedFromEnvironment()
        print("workspace fuzz: \(Self.caseCount) cases, seed \(seed); replay with DETOUR_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let workspace = try ExampleWorkspace.copy()
        let files = try ExampleWorkspace.files()
        var originals: [String: [UInt8]] = [:]
        for file in files { originals[file] = Array(try Data(contentsOf: URL(fileURLWithPath: workspace.root + "/" + file))) }
        let originalLines = originals.mapValues(Self.lineCount)
        var withErrors = 0
        var slowest = Duration.zero
        for number in 0..<Self.caseCount {
            let file = files[number % files.count]
            var bytes = originals[file]!
            var done: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let mutation = WorkspaceMutation.allCases.randomElement(using: &random)!
                let (mutated, what) = mutation.apply(to: bytes, using: &random)
                bytes = mutated
                done.append(what)
            }
            try workspace.write(file, bytes: bytes)
            let started = ContinuousClock.now
            let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
            let spent = ContinuousClock.now - started
            slowest = max(slowest, spent)
            let replay = "case \(number) of seed \(seed), \(file): \(done.joined(separator: "; "))"
            #expect(spent < .seconds(2), "\(replay) took \(spent)")
            if load.hasErrors { withErrors += 1 }
            #expect(load.hasErrors == (load.workspace == nil), "\(replay)")
            var lines = originalLines
            lines[file] = Self.lineCount(bytes)
            for diagnostic in load.diagnostics {
                if let problem = Self.problem(with: diagnostic, lines: lines) {
                    Issue.record("\(replay): \(problem): \(diagnostic)")
                }
            }
            try workspace.write(file, bytes: originals[file]!)
        }
        print("workspace fuzz: \(withErrors) of \(Self.caseCount) mutated workspaces had errors; slowest load \(slowest)")
        // A fuzzer whose mutations all pass unnoticed is not testing anything.
        #expect(withErrors > Self.caseCount / 3)
    }

    /// What is wrong with where a diagnostic points, if anything.
    static func problem(with diagnostic: Diagnostic, lines: [String: Int]) -> String? {
        let location = diagnostic.location
        guard let count = lines[location.file] ?? (["channels", "playbooks"].contains(location.file) ? 1 : nil) else { return "names no workspace file" }
        guard location.line >= 1, location.column >= 1 else { return "has no line and column" }
        guard location.line <= count else { return "points past the end of the file (line \(location.line) of \(count))" }
        guard !diagnostic.message.isEmpty, !diagnostic.message.contains("DetourCore."), !diagnostic.message.contains("Optional(") else {
            return "is not a sentence for a person"
        }
        return nil
    }

    /// At most how many lines the parser can count (LF, CR, CR LF; U+2028 and U+2029 too, to be safe), plus one:
    /// a location may sit just past the last break.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        var count = 1
        var previous: UInt8 = 0
        for (index, byte) in bytes.enumerated() {
            // CR LF is one break; U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
            if byte == 0x0A && previous != 0x0D || byte == 0x0D { count += 1 }
            if (byte == 0xA8 || byte == 0xA9), index >= 2, bytes[index - 1] == 0x80, bytes[index - 2] == 0xE2 { count += 1 }
            previous = byte
        }
        return count
    }
}
