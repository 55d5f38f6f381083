import Foundation

/// Reads `oncall.json5` and checks it whole: unknown people, empty rotations, overlapping
/// overrides, phone numbers not in E.164, ways of paging without a transport.
struct OnCallLoader {
    let sink: DiagnosticSink
    let timeZone: TimeZone

    /// The file name at the workspace root.
    static let file = "oncall.json5"

    /// The schedule, as far as it can be read; problems go to the sink.
    func read(_ node: JSONNode) -> OnCallSchedule? {
        guard let reader = NodeReader(node, subject: .plain(Self.file), sink: sink) else { return nil }
        defer { reader.finish() }
        let people = readPeople(reader.value("people"))
        let known = people.map(\.id)
        let rotations = readRotations(reader.value("rotations"), people: known)
        let overrides = readOverrides(reader.array("overrides") ?? [], people: known, rotations: rotations.map(\.id))
        let transports = readTransports(reader.value("send"))
        let escalation = readEscalation(reader.value("escalation"), people: people, rotations: rotations, transports: transports)
        return OnCallSchedule(
            people: people, rotations: rotations, overrides: overrides, escalation: escalation, transports: transports, timeZone: timeZone)
    }

    // MARK: - People

    private func readPeople(_ node: JSONNode?) -> [Person] {
        guard let node else { return [] }
        guard let members = node.members else {
            sink.error(.text("oncall.people.object", values: ["found": node.kind]), at: node.location)
            return []
        }
        return members.compactMap { member in
            guard let reader = NodeReader(member.value, subject: .message(.text("check.subject.person", ["person": member.key])), sink: sink) else {
                return nil
            }
            defer { reader.finish() }
            var person = Person(id: member.key, name: reader.string("name") ?? member.key)
            person.line = reader.string("line")
            person.slack = reader.string("slack")
            person.email = reader.string("email")
            if let email = person.email, !email.contains("@"), let at = reader.value("email") {
                sink.error(.text("oncall.person.email", ["person": member.key, "email": email]), at: at.location)
            }
            if let phone = reader.string("phone") {
                let normal = HalfWidth.normalise(phone)
                if Self.isE164(normal) {
                    person.phone = normal
                } else if let at = reader.value("phone") {
                    sink.error(.text("oncall.person.phone", ["person": member.key, "phone": phone]), at: at.location)
                }
            }
            return person
        }
    }

    /// `+` then 8 to 15 digits, the first not 0.
    static func isE164(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count >= 9, scalars.count <= 16, scalars[0] == "+", scalars[1] != "0" else { return false }
        return scalars.dropFirst().allSatisfy { ("0"..."9").contains($0) }
    }

    // MARK: - Rotations

    private func readRotations(_ node: JSONNode?, people: [String]) -> [Rotation] {
        guard let node else { return [] }
        guard let members = node.members else {
            sink.error(.text("oncall.rotations.object", values: ["found": node.kind]), at: node.location)
            return []
        }
        return members.compactMap { member in
            guard let reader = NodeReader(member.value, subject: .message(.text("check.subject.rotation", ["rotation": member.key])), sink: sink) else {
                return nil
            }
            defer { reader.finish() }
            let list = reader.stringArray("members") ?? []
            if list.isEmpty {
                sink.error(
                    .text("oncall.rotation.members", ["rotation": member.key, "person": people.first ?? "tanaka"]),
                    at: reader.value("members")?.location ?? member.value.location)
            }
            for entry in list where !people.contains(entry.value) { unknownPerson(entry.value, at: entry.location, people: people) }
            var rotation = Rotation(
                id: member.key, members: list.map(\.value), handoffWeekday: 2, handoffHour: 10, handoffMinute: 0, everyDays: 7,
                start: Date(timeIntervalSince1970: 0))
            if let text = reader.string("handoff") {
                if let (weekday, hour, minute) = Self.parseHandoff(text) {
                    (rotation.handoffWeekday, rotation.handoffHour, rotation.handoffMinute) = (weekday, hour, minute)
                } else {
                    sink.error(.text("oncall.rotation.handoff", ["rotation": member.key, "text": text]), at: reader.value("handoff")!.location)
                }
            }
            if let text = reader.string("every") {
                if let days = Self.parseEvery(text) {
                    rotation.everyDays = days
                } else {
                    sink.error(.text("oncall.rotation.every", ["rotation": member.key, "text": text]), at: reader.value("every")!.location)
                }
            }
            if rotation.handoffWeekday != nil, rotation.everyDays % 7 != 0, let at = reader.value("every") {
                sink.error(.text("oncall.rotation.weekly", ["rotation": member.key]), at: at.location)
            }
            if let text = reader.string("start") {
                if let date = LocalTime.parse(text, in: timeZone) {
                    rotation.start = date
                } else {
                    sink.error(.text("oncall.rotation.start", ["rotation": member.key, "text": text]), at: reader.value("start")!.location)
                }
            }
            return rotation
        }
    }

