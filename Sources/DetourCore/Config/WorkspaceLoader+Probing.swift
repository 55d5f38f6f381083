import Foundation

/// Reading the probing parts of a workspace: probe conditions, maintenance windows, canaries.
extension WorkspaceLoader {
    /// Reads `bodyMatches`, `json`, `header` and `certValidFor` of an `expect` object into `expect`.
    func readConditions(_ reader: NodeReader, into expect: inout Expectation, sink: DiagnosticSink) {
        if let node = reader.value("bodyMatches") {
            let patterns: [Located<String>]
            if case .string(let text) = node.value { patterns = [Located(text, at: node.location)] } else { patterns = reader.stringArray("bodyMatches") ?? [] }
            for (pattern, location) in patterns.map({ ($0.value, $0.location) }) {
                if (try? NSRegularExpression(pattern: pattern)) == nil {
                    sink.error(.text("check.probe.regex", ["pattern": pattern]), at: location)
                } else {
                    expect.bodyMatches.append(pattern)
                    if PatternRisk.hasNestedQuantifier(pattern) {
                        sink.warning(
                            .text("check.probe.regex-risk", ["pattern": pattern]),
                            at: location)
                    }
                }
            }
        }
        if let node = reader.value("json") {
            if let members = node.members {
                for member in members {
                    if member.key.isEmpty || member.key.hasPrefix("/") {
                        expect.json.append(JSONExpectation(pointer: member.key, value: member.value.plainValue))
                    } else {
                        sink.error(.text("check.probe.json-pointer", ["pointer": member.key]), at: member.keyLocation)
                    }
                }
            } else {
                reader.typeError("json", node, expected: .message(.text("check.expected.json")))
            }
        }
        if let node = reader.value("header") {
            if let members = node.members {
                for member in members {
                    if case .string(let text) = member.value.value {
                        expect.headers.append(HeaderExpectation(name: member.key, contains: text))
                    } else {
                        sink.error(.text("check.probe.header", ["header": member.key]), at: member.value.location)
                    }
                }
            } else {
                reader.typeError("header", node, expected: .message(.text("check.expected.header")))
            }
        }
        expect.certValidFor = reader.duration("certValidFor")
    }

    /// Reads `followRedirects`, `maxRedirects`, `allowInsecureRedirect` and `allowPrivateRedirect` of a probe.
    func readRedirects(_ reader: NodeReader, into probe: inout Probe) {
        probe.followRedirects = reader.bool("followRedirects") ?? true
        if let limit = reader.count("maxRedirects", minimum: 0) { probe.maxRedirects = limit }
        probe.redirectPolicy.allowInsecure = reader.bool("allowInsecureRedirect") ?? false
        probe.redirectPolicy.allowPrivate = reader.bool("allowPrivateRedirect") ?? false
    }

    /// Reads a list of maintenance windows (`maintenance: [{ from, to, note }]`); `channels` only where allowed.
    func readMaintenance(_ node: JSONNode, allowChannels: Bool, timeZone: TimeZone, sink: DiagnosticSink) -> [MaintenanceWindow] {
        guard case .array(let items) = node.value else {
            sink.error(.text("check.maintenance.list", values: ["found": node.kind]), at: node.location)
            return []
        }
        return items.enumerated().compactMap { index, item in
            guard let reader = NodeReader(item, subject: .message(.text("check.subject.maintenance", ["index": "\(index + 1)"])), sink: sink) else {
                return nil
            }
            defer { reader.finish() }
            let from = readTime(reader, "from", timeZone: timeZone)
            let to = readTime(reader, "to", timeZone: timeZone)
            let note = reader.string("note") ?? ""
            var channels = ChannelSelector.all
            if allowChannels, let list = reader.stringArray("channels") { channels = .only(list.map(\.value)) }
            guard let from, let to else { return nil }
            guard from < to else {
                sink.error(.text("check.maintenance.order", ["index": "\(index + 1)"]), at: item.location)
                return nil
            }
            return MaintenanceWindow(from: from, to: to, note: note, channels: channels)
        }
    }

    private func readTime(_ reader: NodeReader, _ key: String, timeZone: TimeZone) -> Date? {
        // The same rules as the sale calendar: with an offset, or local to the workspace's time zone.
        WorkspaceCalendar.readTime(reader, key, timeZone: timeZone)
    }

    /// Reads `calendar.maintenance`, `canary` and `maxConcurrentProbes` of `detour.json5`.
    func readProbeSettings(_ reader: NodeReader, into settings: inout WorkspaceSettings, sink: DiagnosticSink) {
        if let node = reader.value("canary") {
            let urls: [Located<String>]
            if case .string(let text) = node.value { urls = [Located(text, at: node.location)] } else { urls = reader.stringArray("canary") ?? [] }
            for (url, location) in urls.map({ ($0.value, $0.location) }) {
                if (url.hasPrefix("http://") || url.hasPrefix("https://")) && URL(string: url)?.host != nil {
                    settings.canary.append(url)
                } else {
                    sink.error(.text("check.canary.url", ["url": url]), at: location)
                }
            }
        }
        settings.maxConcurrentProbes = reader.count("maxConcurrentProbes") ?? settings.maxConcurrentProbes
        settings.maxPassDuration = reader.duration("maxPassDuration") ?? settings.maxPassDuration
    }
}
