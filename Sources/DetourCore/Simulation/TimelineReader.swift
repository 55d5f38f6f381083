import Foundation

/// A timeline that cannot be read: every problem, each with its position and what to write instead.
public struct TimelineError: DetourError {
    /// Every problem found, in file order.
    public var diagnostics: [Diagnostic]

    /// One line per problem.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Reads a timeline from JSON5 (`{ events: [ … ] }`) or CSV (`channel,from,to,shape` with a header row).
public struct TimelineReader {
    /// The workspace the timeline is for: channel ids and the time zone.
    public var workspace: Workspace

    /// Creates a reader for a workspace.
    public init(workspace: Workspace) { self.workspace = workspace }

    /// Reads a file; `.csv` files as CSV, anything else as JSON5.
    public func read(path: String) throws -> Timeline {
        let limit = 16 * 1024 * 1024
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError(description: "cannot read the timeline \(path); check the path (a .json5 or .csv file)")
        }
        guard data.count <= limit else { throw EngineError(description: "\(path) is larger than 16 MB; split the timeline into years") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EngineError(description: "\(path) is not UTF-8 text; save it as UTF-8")
        }
        return path.lowercased().hasSuffix(".csv") ? try csv(text, file: path) : try json5(text, file: path)
    }

    /// Reads JSON5 text.
    public func json5(_ text: String, file: String) throws -> Timeline {
        let root: JSONNode
        do {
            root = try JSON5.parse(text, file: file)
        } catch {
            throw TimelineError(diagnostics: [Diagnostic(.error, at: error.location, error.message)])
        }
        let sink = DiagnosticSink()
        let zone = workspace.settings.timeZone
        guard let reader = NodeReader(root, subject: "timeline", sink: sink) else { throw TimelineError(diagnostics: sink.diagnostics) }
        let start = reader.value("from").flatMap { _ in WorkspaceCalendar.readTime(reader, "from", timeZone: zone) }
        let end = reader.value("to").flatMap { _ in WorkspaceCalendar.readTime(reader, "to", timeZone: zone) }
        var sales: [SaleEvent] = []
        if let node = reader.value("sales") {
            sales =
                WorkspaceCalendar.read(
                    JSONNode(.object([JSONNode.Member(key: "sales", keyLocation: node.location, value: node)]), at: node.location),
                    timeZone: zone, sink: sink
                ).sales
        }
        var events: [TimelineEvent] = []
        var faults: [ProviderFault] = []
        let items = reader.required("events", hint: "events: [{ channel: \"rakuten\", from: \"2025-03-04T10:00\", to: \"2025-03-04T13:30\", shape: \"503\" }]")
        if let items {
            guard case .array(let list) = items.value else {
                reader.typeError("events", items, expected: "a list [ … ]")
                throw TimelineError(diagnostics: sink.diagnostics)
            }
            for (index, item) in list.enumerated() {
                guard let event = NodeReader(item, subject: "event \(index + 1)", sink: sink) else { continue }
                defer { event.finish() }
                let from = WorkspaceCalendar.readTime(event, "from", timeZone: zone)
                if let providerNode = event.value("provider") {
                    guard let provider = event.expectString(providerNode, key: "provider") else { continue }
                    let to = WorkspaceCalendar.readTime(event, "to", timeZone: zone)
                    let answer = event.value("answer")
                    var status: Int?
                    if let answer, let number = event.expectNumber(answer, key: "answer") {
                        if number == number.rounded(), (100...599).contains(number) {
                            status = Int(number)
                        } else {
                            sink.error("\"answer\" must be an HTTP status from 100 to 599, found \(answer.literal); write answer: 500", at: answer.location)
                        }
                    } else if answer == nil {
                        sink.error("event \(index + 1) is missing \"answer\"; add answer: 500 (the status the provider answers)", at: item.location)
                    }
                    if provider.isEmpty || provider.contains("/") || provider.contains(" ") {
                        sink.error(
                            "\"provider\": \"\(provider)\" is not a provider; write one of \(ProviderFault.names.joined(separator: ", ")) or a host name",
                            at: providerNode.location)
                        continue
                    }
                    guard let from, let to, let status else { continue }
                    guard to > from else {
                        sink.error("event \(index + 1) ends before it starts; \"to\" must be later than \"from\"", at: event.value("to")!.location)
                        continue
                    }
                    faults.append(ProviderFault(provider: provider, from: from, to: to, answer: status))
                    continue
                }
                let channel = readChannel(event, sink: sink, at: item.location)
                let shape = readShape(event, sink: sink)
                let to = event.value("to") == nil ? nil : WorkspaceCalendar.readTime(event, "to", timeZone: zone)
                let note = event.string("note") ?? ""
                guard let channel, let from, let shape else { continue }
                let end = to ?? from.addingTimeInterval(shape.defaultLength.timeInterval)
                guard end > from else {
                    sink.error("event \(index + 1) ends before it starts; \"to\" must be later than \"from\"", at: event.value("to")!.location)
                    continue
                }
                events.append(TimelineEvent(channel: channel, from: from, to: end, shape: shape, note: note, location: item.location))
            }
        }
        reader.finish()
        checkOverlaps(events, sink: sink)
        if sink.hasErrors { throw TimelineError(diagnostics: sink.diagnostics) }
        return Timeline(events: events, providerFaults: faults, sales: sales, start: start, end: end)
    }

