import DetourCore
import DetourSandbox
import Foundation

/// `detour simulate`: the workspace run through a timeline of outages on a simulated clock,
/// against the sandbox; what each outage would have cost with and without Detour.
struct SimulateCommand: Command {
    static let name = "simulate"
    static let abstract = "Run the workspace through a year of outages: what Detour would have saved, how fast, how many false alarms"
    static let discussion = """
        TIMELINE is a .json5 or .csv file of events: a channel, from, to and a shape (503, timeout,
        refused, maintenance-page, slow:4s, blip, captcha), or a provider failure
        { provider: "line", from, to, answer: 500 }. --generate seed:N makes a year at random instead.
        Every storefront and provider is a sandbox fake on 127.0.0.1 and every env: credential a stand-in:
        nothing leaves the machine, and the workspace's state folder is not touched.
        --settings and --sweep take KEY=VALUE words (every, confirmEvery, failAfter, recoverAfter,
        settle; CHANNEL.KEY for one channel), several after one option.
        """
    static let runsAsOption = Option.string("runs-as", value: "MODE", help: "tick:1m (cron runs detour tick each minute) or watch (default)")
    static let settingsOption = Option.string("settings", value: "KEY=VALUE", help: "change a setting for the run, like failAfter=2")
    static let sweepOption = Option.string("sweep", value: "KEY=V1,V2", help: "run every combination, like failAfter=2,3,4 confirmEvery=5s,10s,30s")
    static let generateOption = Option.string(
        "generate", value: "seed:N", help: "make a year of outages at random from a seed instead of reading TIMELINE")
    static let yearOption = Option.string("year", value: "YYYY", help: "with --generate: the year (default: last year)")
    static let saveOption = Option.string(
        "save", value: "FILE", help: "with --generate: write the timeline as JSON5 instead of running it, to edit and run")
    static let jsonFlag = Flag("json", help: "print JSON instead of a table")
    static let csvFlag = Flag("csv", help: "print CSV instead of a table")
    static let htmlOption = Option.string("html", value: "FILE", help: "also write a self-contained HTML page")
    static let options: [any OptionDeclaration] = [
        runsAsOption, settingsOption, sweepOption, generateOption, yearOption, saveOption, jsonFlag, csvFlag, htmlOption,
    ]
    static let arguments = [
        ArgumentSpec(name: "TIMELINE", help: "the events to run through (.json5 or .csv); KEY=VALUE words may follow", repeating: true, required: false)
    ]

    let timelinePath: String?
    let runsAs: RunsAs
    let overrides: [SettingOverride]
    let sweep: SimulationSweep?
    let seed: UInt64?
    let year: Int?
    let save: String?
    let json: Bool
    let csv: Bool
    let html: String?

    init(_ parsed: ParsedArguments) throws(UsageError) {
        let words = parsed.positionals.filter { $0.contains("=") }
        let files = parsed.positionals.filter { !$0.contains("=") }
        guard files.count <= 1 else { throw UsageError(description: "give one TIMELINE file, found \(files.joined(separator: ", "))") }
        timelinePath = files.first
        let settings = try parsed.values(Self.settingsOption)
        let sweeps = try parsed.values(Self.sweepOption)
        if !words.isEmpty, !settings.isEmpty, !sweeps.isEmpty {
            throw UsageError(description: "with both --settings and --sweep, write the option before each word: --settings failAfter=2 --sweep settle=1m,5m")
        }
        if !words.isEmpty, settings.isEmpty, sweeps.isEmpty {
            throw UsageError(description: "\(words[0]) looks like a setting; write --settings \(words[0]) (or --sweep with several values)")
        }
        do {
            overrides = try (settings + (sweeps.isEmpty ? words : [])).map(SettingOverride.init)
            sweep = sweeps.isEmpty ? nil : try SimulationSweep(sweeps + words)
        } catch {
            throw UsageError(description: error.message)
        }
        let mode = try parsed.value(Self.runsAsOption) ?? "watch"
        guard let runsAs = RunsAs(mode) else { throw UsageError(description: "--runs-as \"\(mode)\" is not a mode; write watch or tick:1m") }
        self.runsAs = runsAs
        if let text = try parsed.value(Self.generateOption) {
            guard let seed = TimelineGenerator.seed(from: text) else {
                throw UsageError(description: "--generate \"\(text)\" is not a seed; write it like seed:42")
            }
            self.seed = seed
        } else {
            seed = nil
        }
        if let text = try parsed.value(Self.yearOption) {
            guard let year = Int(text), (1971...9998).contains(year) else {
                throw UsageError(description: "--year \"\(text)\" is not a year; write it like 2025")
            }
            self.year = year
        } else {
            year = nil
        }
        save = try parsed.value(Self.saveOption)
        json = parsed.flag(Self.jsonFlag)
        csv = parsed.flag(Self.csvFlag)
        html = try parsed.value(Self.htmlOption)
    }

