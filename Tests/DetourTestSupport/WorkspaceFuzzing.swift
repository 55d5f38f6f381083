import Foundation

/// A small, fast, seedable generator (SplitMix64), so a failing fuzz run can be replayed exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Starts the sequence at `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed from `DETOUR_TEST_SEED` (decimal or 0x-hex), else one derived from the time.
    public static func seedFromEnvironment() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["DETOUR_TEST_SEED"] {
            if text.hasPrefix("0x"), let seed = UInt64(text.dropFirst(2), radix: 16) { return seed }
            if let seed = UInt64(text) { return seed }
        }
        return UInt64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds) ^ 0x5DEE_CE66_D1CE_4E5B
    }
}

/// Breaks workspace files the way editors, input methods, careless merchants and attackers do.
public enum WorkspaceMutation: String, CaseIterable, Sendable {
    case flipBits
    case truncate
    case deleteLine
    case duplicateLine
    case insertUnicode
    case fullWidthDigits
    case hostileValue

    /// Scalars that have broken parsers elsewhere: controls, BOMs, direction overrides, separators,
    /// combining marks, full-width forms, emoji, CJK and other scripts' digits.
    static let awkwardScalars: [Unicode.Scalar] = [
        "\u{0}", "\u{1}", "\u{7}", "\u{8}", "\u{B}", "\u{C}", "\u{D}", "\u{1B}", "\u{7F}", "\u{85}", "\u{A0}", "\u{AD}", "\u{200B}", "\u{200D}",
        "\u{202E}", "\u{2028}", "\u{2029}", "\u{3000}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "\u{301}", "\u{FF10}", "\u{FF19}", "\u{FF1A}",
        "\u{FF0B}", "\u{FF0D}", "\u{FF02}", "\u{FF5B}", "\u{FF5D}", "\u{1F600}", "\u{10FFFF}", "\u{0663}", "\u{0969}", "楽", "ー", "”", "\"",
        "'", "\\", "{", "}", "[", "]", ":", ",", "/", "*", "`", "\t", "\n",
    ]

    /// Values that have overflowed, stalled or confused Detour before.
    static let hostileValues = [
        "999999999d", "1e20", "1e400", "-1e400", "9.3e18", "NaN", "-Infinity", "0x7fffffffffffffff", "２０２６-12-04T20:00+０９:００", "２０２６-12-04",
        "\"(\\\\d+,?)+円\"", "\"(a*)*\"", "\"0 0 31 2 *\"", "\"file:/dev/zero\"", "\"file:/\"", "\"env:\"", "\"{{channel.\"", "\"{{env.X}}\"",
        "\"9999-99-99\"", "\"366d1ms\"", "\"../../etc/passwd\"", "[[[[[[[[[[[[[[[[", "{}", "[]", "null", "\"\"", "-0", "1e-400",
        String(repeating: "9", count: 400), "\"" + String(repeating: "あ", count: 5_000) + "\"",
    ]

    /// `bytes` with this mutation applied at places chosen by `random`; a short description says what was done.
    public func apply(to bytes: [UInt8], using random: inout SplitMix64) -> (bytes: [UInt8], what: String) {
        var bytes = bytes
        guard !bytes.isEmpty else { return ([UInt8](Self.hostileValues.randomElement(using: &random)!.utf8), "\(rawValue) of an empty file") }
        switch self {
        case .flipBits:
            let count = Int.random(in: 1...4, using: &random)
            var places: [Int] = []
            for _ in 0..<count {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
                places.append(index)
            }
            return (bytes, "flipped bits at bytes \(places)")
        case .truncate:
            let length = Int.random(in: 0..<bytes.count, using: &random)
            return (Array(bytes.prefix(length)), "cut to \(length) bytes")
        case .deleteLine, .duplicateLine:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            let index = Int.random(in: 0..<lines.count, using: &random)
            if self == .deleteLine {
                lines.remove(at: index)
            } else {
                lines.insert(lines[index], at: Int.random(in: 0...lines.count, using: &random))
            }
            return (Array(lines.joined(separator: [UInt8(ascii: "\n")])), "\(self == .deleteLine ? "deleted" : "duplicated") line \(index + 1)")
        case .insertUnicode:
            let scalar = Self.awkwardScalars.randomElement(using: &random)!
            let index = boundary(in: bytes, near: Int.random(in: 0...bytes.count, using: &random))
            bytes.insert(contentsOf: Array(String(scalar).utf8), at: index)
            return (bytes, "inserted U+\(String(scalar.value, radix: 16, uppercase: true)) at byte \(index)")
        case .fullWidthDigits:
            // Every ASCII digit of one line becomes its full-width form, as an input method would type it.
            let text = String(decoding: bytes, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = Int.random(in: 0..<lines.count, using: &random)
            lines[index] = String(
                String.UnicodeScalarView(
                    lines[index].unicodeScalars.map { ("0"..."9").contains($0) ? Unicode.Scalar($0.value + 0xFEE0)! : $0 }))
            return (Array(lines.joined(separator: "\n").utf8), "full-width digits on line \(index + 1)")
        case .hostileValue:
            // Replaces one value (after a `: `) with a hostile one.
            let text = String(decoding: bytes, as: UTF8.self)
            let colons = text.indices.filter { text[$0] == ":" && text.index(after: $0) < text.endIndex && text[text.index(after: $0)] == " " }
            guard let colon = colons.randomElement(using: &random) else { return (bytes, "no value to replace") }
            let start = text.index(colon, offsetBy: 2)
            var end = start
            var depth = 0
            var inString = false
            while end < text.endIndex {
                let c = text[end]
                if inString {
                    if c == "\"" { inString = false }
                } else if c == "\"" {
                    inString = true
                } else if c == "{" || c == "[" {
                    depth += 1
                } else if c == "}" || c == "]" {
                    if depth == 0 { break }
                    depth -= 1
                } else if (c == "," || c == "\n") && depth == 0 {
                    break
                }
                end = text.index(after: end)
            }
            let value = Self.hostileValues.randomElement(using: &random)!
            let line = text[..<colon].count { $0 == "\n" } + 1
            return (Array((text[..<start] + value + text[end...]).utf8), "value on line \(line) replaced with \(value.prefix(40))")
        }
    }

    /// The nearest index at or before `index` that starts a UTF-8 sequence.
    private func boundary(in bytes: [UInt8], near index: Int) -> Int {
        var index = index
        while index > 0, index < bytes.count, bytes[index] & 0xC0 == 0x80 { index -= 1 }
        return index
    }
}

/// The repository's example workspace: `detour.json5`, `channels/` and `playbooks/`.
public enum ExampleWorkspace {
    /// The repository root, found from this file's place.
    public static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Every example workspace file, relative to the root, sorted.
    public static func files() throws -> [String] {
        var files = ["detour.json5"]
        for folder in ["channels", "playbooks"] {
            files += try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).filter { $0.hasSuffix(".json5") }.sorted().map {
                folder + "/" + $0
            }
        }
        return files
    }

    /// A copy of the example workspace in a temporary folder.
    public static func copy() throws -> TemporaryWorkspace {
        let workspace = try TemporaryWorkspace()
        for file in try files() {
            try FileManager.default.copyItem(atPath: root + "/" + file, toPath: workspace.root + "/" + file)
        }
        return workspace
    }
}

extension TemporaryWorkspace {
    /// Writes raw bytes to a file relative to the workspace.
    public func write(_ path: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + path))
    }
}