    private func readChannel(_ event: NodeReader, sink: DiagnosticSink, at location: SourceLocation) -> String? {
        guard let node = event.value("channel") else {
            sink.error(
                "\(event.subject) has neither \"channel\" nor \"provider\"; add channel: \"rakuten\" (or provider: \"line\" with answer: 500)", at: location)
            return nil
        }
        guard let id = event.expectString(node, key: "channel") else { return nil }
        guard workspace.channel(id) != nil else {
            let suggestion = closestMatch(to: id, in: workspace.channels.map(\.id)).map { "did you mean \"\($0)\"? " } ?? ""
            sink.error(
                "\"channel\": no channel \"\(id)\" in this workspace; \(suggestion)write one of \(workspace.channels.map { "\"\($0.id)\"" }.joined(separator: ", "))",
                at: node.location)
            return nil
        }
        return id
    }

    private func readShape(_ event: NodeReader, sink: DiagnosticSink) -> FaultShape? {
        guard let node = event.required("shape", hint: "shape: \"503\" (or \(FaultShape.words.dropFirst().joined(separator: ", ")))") else { return nil }
        let text: String
        if case .number(let number) = node.value, number == 503 {
            text = "503"
        } else if let string = event.expectString(node, key: "shape") {
            text = string
        } else {
            return nil
        }
        guard let shape = FaultShape(text) else {
            sink.error("\"shape\": unknown shape \"\(text)\"; write one of \(FaultShape.words.map { "\"\($0)\"" }.joined(separator: ", "))", at: node.location)
            return nil
        }
        return shape
    }

    /// Two events on one channel at once cannot both be true: the storefront fails one way at a time.
    private func checkOverlaps(_ events: [TimelineEvent], sink: DiagnosticSink) {
        var last: [String: TimelineEvent] = [:]
        for event in events.sorted(by: { $0.from < $1.from }) {
            if let previous = last[event.channel], previous.to > event.from, let location = event.location {
                sink.error(
                    "this event on \"\(event.channel)\" starts before the one at \(previous.location.map { "line \($0.line)" } ?? "an earlier line") ends; "
                        + "make \"from\" at least \(LocalTime.iso8601(previous.to, in: workspace.settings.timeZone)) or merge the two events",
                    at: location)
                continue
            }
            last[event.channel] = event
        }
    }

    /// Reads CSV text: a header row naming `channel, from, to, shape` (and optionally `note`,
    /// `provider`, `answer`), then one event a row.
    public func csv(_ text: String, file: String) throws -> Timeline {
        let sink = DiagnosticSink()
        let zone = workspace.settings.timeZone
        var rows = CSVRows.parse(text)
        guard !rows.isEmpty else {
            throw TimelineError(diagnostics: [
                Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "the timeline is empty; start with the header row channel,from,to,shape")
            ])
        }
        let header = rows.removeFirst()
        let names = header.cells.map { $0.text.trimmingCharacters(in: .whitespaces).lowercased() }
        let known = ["channel", "from", "to", "shape", "note", "provider", "answer"]
        for (index, name) in names.enumerated() where !known.contains(name) {
            let suggestion = closestMatch(to: name, in: known).map { "did you mean \"\($0)\"? " } ?? ""
            sink.error(
                "unknown column \"\(name)\"; \(suggestion)the columns are \(known.joined(separator: ", "))",
                at: SourceLocation(file: file, line: header.line, column: header.cells[index].column))
        }
        for required in ["from", "shape"] where !names.contains(required) && !(required == "shape" && names.contains("provider")) {
            sink.error(
                "the header row has no \"\(required)\" column; write the header as channel,from,to,shape", at: SourceLocation(file: file, line: 1, column: 1))
        }
        var events: [TimelineEvent] = []
        var faults: [ProviderFault] = []
        for row in rows where !row.cells.allSatisfy({ $0.text.trimmingCharacters(in: .whitespaces).isEmpty }) {
            func cell(_ name: String) -> (text: String, location: SourceLocation)? {
                guard let index = names.firstIndex(of: name), index < row.cells.count else { return nil }
                let text = row.cells[index].text.trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : (text, SourceLocation(file: file, line: row.line, column: row.cells[index].column))
            }
            let rowLocation = SourceLocation(file: file, line: row.line, column: 1)
            func time(_ name: String) -> Date? {
                guard let value = cell(name) else { return nil }
                guard let date = LocalTime.parse(value.text, in: zone) else {
                    sink.error("\"\(name)\": \"\(value.text)\" is not a time; write it like 2025-03-04T10:00 (the workspace time zone)", at: value.location)
                    return nil
                }
                return date
            }
            guard let from = time("from") else {
                if cell("from") == nil { sink.error("this row has no \"from\"; write when the failure started, like 2025-03-04T10:00", at: rowLocation) }
                continue
            }
            let to = time("to")
            if let provider = cell("provider") {
                guard let answerCell = cell("answer"), let answer = Int(answerCell.text), (100...599).contains(answer) else {
                    sink.error("a provider row needs \"answer\", an HTTP status from 100 to 599; write 500", at: cell("answer")?.location ?? rowLocation)
                    continue
                }
                guard let to, to > from else {
                    sink.error("a provider row needs \"to\" later than \"from\"", at: cell("to")?.location ?? rowLocation)
                    continue
                }
                faults.append(ProviderFault(provider: provider.text, from: from, to: to, answer: answer))
                continue
            }
            guard let channel = cell("channel") else {
                sink.error("this row has neither a channel nor a provider; write the channel id, like rakuten", at: rowLocation)
                continue
            }
            guard workspace.channel(channel.text) != nil else {
                let suggestion = closestMatch(to: channel.text, in: workspace.channels.map(\.id)).map { "did you mean \"\($0)\"? " } ?? ""
                sink.error(
                    "no channel \"\(channel.text)\" in this workspace; \(suggestion)write one of \(workspace.channels.map(\.id).joined(separator: ", "))",
                    at: channel.location)
                continue
            }
            guard let shapeCell = cell("shape") else {
                sink.error("this row has no shape; write 503 (or \(FaultShape.words.dropFirst().joined(separator: ", ")))", at: rowLocation)
                continue
            }
            guard let shape = FaultShape(shapeCell.text) else {
                sink.error("unknown shape \"\(shapeCell.text)\"; write one of \(FaultShape.words.joined(separator: ", "))", at: shapeCell.location)
                continue
            }
            let end = to ?? from.addingTimeInterval(shape.defaultLength.timeInterval)
            guard end > from else {
                sink.error("the event ends before it starts; \"to\" must be later than \"from\"", at: cell("to")?.location ?? rowLocation)
                continue
            }
            events.append(TimelineEvent(channel: channel.text, from: from, to: end, shape: shape, note: cell("note")?.text ?? "", location: rowLocation))
        }
        checkOverlaps(events, sink: sink)
        if sink.hasErrors { throw TimelineError(diagnostics: sink.diagnostics) }
        return Timeline(events: events, providerFaults: faults)
    }
}

