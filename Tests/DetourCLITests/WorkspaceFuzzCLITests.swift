import DetourTestSupport
import Foundation
import Testing

/// A few mutated example workspaces through the real `detour check`: exit 0 or 2, never a crash,
/// every error line with `file:line:column`. The in-process fuzz test covers thousands more.
struct WorkspaceFuzzCLITests {
    static let caseCount = 8

    @Test func checkThroughTheBinarySurvivesMutatedFiles() throws {
        let seed = SplitMix64.seedFromEnvironment()
        print("workspace fuzz through the binary: \(Self.caseCount) cases, seed \(seed); replay with DETOUR_TEST_SEED=\(seed)")
        var random = SplitMix64(seed: seed)
        let workspace = try ExampleWorkspace.copy()
        let files = try ExampleWorkspace.files()
        let located = try Regex(#"^[^\s:]+:[0-9]+:[0-9]+: (error|warning): "#)
        for number in 0..<Self.caseCount {
            let file = files.randomElement(using: &random)!
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: workspace.root + "/" + file)))
            let mutation = WorkspaceMutation.allCases[number % WorkspaceMutation.allCases.count]
            let (bytes, what) = mutation.apply(to: original, using: &random)
            try workspace.write(file, bytes: bytes)
            let started = ContinuousClock.now
            let result = try DetourBinary.run(["check"], in: workspace.root)
            let replay = "case \(number) of seed \(seed), \(file): \(what)"
            // Generous for a process start on a busy machine; the load itself is checked at 2 s in-process.
            #expect(ContinuousClock.now - started < .seconds(10), "\(replay)")
            #expect(result.status == 0 || result.status == 2, "\(replay): exit \(result.status)\n\(result.stderr)")
            for line in result.stderr.split(separator: "\n") where line.contains(": error: ") || line.contains(": warning: ") {
                #expect(line.prefixMatch(of: located) != nil, "\(replay): \(line)")
            }
            try workspace.write(file, bytes: original)
        }
    }
}
