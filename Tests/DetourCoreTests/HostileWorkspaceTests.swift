import DetourTestSupport
import Foundation
import Testing

@testable import DetourCore

/// One hostile line in an otherwise valid workspace and the diagnostic it must produce at `marker`.
struct HostileLine: Sendable, CustomTestStringConvertible {
    var name: String
    /// `channels/shop.json5`, `playbooks/p.json5` or `detour.json5`.
    var file: String
    /// The line replaced (0 adds one before the closing brace); ignored for `detour.json5`, which is written whole.
    var line: Int
    var text: String
    /// Text of `text` where the diagnostic must point.
    var marker: String
    var fragments: [String]
    var severity: Diagnostic.Severity = .error
    var testDescription: String { name }

    /// `file:line:column` of the marker.
    var location: String {
        let column =
            text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: text.range(of: marker)!.lowerBound.samePosition(in: text.unicodeScalars)!)
            + 1
        let number = file == "detour.json5" ? 2 : (line == 0 ? 6 : line)
        return "\(file):\(number):\(column)"
    }
}

/// Numbers, times, names, patterns and files a careless or hostile merchant could write: `check` answers each
/// with its place, and never crashes.
struct HostileWorkspaceTests {
    static let channelLine = 0
    static let stepLine = 4
    static let onLine = 2

