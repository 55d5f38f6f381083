import DetourCore
import Foundation
import Testing

@testable import DetourCLI

/// The command-line parser on its own: typed options, flags, positionals and the usage errors.
struct ArgumentParserTests {
    static let reason = Option.string("reason", short: "r", help: "why")
    static let outage = Option.duration("outage", help: "how long")
    static let until = Option.time("until", short: "u", durations: .ahead, help: "when")
    static let since = Option.time("since", durations: .back, help: "from")
    static let start = Option.time("start", help: "when it starts")
    static let channel = Option.channel(help: "which channel")
    static let out = Option.path("out", short: "o", value: "DIR", help: "where")
    static let port = Option.port(help: "port")
    static let dryRun = Flag("dry-run", short: "n", help: "change nothing")
    static let declarations: [any OptionDeclaration] = [reason, outage, until, since, start, channel, out, port, dryRun]
    static let positional = [ArgumentSpec(name: "CHANNEL", help: "the channel id")]

    func parse(_ arguments: [String], positional: [ArgumentSpec] = positional) throws(UsageError) -> ParsedArguments {
        try ParsedArguments.parse(arguments, options: Self.declarations.map(\.spec), positional: positional)
    }

    func usageError(_ arguments: [String], positional: [ArgumentSpec] = positional) -> String? {
        do {
            _ = try parse(arguments, positional: positional)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func longShortAndInlineFormsReadTheSameValue() throws {
        for arguments in [["mall", "--reason", "決済"], ["mall", "-r", "決済"], ["mall", "--reason=決済"], ["--reason", "決済", "mall"]] {
            let parsed = try parse(arguments)
            #expect(try parsed.value(Self.reason) == "決済", "\(arguments)")
            #expect(parsed.positionals == ["mall"])
        }
    }

    @Test func theLastValueWinsAndEveryValueIsKept() throws {
        let parsed = try parse(["mall", "-c", "a", "--channel", "b"])
        #expect(try parsed.value(Self.channel) == ChannelID("b"))
        #expect(try parsed.values(Self.channel) == [ChannelID("a"), ChannelID("b")])
    }

    @Test func absentOptionsAreNilAndAbsentFlagsFalse() throws {
        let parsed = try parse(["mall"])
        #expect(try parsed.value(Self.reason) == nil)
        #expect(try parsed.values(Self.channel).isEmpty)
        #expect(!parsed.flag(Self.dryRun))
        #expect(try parse(["mall", "-n"]).flag(Self.dryRun))
    }

    @Test func aDoubleDashEndsTheOptions() throws {
        let parsed = try parse(["--", "--reason"], positional: [ArgumentSpec(name: "WORD", help: "")])
        #expect(parsed.positionals == ["--reason"])
        #expect(try parsed.value(Self.reason) == nil)
    }

    @Test(arguments: [
        (["mall", "--reasn", "x"], "unknown option '--reasn'; did you mean '--reason'?"),
        (["mall", "--dry"], "unknown option '--dry'; did you mean '--dry-run'?"),
        (["mall", "-x"], "unknown option '-x'"),
        (["mall", "--dry-run=yes"], "'--dry-run' takes no value"),
        (["mall", "--reason"], "'--reason' needs a value: --reason TEXT"),
        (["mall", "shop"], "unexpected argument 'shop'"),
        ([], "missing CHANNEL: the channel id"),
    ])
    func mistakesAreUsageErrorsThatSayWhatToWrite(arguments: [String], message: String) {
        #expect(usageError(arguments) == message)
    }

    @Test func helpNeedsNoneOfTheArguments() throws {
        let parsed = try ParsedArguments.parse(["--help"], options: (Self.declarations + CLI.globalOptions).map(\.spec), positional: Self.positional)
        #expect(parsed.flag(CLI.help))
    }

    @Test func durationsAreCheckedAsTheyAreRead() throws {
        #expect(try parse(["mall", "--outage", "1h30m"]).value(Self.outage) == .seconds(5_400))
        for text in ["soon", "0m", "367d"] {
            #expect(throws: UsageError.self, "\(text)") { try parse(["mall", "--outage", text]).value(Self.outage) }
        }
    }

    @Test func timesAreReadInTheZoneTheyAreResolvedIn() throws {
        let now = try #require(LocalTime.parse("2026-12-02T01:00:00+09:00", in: .gmt))
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        let start = try #require(try parse(["mall", "--start", "2026-12-02T06:00"]).value(Self.start))
        #expect(try start.date(now: now, zone: tokyo) == LocalTime.parse("2026-12-02T06:00+09:00", in: .gmt))
        #expect(try start.date(now: now, zone: .gmt) == LocalTime.parse("2026-12-02T06:00Z", in: .gmt))
        let ahead = try #require(try parse(["mall", "--until", "2h"]).value(Self.until))
        #expect(try ahead.date(now: now, zone: tokyo) == now.addingTimeInterval(7_200))
        let back = try #require(try parse(["mall", "--since", "7d"]).value(Self.since))
        #expect(try back.date(now: now, zone: tokyo) == now.addingTimeInterval(-7 * 86_400))
    }

    @Test func aTimeThatDoesNotExistInTheZoneIsRefusedNotDropped() throws {
        let apia = try #require(TimeZone(identifier: "Pacific/Apia"))
        let skipped = try #require(try parse(["mall", "--start", "2011-12-30T12:00"]).value(Self.start))
        #expect(throws: UsageError.self) { try skipped.date(now: Date(), zone: apia) }
    }

    @Test(arguments: [
        (["mall", "--start", "7d"], "--start \"7d\" is not a time"),
        (["mall", "--until", "tomorrow"], "--until \"tomorrow\" is not a time"),
        (["mall", "--since", ""], "--since needs a time such as"),
        (["mall", "--until", "367d"], "--until \"367d\" is longer than 366 days"),
    ])
    func timeFormsAreCheckedBeforeAnythingLoads(arguments: [String], message: String) throws {
        let parsed = try parse(arguments)
        do {
            _ = try parsed.value(Self.start)
            _ = try parsed.value(Self.until)
            _ = try parsed.value(Self.since)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test func pathsAreReadFromTheCurrentFolderUnlessAbsolute() throws {
        #expect(try parse(["mall", "-o", "public"]).value(Self.out)?.absolute(in: "/srv/shop") == "/srv/shop/public")
        #expect(try parse(["mall", "-o", "/var/www"]).value(Self.out)?.absolute(in: "/srv/shop") == "/var/www")
        #expect(try parse(["mall", "--port", "0"]).value(Self.port) == 0)
        #expect(throws: UsageError.self) { try parse(["mall", "--port", "65536"]).value(Self.port) }
    }

    @Test func globalOptionsMayComeBeforeTheCommand() throws {
        #expect(try CLI.movingLeadingGlobalOptions(["-w", "/ws", "--json", "status"]) == ["status", "-w", "/ws", "--json"])
        #expect(try CLI.movingLeadingGlobalOptions(["--state-dir=/s", "tick", "-v"]) == ["tick", "--state-dir=/s", "-v"])
        #expect(try CLI.movingLeadingGlobalOptions(["tick", "-w", "/ws"]) == ["tick", "-w", "/ws"])
        #expect(throws: UsageError.self) { try CLI.movingLeadingGlobalOptions(["-w"]) }
        #expect(throws: UsageError.self) { try CLI.movingLeadingGlobalOptions(["-w", "/ws"]) }
    }

    @Test func everyCommandNameAndOptionIsDeclaredOnce() {
        let names = CLI.commands.map(\.name)
        #expect(Set(names).count == names.count)
        let globals = Set(CLI.globalOptions.map(\.spec.name))
        for entry in CLI.commands {
            let options = entry.options.map(\.spec.name)
            #expect(Set(options).count == options.count, "\(entry.name)")
            #expect(globals.isDisjoint(with: options), "\(entry.name)")
        }
    }

    @Test(arguments: [("tik", "tick"), ("statu", "status"), ("failvoer", "failover"), ("reprot", "report")])
    func oneSuggestionForEveryMistypedName(typed: String, meant: String) {
        #expect(closestMatch(to: typed, in: CLI.commands.map(\.name)) == meant)
    }
}
