import Foundation

/// The outcome of loading a workspace: the model when it is valid, and every diagnostic.
public struct WorkspaceLoad: Sendable {
    /// The workspace, nil when any error was found.
    public var workspace: Workspace?
    /// Errors and warnings in file order.
    public var diagnostics: [Diagnostic]
    /// How many files were read.
    public var fileCount: Int
    /// The settings as far as `detour.json5` could be read (defaults elsewhere): where state lives, even when a file is broken.
    public var settings: WorkspaceSettings = .defaults

    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Reads `detour.json5`, `channels/*.json5` and `playbooks/*.json5` and validates them together.
public struct WorkspaceLoader: Sendable {
    /// The workspace folder.
    public var root: String
    /// The environment used to warn about credentials that are not set.
    public var environment: [String: String]

    /// Creates a loader for a folder.
    public init(root: String, environment: [String: String]) {
        self.root = root
        self.environment = environment
    }

    /// Loads everything and reports every problem at once.
    public func load() -> WorkspaceLoad {
        let sink = DiagnosticSink()
        var fileCount = 0
        var settings = WorkspaceSettings.defaults

        if let (node, _) = parse("detour.json5", sink: sink, optional: true) {
            fileCount += 1
            settings = readSettings(node, sink: sink)
        }
        var channels: [Channel] = []
        let channelFiles = files(in: "channels", sink: sink)
        for file in channelFiles {
            fileCount += 1
            checkID(of: file, sink: sink)
            guard let (node, id) = parse(file, sink: sink, optional: false) else { continue }
            if let channel = readChannel(node, id: id, timeZone: settings.timeZone, sink: sink) { channels.append(channel) }
        }
        var playbooks: [Playbook] = []
        for file in files(in: "playbooks", sink: sink) {
            fileCount += 1
            checkID(of: file, sink: sink)
            guard let (node, id) = parse(file, sink: sink, optional: false) else { continue }
            if let playbook = readPlaybook(node, id: id, sink: sink) { playbooks.append(playbook) }
        }
        var oncall: OnCallSchedule?
        let people = OnCallLoader(sink: sink, timeZone: settings.timeZone)
        if let (node, _) = parse(OnCallLoader.file, sink: sink, optional: true) {
            fileCount += 1
            oncall = people.read(node)
        }
        people.checkPages(playbooks, schedule: oncall)
        people.checkCredentials(oncall, environment: environment, root: root)
        if channels.isEmpty, !sink.hasErrors {
            sink.error(
                .text("check.channels.none"), at: SourceLocation(file: "channels", line: 1, column: 1))
        }
        let workspace = Workspace(root: root, settings: settings, channels: channels, playbooks: playbooks, oncall: oncall)
        let channelFileIDs = Set(channelFiles.map(Self.id(ofFile:)))
        WorkspaceValidator(workspace: workspace, channelFileIDs: channelFileIDs, environment: environment, sink: sink).validate()
        let diagnostics = sink.diagnostics.sorted { $0.location < $1.location }
        return WorkspaceLoad(workspace: sink.hasErrors ? nil : workspace, diagnostics: diagnostics, fileCount: fileCount, settings: settings)
    }

    /// The largest workspace file read: 1 MB.
    public static let maxFileBytes = 1 << 20