    static let lines: [HostileLine] = [
        // Numbers and durations.
        HostileLine(
            name: "a duration that overflows", file: "channels/shop.json5", line: channelLine, text: #"  schedule: { every: "999999999d" },"#,
            marker: #""999999999d""#, fragments: ["longer than 366 days", #""366d""#]),
        HostileLine(
            name: "a duration one day too long", file: "channels/shop.json5", line: channelLine, text: #"  schedule: { every: "367d" },"#,
            marker: #""367d""#, fragments: ["longer than 366 days"]),
        HostileLine(
            name: "a sum of parts over the limit", file: "channels/shop.json5", line: channelLine, text: #"  schedule: { confirmEvery: "8784h1ms" },"#,
            marker: #""8784h1ms""#, fragments: ["longer than 366 days"]),
        HostileLine(
            name: "a duration that overflows Int64", file: "channels/shop.json5", line: channelLine,
            text: "  schedule: { every: \"\(String(repeating: "999999999d", count: 200))\" },",
            marker: #""999999999d"#, fragments: ["longer than 366 days"]),
        HostileLine(
            name: "a step timeout of years", file: "playbooks/p.json5", line: stepLine,
            text: #"    { id: "a", do: "http", timeout: "９９９９９９９９９ｄ", request: { url: "http://127.0.0.1:9/a" } },"#,
            marker: #""９９９９９９９９９ｄ""#, fragments: ["longer than 366 days"]),
        HostileLine(
            name: "perHour 1e20", file: "channels/shop.json5", line: channelLine, text: #"  revenue: { perHour: 1e20 },"#, marker: "1e20",
            fragments: [#""perHour""#, "1,000,000,000,000"]),
        HostileLine(
            name: "perHour just over 1e12", file: "channels/shop.json5", line: channelLine, text: #"  revenue: { perHour: 1000000000001 },"#,
            marker: "1000000000001", fragments: [#""perHour""#]),
        HostileLine(
            name: "a weekday factor of 1e300", file: "channels/shop.json5", line: channelLine,
            text: #"  revenue: { perHour: 100, byWeekday: { sat: 1e300 } },"#, marker: "1e300", fragments: ["at most 1,000"]),
        HostileLine(
            name: "an hour factor over 1,000", file: "channels/shop.json5", line: channelLine,
            text: #"  revenue: { perHour: 100, byHour: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1001] },"#,
            marker: "1001", fragments: ["at most 1,000"]),
        HostileLine(
            name: "a sale multiplier of 1e19", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "2026-12-04", to: "2026-12-05", multiplier: 1e19 }] },"#, marker: "1e19",
            fragments: [#""multiplier""#, "1,000"]),
        HostileLine(
            name: "a sale multiplier of 1,001", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "2026-12-04", to: "2026-12-05", multiplier: 1001 }] },"#, marker: "1001",
            fragments: [#""multiplier""#]),
        HostileLine(
            name: "a negative infinity multiplier", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "2026-12-04", to: "2026-12-05", multiplier: -Infinity }] },"#, marker: "-Infinity",
            fragments: ["must be a number"]),
        // Times.
        HostileLine(
            name: "a full-width month out of range", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "２０２６-１３-04", to: "2026-12-05", multiplier: 2 }] },"#, marker: #""２０２６-１３-04""#,
            fragments: ["is not a time"]),
        HostileLine(
            name: "Arabic-Indic digits", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "٢٠٢٦-١٢-٠٤", to: "2026-12-05", multiplier: 2 }] },"#, marker: #""٢٠٢٦-١٢-٠٤""#,
            fragments: ["is not a time"]),
        HostileLine(
            name: "an offset of 99 hours", file: "channels/shop.json5", line: channelLine,
            text: #"  maintenance: [{ from: "2026-12-02T01:00+99:00", to: "2026-12-02T06:00+09:00" }],"#, marker: #""2026-12-02T01:00+99:00""#,
            fragments: ["is not a time"]),
        HostileLine(
            name: "February 30", file: "channels/shop.json5", line: channelLine,
            text: #"  maintenance: [{ from: "2026-02-30", to: "2026-03-02" }],"#, marker: #""2026-02-30""#, fragments: ["is not a time"]),
        HostileLine(
            name: "full-width digits glued to a word", file: "channels/shop.json5", line: channelLine, text: #"  revenue: { perHour: ８０ｘ },"#,
            marker: "８０ｘ", fragments: ["invalid number"]),
        // Cron expressions that never fire.
        HostileLine(
            name: "February 31", file: "playbooks/p.json5", line: onLine, text: #"  on: { event: "schedule", cron: "0 0 31 2 *" },"#,
            marker: #""0 0 31 2 *""#, fragments: ["never fires", "feb"]),
        HostileLine(
            name: "the 30th of February", file: "playbooks/p.json5", line: onLine, text: #"  on: { event: "schedule", cron: "0 0 30 feb *" },"#,
            marker: #""0 0 30 feb *""#, fragments: ["never fires"]),
        HostileLine(
            name: "the 31st of 30-day months", file: "playbooks/p.json5", line: onLine,
            text: #"  on: { event: "schedule", cron: "0 0 31 4,6,9,11 *" },"#, marker: #""0 0 31 4,6,9,11 *""#, fragments: ["never fires"]),
        HostileLine(
            name: "a full-width cron field out of range", file: "playbooks/p.json5", line: onLine,
            text: #"  on: { event: "schedule", cron: "０ ２５ * * *" },"#, marker: #""０ ２５ * * *""#, fragments: ["hour field"]),
        // Patterns.
        HostileLine(
            name: "a nested quantifier", file: "channels/shop.json5", line: 5,
            text: #"  probes: [{ name: "top", url: "http://127.0.0.1:9/", expect: { bodyMatches: "(\\d+,?)+円" } }],"#, marker: #""(\\d+,?)+円""#,
            fragments: ["repeats a group that itself repeats"], severity: .warning),
        HostileLine(
            name: "a starred star", file: "channels/shop.json5", line: 5,
            text: #"  probes: [{ name: "top", url: "http://127.0.0.1:9/", expect: { bodyMatches: ["ok", "(a*)*b"] } }],"#, marker: #""(a*)*b""#,
            fragments: ["repeats a group that itself repeats"], severity: .warning),
    ]

    /// The valid base workspace with one hostile line written in.
    static func workspace(with line: HostileLine) throws -> TemporaryWorkspace {
        if line.file == "detour.json5" {
            let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
            try workspace.write("detour.json5", "{\n\(line.text)\n}\n")
            return workspace
        }
        return try WorkspaceDiagnosticsTests.workspace(applying: [line.file: [line.line: line.text]])
    }

    @Test(arguments: lines)
    func reportsTheHostileLineWhereItIs(_ line: HostileLine) throws {
        let workspace = try Self.workspace(with: line)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let match = load.diagnostics.first { $0.location.description == line.location && $0.severity == line.severity }
        #expect(match != nil, "no \(line.severity) at \(line.location); got \(load.diagnostics.map(\.description))")
        for fragment in line.fragments {
            #expect(match?.message.contains(fragment) == true, "\(match?.description ?? "-") lacks \(fragment)")
        }
        #expect(load.hasErrors == (line.severity == .error))
    }

    static let accepted: [HostileLine] = [
        HostileLine(
            name: "a full-width offset", file: "detour.json5", line: 0,
            text: #"  calendar: { sales: [{ name: "x", from: "2026-12-04T20:00+０９:００", to: "２０２６-12-05", multiplier: ３ }] },"#, marker: "",
            fragments: []),
        HostileLine(
            name: "full-width durations and numbers", file: "channels/shop.json5", line: channelLine,
            text:
                #"  schedule: { every: "５ｍ", confirmEvery: "３０ｓ", failAfter: ３ }, revenue: { perHour: ８００００, byHour: [１．５, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },"#,
            marker: "", fragments: []),
        HostileLine(
            name: "a full-width status class", file: "channels/shop.json5", line: 5,
            text: #"  probes: [{ name: "top", url: "http://127.0.0.1:9/", expect: { status: "２xx", bodyMatches: "[\\d,]+円" } }],"#, marker: "",
            fragments: []),
        HostileLine(
            name: "a full-width cron", file: "playbooks/p.json5", line: onLine, text: #"  on: { event: "schedule", cron: "０ ８ ２９ ２ *" },"#,
            marker: "", fragments: []),
        HostileLine(
            name: "366 days exactly", file: "channels/shop.json5", line: channelLine, text: #"  schedule: { every: "366d" },"#, marker: "",
            fragments: []),
    ]

    @Test(arguments: accepted)
    func fullWidthDigitsAndTheLimitsThemselvesAreAccepted(_ line: HostileLine) throws {
        let workspace = try Self.workspace(with: line)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics.map(\.description))")
    }

    @Test func fullWidthTimesMeanWhatTheyLookLike() throws {
        let workspace = try Self.workspace(with: Self.accepted[0])
        let sale = try #require(WorkspaceLoader(root: workspace.root, environment: [:]).load().workspace?.settings.calendar.sales.first)
        #expect(sale.from == LocalTime.parse("2026-12-04T11:00:00Z", in: .gmt))
        #expect(sale.to == LocalTime.parse("2026-12-05T00:00+09:00", in: .gmt))
        #expect(sale.multiplier == 3)
    }

    // MARK: Names

    @Test(arguments: [
        ("channels/Rakuten.json5", "rename the file to channels/rakuten.json5"),
        ("channels/楽天.json5", "such as channels/rakuten.json5"),
        ("channels/-shop2.json5", "to channels/shop2.json5"),
        ("channels/my shop.json5", "to channels/my-shop.json5"),
        ("channels/.hidden.json5", "to channels/hidden.json5"),
        ("playbooks/Mall Down!.json5", "to playbooks/mall-down.json5"),
        ("playbooks/_x.json5", "to playbooks/x.json5"),
        ("playbooks/ｍａｌｌ.json5", "to playbooks/mall.json5"),
    ])
    func fileNamesThatAreNotIdsAreRejected(file: String, advice: String) throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        let source = file.hasPrefix("channels/") ? WorkspaceDiagnosticsTests.channel : WorkspaceDiagnosticsTests.playbook
        try workspace.write(file, source.joined(separator: "\n"))
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let problem = load.diagnostics.first { $0.location.description == "\(file):1:1" && $0.message.contains("is not a valid") }
        #expect(problem != nil, "\(load.diagnostics.map(\.description))")
        #expect(problem?.message.contains(advice) == true, "\(problem?.message ?? "-")")
        #expect(load.workspace == nil)
    }

    @Test func idsWithDigitsDashesAndUnderscoresAreFine() throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        try workspace.write("channels/0-own_site.json5", WorkspaceDiagnosticsTests.channel.joined(separator: "\n"))
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        #expect(load.diagnostics.isEmpty, "\(load.diagnostics.map(\.description))")
    }

    // MARK: file: credentials

    enum SecretPlace: String, CaseIterable, Sendable {
        case directory, fifo, device, tooLarge, regular
    }

    @Test(arguments: SecretPlace.allCases)
    func fileCredentialsMustBeSmallRegularFiles(_ place: SecretPlace) throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        let reference: String
        switch place {
        case .directory: reference = "file:secrets"
        case .fifo:
            reference = "file:token.fifo"
            #expect(mkfifo(workspace.root + "/token.fifo", 0o600) == 0)
        case .device: reference = "file:/dev/zero"
        case .tooLarge:
            reference = "file:token.txt"
            try workspace.write("token.txt", String(repeating: "a", count: 64 << 10 + 1))
        case .regular:
            reference = "file:token.txt"
            try workspace.write("token.txt", "a-long-enough-token\n")
        }
        try FileManager.default.createDirectory(atPath: workspace.root + "/secrets", withIntermediateDirectories: true)
        let line = #"    { id: "a", do: "line.broadcast", token: "\#(reference)", text: "hello" },"#
        try workspace.write(
            "playbooks/p.json5",
            (WorkspaceDiagnosticsTests.playbook.prefix(3) + [line] + WorkspaceDiagnosticsTests.playbook.suffix(2)).joined(separator: "\n"))
        let started = ContinuousClock.now
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        #expect(ContinuousClock.now - started < .seconds(2))
        // The 0-based index of "file:" is the 1-based column of its opening quote.
        let column = Array(line.unicodeScalars).firstIndex(of: "f")!
        let problem = load.diagnostics.first { $0.location.description == "playbooks/p.json5:4:\(column)" }
        if place == .regular {
            #expect(load.diagnostics.isEmpty, "\(load.diagnostics.map(\.description))")
            let resolver = SecretResolver(environment: [:], workspaceRoot: workspace.root)
            #expect(try resolver.resolve(.file("token.txt")) == "a-long-enough-token")
        } else {
            #expect(problem?.severity == .error, "\(load.diagnostics.map(\.description))")
            let kind = ["directory": "is a directory", "fifo": "is a named pipe", "device": "is a device", "tooLarge": "more than the 64 KB"][place.rawValue]!
            #expect(problem?.message.contains(kind) == true, "\(problem?.message ?? "-")")
            #expect(problem?.message.contains("regular file of at most 64 KB") == true)
            // The step itself refuses it too, at once, instead of blocking or reading forever.
            let resolver = SecretResolver(environment: [:], workspaceRoot: workspace.root)
            #expect(throws: SecretError.self) { try resolver.resolve(CredentialReference.parse(reference)!) }
        }
    }