/// RFC 4180 rows with the line and column each cell starts at.
enum CSVRows {
    /// One row: the line it starts on and its cells.
    struct Row {
        /// The line the row starts on.
        var line: Int
        /// Each cell's text and the column it starts at.
        var cells: [(text: String, column: Int)]
    }

    /// Splits CSV text into rows (quoted cells may hold commas, quotes and line breaks).
    static func parse(_ text: String) -> [Row] {
        var rows: [Row] = []
        var cells: [(text: String, column: Int)] = []
        var cell = ""
        var cellColumn = 1
        var rowLine = 1
        var line = 1
        var column = 1
        var quoted = false
        var characters = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        if characters.last != "\n" { characters.append("\n") }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if quoted {
                if character == "\"" {
                    if index < characters.count, characters[index] == "\"" {
                        cell.append("\"")
                        index += 1
                        column += 2
                        continue
                    }
                    quoted = false
                } else {
                    cell.append(character)
                    if character == "\n" || character == "\r\n" {
                        line += 1
                        column = 0
                    }
                }
                column += 1
                continue
            }
            switch character {
            case "\"" where cell.isEmpty:
                quoted = true
            case ",":
                cells.append((cell, cellColumn))
                cell = ""
                cellColumn = column + 1
            case "\n", "\r\n", "\r":
                cells.append((cell, cellColumn))
                if !(cells.count == 1 && cells[0].text.isEmpty) { rows.append(Row(line: rowLine, cells: cells)) }
                cells = []
                cell = ""
                line += 1
                rowLine = line
                column = 0
                cellColumn = 1
            default:
                cell.append(character)
            }
            column += 1
        }
        return rows
    }
}