    /// `mon 10:00` → (2, 10, 0); `10:00` → (nil, 10, 0).
    static func parseHandoff(_ text: String) -> (Int?, Int, Int)? {
        let words = HalfWidth.normalise(text).lowercased().split(separator: " ").map(String.init)
        guard (1...2).contains(words.count) else { return nil }
        var weekday: Int?
        if words.count == 2 {
            let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            guard let index = days.firstIndex(of: String(words[0].prefix(3))) else { return nil }
            weekday = index + 1
        }
        let parts = words.last!.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute) else {
            return nil
        }
        return (weekday, hour, minute)
    }

    /// `1w` → 7, `3d` → 3.
    static func parseEvery(_ text: String) -> Int? {
        let normal = HalfWidth.normalise(text).trimmingCharacters(in: .whitespaces)
        guard let unit = normal.last, let count = Int(normal.dropLast()), count > 0, count <= 52 * 7 else { return nil }
        switch unit {
        case "w": return count * 7
        case "d": return count
        default: return nil
        }
    }

    // MARK: - Overrides

    private func readOverrides(_ nodes: [JSONNode], people: [String], rotations: [String]) -> [OnCallOverride] {
        var result: [(OnCallOverride, SourceLocation)] = []
        for (index, node) in nodes.enumerated() {
            guard let reader = NodeReader(node, subject: .message(.text("check.subject.override", ["index": "\(index + 1)"])), sink: sink) else { continue }
            defer { reader.finish() }
            let rotation = reader.requiredString("rotation", hint: "rotation: \"\(rotations.first ?? "primary")\"")
            let person = reader.requiredString("person", hint: "person: \"\(people.first ?? "tanaka")\"")
            let from = time(reader, "from")
            let to = time(reader, "to")
            let reason = reader.string("reason") ?? ""
            if let rotation, !rotations.contains(rotation), let at = reader.value("rotation") {
                sink.error(
                    .text(
                        "oncall.override.rotation",
                        values: [
                            "index": .plain("\(index + 1)"), "rotation": .plain(rotation), "suggestion": didYouMean(rotation, in: rotations),
                            "rotations": .plain(rotations.joined(separator: ", ")),
                        ]),
                    at: at.location)
            }
            if let person, !people.contains(person), let at = reader.value("person") { unknownPerson(person, at: at.location, people: people) }
            if let from, let to, to <= from, let at = reader.value("to") {
                sink.error(.text("oncall.override.order", ["index": "\(index + 1)"]), at: at.location)
            }
            guard let rotation, let person, let from, let to, to > from else { continue }
            let override = OnCallOverride(rotation: rotation, person: person, from: from, to: to, reason: reason)
            for (other, _) in result where other.rotation == rotation && other.from < to && from < other.to {
                sink.error(
                    .text(
                        "oncall.override.overlap",
                        [
                            "index": "\(index + 1)", "rotation": rotation, "person": other.person,
                            "from": LocalTime.iso8601(other.from, in: timeZone), "to": LocalTime.iso8601(other.to, in: timeZone),
                        ]),
                    at: node.location)
            }
            result.append((override, node.location))
        }
        return result.map(\.0)
    }

    private func time(_ reader: NodeReader, _ key: String) -> Date? {
        guard let text = reader.requiredString(key, hint: "\(key): \"2026-12-04T18:00\" (local time)") else { return nil }
        guard let date = LocalTime.parse(text, in: timeZone) else {
            sink.error(.text("oncall.time", ["key": key, "text": text]), at: reader.value(key)!.location)
            return nil
        }
        return date
    }

    private func unknownPerson(_ id: String, at location: SourceLocation, people: [String]) {
        let list: Message =
            people.isEmpty ? .text("oncall.person.add") : .text("oncall.person.list", ["people": people.joined(separator: ", ")])
        sink.error(
            .text("oncall.person.unknown", values: ["person": .plain(id), "suggestion": didYouMean(id, in: people), "list": .message(list)]),
            at: location)
    }

    // MARK: - Transports

    private func readTransports(_ node: JSONNode?) -> PageTransports {
        var transports = PageTransports()
        guard let node, let reader = NodeReader(node, subject: "send", sink: sink) else { return transports }
        defer { reader.finish() }
        func section(_ key: String, _ read: (NodeReader) -> Void) {
            guard let node = reader.value(key), let inner = NodeReader(node, subject: "send.\(key)", sink: sink) else { return }
            read(inner)
            inner.finish()
        }
        section("line") { transports.lineToken = credential($0, "token", hint: "token: \"env:LINE_CHANNEL_TOKEN\"") }
        section("slack") { transports.slackToken = credential($0, "token", hint: "token: \"env:SLACK_BOT_TOKEN\" (a bot token with chat:write)") }
        section("email") {
            transports.sendgridKey = credential($0, "apiKey", hint: "apiKey: \"env:SENDGRID_API_KEY\"")
            transports.emailFrom = $0.requiredString("from", hint: "from: \"detour@example.jp\"")
        }
        section("twilio") {
            transports.twilioAccount = credential($0, "accountSid", hint: "accountSid: \"env:TWILIO_ACCOUNT_SID\"")
            transports.twilioToken = credential($0, "authToken", hint: "authToken: \"env:TWILIO_AUTH_TOKEN\"")
            if let from = $0.requiredString("from", hint: "from: \"+815012345678\" (your Twilio number)") {
                if Self.isE164(HalfWidth.normalise(from)) {
                    transports.twilioFrom = HalfWidth.normalise(from)
                } else {
                    sink.error(.text("oncall.twilio.from", ["from": from]), at: $0.value("from")!.location)
                }
            }
        }
        section("pagerduty") { transports.pagerdutyKey = credential($0, "routingKey", hint: "routingKey: \"env:PAGERDUTY_ROUTING_KEY\"") }
        return transports
    }

    private func credential(_ reader: NodeReader, _ key: String, hint: String) -> CredentialField? {
        ProviderFields(reader: reader, sink: sink, provider: reader.subject).credential(key, hint: hint)
    }

    // MARK: - Escalation

    private func readEscalation(_ node: JSONNode?, people: [Person], rotations: [Rotation], transports: PageTransports) -> [String: [EscalationLevel]] {
        guard let node else { return [:] }
        guard let members = node.members else {
            sink.error(.text("oncall.escalation.object"), at: node.location)
            return [:]
        }
        var policies: [String: [EscalationLevel]] = [:]
        for member in members {
            guard case .array(let items) = member.value.value, !items.isEmpty else {
                sink.error(.text("oncall.escalation.list", ["escalation": member.key]), at: member.value.location)
                continue
            }
            policies[member.key] = items.enumerated().compactMap { index, item in
                readLevel(item, policy: member.key, index: index, last: index == items.count - 1, people: people, rotations: rotations, transports: transports)
            }
        }
        return policies
    }

    private func readLevel(
        _ node: JSONNode, policy: String, index: Int, last: Bool, people: [Person], rotations: [Rotation], transports: PageTransports
    ) -> EscalationLevel? {
        let subject = "level \(index + 1) of escalation \"\(policy)\""
        guard let reader = NodeReader(node, subject: .plain(subject), sink: sink) else { return nil }
        defer { reader.finish() }
        let targets = rotations.map(\.id) + people.map(\.id)
        let notify = reader.requiredString("notify", hint: "notify: \"\(rotations.first?.id ?? "primary")\" (a rotation or a person)")
        if let notify, !targets.contains(notify), let at = reader.value("notify") {
            sink.error(
                .text(
                    "oncall.level.notify",
                    values: [
                        "subject": .plain(subject), "notify": .plain(notify), "suggestion": didYouMean(notify, in: targets),
                        "targets": .plain(targets.joined(separator: ", ")),
                    ]),
                at: at.location)
        }
        var via: [PageWay] = []
        for entry in reader.stringArray("via") ?? [] {
            let (word, location) = (entry.value, entry.location)
            guard let way = PageWay(rawValue: word) else {
                let allowed = PageWay.allCases.map(\.rawValue)
                sink.error(
                    .text(
                        "oncall.level.way",
                        values: [
                            "subject": .plain(subject), "way": .plain(word), "suggestion": didYouMean(word, in: allowed),
                            "allowed": .plain(allowed.joined(separator: ", ")),
                        ]),
                    at: location)
                continue
            }
            via.append(way)
            if let missing = Self.missingTransport(way, transports) {
                sink.error(.text("check.provider.problem", values: ["provider": .plain(subject), "problem": .message(missing)]), at: location)
            }
            let reached = notify.map { id in rotations.first { $0.id == id }?.members ?? [id] } ?? []
            for id in reached {
                guard let person = people.first(where: { $0.id == id }), person.address(for: way) == nil else { continue }
                sink.error(
                    .text(
                        "oncall.level.no-address",
                        [
                            "subject": subject, "name": person.name, "person": person.id,
                            "field": way == .phone || way == .sms ? "phone" : way.rawValue, "way": way.rawValue,
                        ]),
                    at: location)
            }
        }
        if via.isEmpty, reader.value("via") == nil {
            sink.error(.text("oncall.level.via", ["subject": subject]), at: node.location)
        }
        let wait = reader.duration("wait")
        if !last, wait == nil, reader.value("wait") == nil {
            sink.error(.text("oncall.level.wait", ["subject": subject]), at: node.location)
        }
        guard let notify else { return nil }
        return EscalationLevel(notify: notify, via: via, wait: wait)
    }

    /// What is missing under `send` for a way of paging, if anything.
    static func missingTransport(_ way: PageWay, _ transports: PageTransports) -> Message? {
        let needs = { (send: String) in Message.text("oncall.transport.missing", ["way": way.rawValue, "send": send]) }
        return switch way {
        case .line where transports.lineToken == nil: needs("{ line: { token: \"env:LINE_CHANNEL_TOKEN\" } }")
        case .slack where transports.slackToken == nil: needs("{ slack: { token: \"env:SLACK_BOT_TOKEN\" } }")
        case .email where transports.sendgridKey == nil:
            needs("{ email: { apiKey: \"env:SENDGRID_API_KEY\", from: \"detour@example.jp\" } }")
        case .sms where transports.twilioAccount == nil, .phone where transports.twilioAccount == nil:
            needs("{ twilio: { accountSid: \"env:TWILIO_ACCOUNT_SID\", authToken: \"env:TWILIO_AUTH_TOKEN\", from: \"+815012345678\" } }")
        case .pagerduty where transports.pagerdutyKey == nil: needs("{ pagerduty: { routingKey: \"env:PAGERDUTY_ROUTING_KEY\" } }")
        default: nil
        }
    }

    /// Warns about a `send` credential that is not available where `check` runs, and refuses one too short to mask.
    func checkCredentials(_ schedule: OnCallSchedule?, environment: [String: String], root: String) {
        let resolver = SecretResolver(environment: environment, workspaceRoot: root)
        for (reference, location) in schedule?.transports.credentials ?? [] {
            if let value = resolver.peek(reference), value.count < Redactor.minimumLength {
                sink.error(
                    .text("oncall.credential.short", ["reference": "\(reference)", "length": "\(value.count)", "minimum": "\(Redactor.minimumLength)"]),
                    at: location)
            } else if !resolver.isAvailable(reference) {
                sink.warning(.text("oncall.credential.unavailable", ["reference": "\(reference)"]), at: location)
            }
        }
    }

    /// Every `page` step names a policy of the file.
    func checkPages(_ playbooks: [Playbook], schedule: OnCallSchedule?) {
        for playbook in playbooks {
            for step in playbook.steps + playbook.recovery {
                guard case .provider(let action) = step.action, let page = action as? PageAction else { continue }
                guard let schedule else {
                    sink.error(
                        .text("oncall.missing", ["step": step.id, "playbook": playbook.id, "escalation": page.escalation]), at: page.location)
                    continue
                }
                if schedule.escalation[page.escalation] == nil {
                    let names = schedule.escalation.keys.sorted()
                    sink.error(
                        .text(
                            "oncall.escalation.unknown",
                            values: [
                                "step": .plain(step.id), "playbook": .plain(playbook.id), "escalation": .plain(page.escalation),
                                "suggestion": didYouMean(page.escalation, in: names),
                                "names": .plain(names.isEmpty ? "none" : names.joined(separator: ", ")),
                            ]),
                        at: page.location)
                }
            }
        }
    }
}