    // MARK: Sizes

    @Test func aWorkspaceFileOverOneMegabyteIsRefusedWithItsPath() throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        let padding = String(repeating: "// 詰め物のコメント\n", count: 40_000)
        try workspace.write("channels/shop.json5", padding + WorkspaceDiagnosticsTests.channel.joined(separator: "\n"))
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let problem = load.diagnostics.first { $0.location.description == "channels/shop.json5:1:1" }
        #expect(problem?.message.contains("channels/shop.json5 is 1.") == true, "\(load.diagnostics.map(\.description))")
        #expect(problem?.message.contains("at most 1 MB") == true)
    }

    @Test func aFolderNamedLikeAWorkspaceFileIsRefused() throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        try FileManager.default.createDirectory(atPath: workspace.root + "/playbooks/extra.json5", withIntermediateDirectories: true)
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let problem = load.diagnostics.first { $0.location.description == "playbooks/extra.json5:1:1" }
        #expect(problem?.message.contains("is a directory") == true, "\(load.diagnostics.map(\.description))")
    }

    @Test func aHundredDiagnosticsPerFileThenASum() throws {
        let workspace = try WorkspaceDiagnosticsTests.workspace(applying: [:])
        // 20,000 unknown alternates: 20,000 errors in one file, under the 1 MB limit.
        let alternates = (0..<20_000).map { _ in #""x""# }.joined(separator: ",")
        try workspace.write(
            "channels/shop.json5", WorkspaceDiagnosticsTests.channel.dropLast().joined(separator: "\n") + "\n  alternates: [\(alternates)],\n}\n")
        let load = WorkspaceLoader(root: workspace.root, environment: [:]).load()
        let inFile = load.diagnostics.filter { $0.location.file == "channels/shop.json5" }
        #expect(inFile.count == 101)
        let summary = try #require(inFile.first { $0.message.hasPrefix("and ") })
        #expect(summary.message.contains("and 19,900 more problems in channels/shop.json5"), "\(summary)")
        #expect(summary.severity == .error)
        #expect(load.workspace == nil)
    }
}