    /// What is wrong with a channel or playbook id (its file name), with the name to use instead; nil when valid.
    ///
    /// Ids go into commands, URLs of the status page, journal lines and incident ids, so they are
    /// kept to `[a-z0-9][a-z0-9_-]*`.
    static func idProblem(_ id: String, file: String) -> Message? {
        func allowed(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        let scalars = Array(id.unicodeScalars)
        if let first = scalars.first, allowed(first), scalars.allSatisfy({ allowed($0) || $0 == "-" || $0 == "_" }) { return nil }
        var suggestion = String.UnicodeScalarView()
        for c in HalfWidth.normalise(id.lowercased()).unicodeScalars {
            suggestion.append(allowed(c) || c == "_" ? c : "-")
        }
        var name = String(suggestion)
        while name.hasPrefix("-") || name.hasPrefix("_") { name.removeFirst() }
        while name.contains("--") { name = name.replacingOccurrences(of: "--", with: "-") }
        while name.hasSuffix("-") { name.removeLast() }
        let folder = (file as NSString).deletingLastPathComponent
        let playbook = folder == "playbooks"
        let rename: Message =
            name.isEmpty
            ? .text("check.id.rename-example", ["path": "\(folder)/\(playbook ? "mall-down" : "rakuten").json5"])
            : .text("check.id.rename-to", ["path": "\(folder)/\(name).json5"])
        return .text(
            "check.id.invalid",
            values: [
                "id": .plain(id), "kind": .message(playbook ? .text("check.id.playbook") : .text("check.id.channel")),
                "folder": .plain(folder), "rename": .message(rename),
            ])
    }

    /// `channels/rakuten.json5` → `rakuten`.
    static func id(ofFile file: String) -> String {
        let name = (file as NSString).lastPathComponent
        return name.hasSuffix(".json5") ? String(name.dropLast(6)) : String(name.dropLast(5))
    }

    private func checkID(of file: String, sink: DiagnosticSink) {
        if let problem = Self.idProblem(Self.id(ofFile: file), file: file) { sink.error(problem, at: SourceLocation(file: file, line: 1, column: 1)) }
    }

    private func files(in folder: String, sink: DiagnosticSink) -> [String] {
        let path = root + "/" + folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        return names.filter { $0.hasSuffix(".json5") || $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
    }

    private func parse(_ file: String, sink: DiagnosticSink, optional: Bool) -> (JSONNode, String)? {
        let start = SourceLocation(file: file, line: 1, column: 1)
        let data: [UInt8]
        switch BoundedFile.read(root + "/" + file, limit: Self.maxFileBytes) {
        case .success(let bytes): data = bytes
        case .failure(.missing) where optional: return nil
        case .failure(.tooLarge(let bytes, _)):
            sink.error(.text("check.file.too-large", ["file": file, "size": ByteCount.text(bytes)]), at: start)
            return nil
        case .failure(.notRegular(let kind)):
            sink.error(.text("check.file.not-a-file", ["file": file, "kind": kind]), at: start)
            return nil
        case .failure:
            sink.error(.text("check.file.unreadable"), at: start)
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            sink.error(.text("check.file.not-utf8"), at: start)
            return nil
        }
        do {
            let node = try JSON5.parse(text, file: file)
            return (node, Self.id(ofFile: file))
        } catch {
            if let text = error.text { sink.error(text, at: error.location) } else { sink.error(error.message, at: error.location) }
            return nil
        }
    }

    // MARK: - Settings

    private func readSettings(_ node: JSONNode, sink: DiagnosticSink) -> WorkspaceSettings {
        var settings = WorkspaceSettings.defaults
        guard let reader = NodeReader(node, subject: "detour.json5", sink: sink) else { return settings }
        if let zone = reader.string("timezone") {
            if let timeZone = TimeZone(identifier: zone) {
                settings.timeZone = timeZone
            } else {
                sink.error(.text("check.timezone.unknown", ["zone": zone]), at: reader.value("timezone")!.location)
            }
        }
        if let dir = reader.string("stateDir") { settings.stateDir = dir }
        if let values = reader.value("settings") {
            if values.members == nil {
                reader.typeError("settings", values, expected: .message(.text("check.expected.settings")))
            } else {
                settings.values = values.plainValue
            }
        }
        if let providers = reader.value("providers") {
            if let members = providers.members {
                for member in members {
                    if case .string(let url) = member.value.value, url.hasPrefix("http://") || url.hasPrefix("https://") {
                        settings.providers[member.key] = url
                    } else {
                        sink.error(.text("check.provider.base-url", ["provider": member.key]), at: member.value.location)
                    }
                }
            } else {
                reader.typeError("providers", providers, expected: .message(.text("check.expected.providers")))
            }
        }
        readProbeSettings(reader, into: &settings, sink: sink)
        if let calendar = reader.value("calendar") {
            settings.calendar = WorkspaceCalendar.read(calendar, timeZone: settings.timeZone, sink: sink) { node in
                settings.maintenance = readMaintenance(node, allowChannels: true, timeZone: settings.timeZone, sink: sink)
            }
        }
        if let statusPage = reader.value("statusPage") { settings.statusPageOut = StatusPageSettings.readOut(statusPage, sink: sink) }
        if let heartbeat = reader.value("heartbeat") { settings.heartbeat = Heartbeat.read(heartbeat, sink: sink) }
        if let console = reader.value("console") { settings.console = ConsoleSettings.read(console, sink: sink) ?? ConsoleSettings() }
        if let cluster = reader.value("cluster") { settings.cluster = ClusterSettings.read(cluster, sink: sink) }
        reader.finish()
        return settings
    }

    // MARK: - Channels

    private func readChannel(_ node: JSONNode, id: String, timeZone: TimeZone, sink: DiagnosticSink) -> Channel? {
        guard let reader = NodeReader(node, subject: .message(.text("check.subject.channel", ["channel": id])), sink: sink) else { return nil }
        defer { reader.finish() }
        let name = reader.requiredString("name", hint: "name: \"楽天市場店\" (shown in notices)")
        let kind = reader.choice("kind", as: ChannelKind.self)
        if reader.value("kind") == nil {
            sink.error(.text("check.channel.kind-missing", ["channel": id]), at: node.location)
        }
        let pushed = kind == .heartbeat
        let heartbeat = readPushMonitor(reader, kind: kind, channel: id, at: node.location, sink: sink)
        // A job has no storefront: its url is optional (a link for people, such as the job's dashboard).
        let url = pushed ? reader.string("url") ?? "" : reader.requiredString("url", hint: "url: \"https://…\" (the storefront customers are sent to)")
        if let url, let urlNode = reader.value("url") { checkURL(url, at: urlNode.location, sink: sink) }
        var probes: [Probe] = []
        if pushed {
            if let probesNode = reader.value("probes") {
                sink.error(
                    "channel \"\(id)\" is a heartbeat channel, which is never probed; remove \"probes\" (the job checks in instead), or change kind",
                    at: probesNode.location)
            }
        } else if let items = reader.array("probes") {
            if items.isEmpty {
                sink.error(.text("check.probes.empty"), at: reader.value("probes")!.location)
            }
            for (index, item) in items.enumerated() {
                if let probe = readProbe(item, index: index, channel: id, sink: sink) { probes.append(probe) }
            }
        } else if reader.value("probes") == nil {
            sink.error(.text("check.probes.missing", ["channel": id]), at: node.location)
        }
        if pushed, let scheduleNode = reader.value("schedule") {
            sink.error(
                "channel \"\(id)\" is a heartbeat channel: its timing is heartbeat.every and heartbeat.grace; remove \"schedule\"",
                at: scheduleNode.location)
        }
        let schedule = heartbeat?.schedule ?? readSchedule(pushed ? nil : reader.value("schedule"), sink: sink)
        let revenue = reader.value("revenue").flatMap { Revenue.read($0, channel: node, sink: sink) }
        let alternates = reader.stringArray("alternates") ?? []
        let maintenance = reader.value("maintenance").map { readMaintenance($0, allowChannels: false, timeZone: timeZone, sink: sink) } ?? []
        var settle = Duration.seconds(300)
        if let recoveryNode = reader.value("recovery"), let recoveryReader = NodeReader(recoveryNode, subject: "recovery", sink: sink) {
            settle = recoveryReader.duration("settle", allowZero: true) ?? settle
            recoveryReader.finish()
        }
        let contacts = ChannelContact.read(reader.array("contacts") ?? [], channel: id, sink: sink)
        guard let name, let kind, let url else { return nil }
        var channel = Channel(
            id: id, name: name, kind: kind, url: url, probes: probes, schedule: schedule, revenue: revenue,
            alternates: alternates, location: node.location, maintenance: maintenance)
        channel.settle = settle
        channel.contacts = contacts
        channel.heartbeat = heartbeat
        return channel
    }

    /// `heartbeat` of a channel: required for kind `heartbeat`, refused for any other kind.
    private func readPushMonitor(_ reader: NodeReader, kind: ChannelKind?, channel id: String, at location: SourceLocation, sink: DiagnosticSink)
        -> PushMonitor?
    {
        let node = reader.value("heartbeat")
        guard kind == .heartbeat else {
            if let node, kind != nil {
                sink.error(
                    "\"heartbeat\" only applies to channels of kind \"heartbeat\"; write kind: \"heartbeat\" (and no probes), or remove \"heartbeat\"",
                    at: node.location)
            }
            return nil
        }
        guard let node else {
            sink.error(
                "channel \"\(id)\" is a heartbeat channel but has no \"heartbeat\"; add heartbeat: { every: \"15m\", grace: \"5m\", token: \"env:INVENTORY_SYNC_TOKEN\" }",
                at: location)
            return nil
        }
        return PushMonitor.read(node, channel: id, sink: sink)
    }

    private func readProbe(_ node: JSONNode, index: Int, channel: String, sink: DiagnosticSink) -> Probe? {
        guard let reader = NodeReader(node, subject: .message(.text("check.subject.probe", ["index": "\(index + 1)", "channel": channel])), sink: sink) else {
            return nil
        }
        defer { reader.finish() }
        let name = reader.string("name") ?? "probe \(index + 1)"
        let url = reader.requiredString("url", hint: "url: \"https://…\" (the page to check)")
        if let url, let urlNode = reader.value("url") { checkURL(url, at: urlNode.location, sink: sink) }
        let method = (reader.string("method") ?? "GET").uppercased()
        var headers: [HTTPHeader] = []
        if let headerNode = reader.value("headers") {
            for member in headerNode.members ?? [] {
                if case .string(let value) = member.value.value {
                    if let problem = HTTPHeader(member.key, value).injectionProblem { sink.error(problem, at: member.value.location) }
                    headers.append(HTTPHeader(member.key, value))
                } else {
                    sink.error(.text("check.header.string", ["header": member.key]), at: member.value.location)
                }
            }
        }
        let timeout = reader.duration("timeout") ?? .seconds(10)
        let critical = reader.bool("critical") ?? true
        var expect = Expectation(status: .range(2), bodyContains: [], bodyNotContains: [], maxLatency: nil)
        if let expectNode = reader.value("expect"),
            let expectReader = NodeReader(expectNode, subject: .message(.text("check.subject.expect", ["probe": name])), sink: sink)
        {
            if let status = expectReader.value("status") { expect.status = readStatus(status, sink: sink) ?? expect.status }
            expect.bodyContains = readTexts(expectReader, "bodyContains")
            expect.bodyNotContains = readTexts(expectReader, "bodyNotContains")
            expect.maxLatency = expectReader.duration("maxLatency")
            readConditions(expectReader, into: &expect, sink: sink)
            expectReader.finish()
        }
        guard let url else { return nil }
        var probe = Probe(name: name, url: url, method: method, headers: headers, timeout: timeout, expect: expect, critical: critical)
        readRedirects(reader, into: &probe)
        return probe
    }

    /// A string or a list of strings.
    private func readTexts(_ reader: NodeReader, _ key: String) -> [String] {
        guard let node = reader.value(key) else { return [] }
        if case .string(let text) = node.value { return [text] }
        return reader.stringArray(key)?.map(\.value) ?? []
    }

    private func readStatus(_ node: JSONNode, sink: DiagnosticSink) -> StatusRule? {
        switch node.value {
        case .number(let number) where (100...599).contains(number) && number == number.rounded():
            return .codes([Int(number)])
        case .string(let text) where text.count == 3 && HalfWidth.normalise(text).lowercased().hasSuffix("xx"):
            if let hundred = Int(HalfWidth.normalise(String(text.prefix(1)))), (1...5).contains(hundred) { return .range(hundred) }
        case .array(let items):
            let codes = items.compactMap { item -> Int? in
                if case .number(let number) = item.value, (100...599).contains(number) { return Int(number) }
                return nil
            }
            if codes.count == items.count, !codes.isEmpty { return .codes(codes) }
        default: break
        }
        sink.error(.text("check.status.invalid", values: ["found": node.kind]), at: node.location)
        return nil
    }

    private func readSchedule(_ node: JSONNode?, sink: DiagnosticSink) -> Schedule {
        var schedule = Schedule.standard
        guard let node, let reader = NodeReader(node, subject: "schedule", sink: sink) else { return schedule }
        schedule.every = reader.duration("every") ?? schedule.every
        schedule.confirmEvery = reader.duration("confirmEvery") ?? min(schedule.confirmEvery, schedule.every)
        schedule.failAfter = reader.count("failAfter") ?? schedule.failAfter
        schedule.recoverAfter = reader.count("recoverAfter") ?? schedule.recoverAfter
        if let saleNode = reader.value("duringSales"), let saleReader = NodeReader(saleNode, subject: "schedule.duringSales", sink: sink) {
            let every = saleReader.duration("every") ?? schedule.every
            let confirmEvery = saleReader.duration("confirmEvery") ?? min(schedule.confirmEvery, every)
            saleReader.finish()
            schedule.duringSales = SaleIntervals(every: every, confirmEvery: confirmEvery)
        }
        reader.finish()
        return schedule
    }

    private func checkURL(_ url: String, at location: SourceLocation, sink: DiagnosticSink) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
            sink.error(.text("check.url.invalid", ["url": url]), at: location)
            return
        }
    }