    func validate() throws(UsageError) {
        if json && csv { throw UsageError(description: "--csv and --json cannot be combined; pick one") }
        if timelinePath == nil && seed == nil { throw UsageError(description: "give a TIMELINE file, or --generate seed:42 for a year made at random") }
        if timelinePath != nil && seed != nil { throw UsageError(description: "give a TIMELINE file or --generate, not both") }
        if seed == nil && (year != nil || save != nil) { throw UsageError(description: "--year and --save go with --generate seed:N") }
        if save != nil && (json || csv || html != nil || sweep != nil) {
            throw UsageError(description: "--save writes the timeline without running it; run the saved file for --json, --csv, --html or --sweep")
        }
        if sweep != nil && html != nil { throw UsageError(description: "--html shows one run; leave it out with --sweep, or use --settings") }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let loaded = WorkspaceSession.load(context) else { return .invalidWorkspace }
        let workspace = loaded.workspace
        let console = context.console
        let timeline: Timeline
        if let seed {
            let year = self.year ?? (Calendar(identifier: .gregorian).component(.year, from: Date()) - 1)
            timeline = TimelineGenerator(seed: seed, year: year, workspace: workspace).timeline()
            if let save {
                let text = timeline.json5(
                    timeZone: workspace.settings.timeZone,
                    comment: "A year of outages made by detour simulate --generate seed:\(seed) --year \(year).\nEdit it and run: detour simulate \(save)")
                do {
                    try OutputFile.write(Data(text.utf8), to: save.hasPrefix("/") ? save : FileManager.default.currentDirectoryPath + "/" + save)
                } catch {
                    console.err("error: \(error.message)")
                    return .failure
                }
                console.err("wrote \(save); run it with: detour simulate \(save)")
                return .ok
            }
        } else {
            do {
                timeline = try TimelineReader(workspace: workspace).read(path: timelinePath!)
            } catch let error as TimelineError {
                for diagnostic in error.diagnostics { console.err(diagnostic.description) }
                return .usage
            } catch {
                console.err("error: \(error.message)")
                return .usage
            }
        }
        guard let server = startSandbox(context) else { return .failure }
        defer { server.stop() }
        let http = makeHTTPClient()
        defer { http.shutdown() }
        let fakes = SandboxFakes(server: server)
        // A folder of the run's own, in memory where the system has one: the journal is fsync'ed on every line.
        let scratch = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        let stateDirectory = scratch + "detour-simulate-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        do {
            if let sweep {
                var rows: [SweepRow] = []
                for settings in sweep.combinations {
                    let simulator = Simulator(
                        workspace: workspace, timeline: timeline, runsAs: runsAs, overrides: overrides + settings, sandbox: fakes, http: http,
                        stateDirectory: stateDirectory)
                    rows.append(SweepRow(settings: settings, result: try await simulator.run()))
                }
                let report = SweepReport(rows: rows, currency: workspace.channels.compactMap(\.revenue?.currency).first ?? "JPY")
                if json {
                    console.document(report.json().jsonText + "\n")
                } else if csv {
                    console.document(report.csv())
                } else {
                    console.raw(report.table())
                }
                return .ok
            }
            let simulator = Simulator(
                workspace: workspace, timeline: timeline, runsAs: runsAs, overrides: overrides, sandbox: fakes, http: http, stateDirectory: stateDirectory)
            let result = try await simulator.run()
            if let html {
                let path = html.hasPrefix("/") ? html : FileManager.default.currentDirectoryPath + "/" + html
                try OutputFile.write(Data(console.redactor.mask(SimulationHTML(result).render()).utf8), to: path)
                console.err("wrote \(path)")
            }
            if json {
                console.document(SimulationJSON(result).value().jsonText + "\n")
            } else if csv {
                console.document(SimulationCSV(result).render())
            } else {
                console.raw(SimulationTable(result).render())
            }
            return .ok
        } catch let error as SimulationOptionError {
            console.err("error: \(error.description)")
            return .usage
        } catch {
            console.err("error: \(error.message)")
            return .failure
        }
    }
}

/// The sandbox server as the simulator's fakes: each timeline shape as a storefront mode.
struct SandboxFakes: SimulationSandbox {
    /// The running sandbox.
    let server: SandboxServer

    /// The sandbox's base URL.
    var baseURL: String { server.baseURL }

    /// Creates a healthy storefront.
    func addStorefront(_ name: String, healthyBody: String) {
        server.addStorefront(name, healthyBody: healthyBody)
    }

    /// Switches a storefront to the mode that shows a shape.
    func setStorefront(_ name: String, failing shape: FaultShape?) {
        switch shape {
        case nil:
            server.setMode(.healthy, for: name)
        case .unavailable?, .blip?:
            server.setMode(.down, for: name)
        case .timeout?:
            server.setMode(.timeout, for: name)
        case .refused?:
            server.setMode(.refused, for: name)
        case .maintenancePage?:
            server.setMode(.maintenance, for: name)
        case .captcha?:
            server.setMode(.captcha, for: name)
        case .slow(let delay)?:
            server.setSlowDelay(delay, for: name)
            server.setMode(.slow, for: name)
        }
    }

    /// Makes a provider host fail, or answer normally again.
    func failProvider(host: String, status: Int?) {
        server.failProvider(host: host, status: status)
    }

    /// How many provider requests the sandbox received.
    func requestCount() -> Int { server.requests().count }
}
