import DetourCore
import Foundation

/// A deterministic pseudo-random generator (SplitMix64): the same seed gives the same run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed a test runs with: `DETOUR_TEST_SEED` when set (to replay a run), else one from the clock.
    public static func testSeed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["DETOUR_TEST_SEED"], let seed = UInt64(text) { return seed }
        return UInt64(Date().timeIntervalSince1970 * 1_000) & 0xFFFF_FFFF
    }
}

/// A workspace written to a temporary folder and loaded, for tests of the core.
public func loadWorkspace(_ files: [String: String], environment: [String: String] = [:]) throws -> (Workspace, TemporaryWorkspace) {
    let folder = try TemporaryWorkspace()
    for (path, text) in files { try folder.write(path, text) }
    let load = WorkspaceLoader(root: folder.root, environment: environment).load()
    guard let workspace = load.workspace else {
        struct Invalid: Error, CustomStringConvertible { var description: String }
        throw Invalid(description: load.diagnostics.map { "\($0)" }.joined(separator: "\n"))
    }
    return (workspace, folder)
}