    // MARK: - Playbooks

    private func readPlaybook(_ node: JSONNode, id: String, sink: DiagnosticSink) -> Playbook? {
        guard let reader = NodeReader(node, subject: .message(.text("check.subject.playbook", ["playbook": id])), sink: sink) else { return nil }
        defer { reader.finish() }
        let description = reader.string("description") ?? ""
        var event: PlaybookEvent?
        var selector = ChannelSelector.all
        var channelReferences: [Located<String>] = []
        var cron: CronExpression?
        if let onNode = reader.required("on", hint: "on: { event: \"down\", channels: [\"rakuten\"] }"),
            let onReader = NodeReader(onNode, subject: "\"on\"", sink: sink)
        {
            event = onReader.choice("event", as: PlaybookEvent.self)
            if onReader.value("event") == nil {
                sink.error(.text("check.on.event-missing"), at: onNode.location)
            }
            if let channelsNode = onReader.value("channels") {
                if case .string("*") = channelsNode.value {
                    selector = .all
                } else if let list = onReader.stringArray("channels") {
                    selector = .only(list.map(\.value))
                    channelReferences = list
                }
            }
            if let cronNode = onReader.value("cron"), let text = onReader.expectString(cronNode, key: "cron") {
                do {
                    cron = try CronExpression(text)
                } catch {
                    sink.error(
                        .text("check.cron.invalid", values: ["problem": error.text.map(Message.Value.message) ?? .plain(error.message)]), at: cronNode.location)
                }
                if event != nil, event != .schedule {
                    sink.error(.text("check.cron.not-schedule"), at: cronNode.location)
                }
            } else if event == .schedule, onReader.value("cron") == nil {
                sink.error(.text("check.cron.missing"), at: onNode.location)
            }
            onReader.finish()
        }
        let stepLoader = StepLoader(sink: sink)
        let steps = stepLoader.readSteps(reader.array("steps") ?? [], playbook: id)
        if reader.value("steps") == nil {
            sink.error(.text("check.steps.missing", ["playbook": id]), at: node.location)
        }
        let recovery = stepLoader.readSteps(reader.array("recovery") ?? [], playbook: id)
        let (approval, cooldown) = stepLoader.readGate(reader)
        var seen: [String: SourceLocation] = [:]
        for step in steps + recovery {
            if let first = seen[step.id] {
                sink.error(
                    .text("check.step.duplicate-id", ["step": step.id, "playbook": id, "line": "\(first.line)"]), at: step.location)
            }
            seen[step.id] = step.location
        }
        guard let event else { return nil }
        return Playbook(
            id: id, description: description, event: event, channels: selector, cron: cron, steps: steps, recovery: recovery, location: node.location,
            channelReferences: channelReferences, approval: approval, cooldown: cooldown)
    }
}

extension SourceLocation {
    /// The location `scalars` columns to the right (a place inside a one-line string).
    func shifted(by scalars: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column + scalars)
    }
}
