/// Reads one JSON5 object into typed fields, reporting every problem to a sink.
///
/// Every key asked for counts as known, so `finish()` can report the rest as unknown with a
/// did-you-mean; a reader never stops at the first problem.
final class NodeReader {
    let node: JSONNode
    /// What the object is, for messages: `channel`, `probe "cart"`, `step "line"`.
    let subject: String
    /// The same, to show in the reader's language.
    let subjectText: Message.Value
    let sink: DiagnosticSink
    private let members: [JSONNode.Member]
    private var known: [String] = []

    /// Nil (after reporting) when the node is not an object.
    init?(_ node: JSONNode, subject: Message.Value, sink: DiagnosticSink) {
        guard case .object(let members) = node.value else {
            sink.error(.text("check.object.expected", values: ["subject": subject, "found": node.kind]), at: node.location)
            return nil
        }
        self.node = node
        self.subject = subject.rendered(by: .english)
        subjectText = subject
        self.sink = sink
        self.members = members
        var seen: Set<String> = []
        for member in members where !seen.insert(member.key).inserted {
            sink.error(.text("check.key.duplicate", values: ["key": .plain(member.key), "subject": subject]), at: member.keyLocation)
        }
    }

    /// The raw node of a key, marking the key as known.
    func value(_ key: String) -> JSONNode? {
        known.append(key)
        return members.last { $0.key == key }?.value
    }

    /// The raw node of a required key; reports it when missing.
    func required(_ key: String, hint: String) -> JSONNode? {
        guard let node = value(key) else {
            sink.error(.text("check.key.missing", values: ["subject": subjectText, "key": .plain(key), "hint": .plain(hint)]), at: self.node.location)
            return nil
        }
        return node
    }

    func string(_ key: String) -> String? {
        value(key).flatMap { expectString($0, key: key) }
    }

    func requiredString(_ key: String, hint: String) -> String? {
        required(key, hint: hint).flatMap { expectString($0, key: key) }
    }

    func bool(_ key: String) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .bool(let flag) = node.value else {
            typeError(key, node, expected: .message(.text("check.expected.bool")))
            return nil
        }
        return flag
    }

    func number(_ key: String) -> Double? {
        value(key).flatMap { expectNumber($0, key: key) }
    }

    /// A positive whole number.
    func count(_ key: String, minimum: Int = 1) -> Int? {
        guard let node = value(key), let number = expectNumber(node, key: key) else { return nil }
        guard number == number.rounded(), number >= Double(minimum), number <= 1_000_000 else {
            sink.error(.text("check.number.whole", ["key": key, "minimum": "\(minimum)", "found": node.literal]), at: node.location)
            return nil
        }
        return Int(number)
    }

    func duration(_ key: String, allowZero: Bool = false) -> Duration? {
        guard let node = value(key), let text = expectString(node, key: key) else { return nil }
        guard let duration = DurationText.parse(text), duration > .zero || (allowZero && duration == .zero) else {
            sink.error(.text("check.duration.invalid", ["key": key, "text": text]), at: node.location)
            return nil
        }
        guard duration <= DurationText.longest else {
            sink.error(.text("check.duration.too-long", ["key": key, "text": text]), at: node.location)
            return nil
        }
        return duration
    }

    func stringArray(_ key: String) -> [Located<String>]? {
        guard let node = value(key) else { return nil }
        guard case .array(let items) = node.value else {
            typeError(key, node, expected: .message(.text("check.expected.string-list")))
            return nil
        }
        return items.compactMap { item in expectString(item, key: key).map { Located($0, at: item.location) } }
    }

    func array(_ key: String) -> [JSONNode]? {
        guard let node = value(key) else { return nil }
        guard case .array(let items) = node.value else {
            typeError(key, node, expected: .message(.text("check.expected.list")))
            return nil
        }
        return items
    }

    /// One of a fixed set of words.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) -> T? where T.RawValue == String {
        guard let node = value(key), let text = expectString(node, key: key) else { return nil }
        if let value = T(rawValue: text) { return value }
        let allowed = T.allCases.map(\.rawValue)
        let list = allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        sink.error(
            .text(
                "check.value.unknown", values: ["key": .plain(key), "text": .plain(text), "suggestion": didYouMean(text, in: allowed), "list": .plain(list)]),
            at: node.location)
        return nil
    }

    /// Reports keys that were never asked for, with the closest known key.
    func finish() {
        for member in members where !known.contains(member.key) {
            if let suggestion = closestMatch(to: member.key, in: known) {
                sink.error(
                    .text("check.key.unknown-suggest", values: ["key": .plain(member.key), "subject": subjectText, "suggestion": .plain(suggestion)]),
                    at: member.keyLocation)
            } else {
                let list = known.map { "\"\($0)\"" }.joined(separator: ", ")
                sink.error(
                    .text("check.key.unknown", values: ["key": .plain(member.key), "subject": subjectText, "list": .plain(list)]), at: member.keyLocation)
            }
        }
    }

    func expectString(_ node: JSONNode, key: String) -> String? {
        guard case .string(let text) = node.value else {
            typeError(key, node, expected: .message(.text("check.expected.string")))
            return nil
        }
        return text
    }

    func expectNumber(_ node: JSONNode, key: String) -> Double? {
        guard case .number(let number) = node.value, number.isFinite else {
            typeError(key, node, expected: .message(.text("check.expected.number")))
            return nil
        }
        return number
    }

    func typeError(_ key: String, _ node: JSONNode, expected: Message.Value) {
        sink.error(
            .text("check.type.wrong", values: ["key": .plain(key), "subject": subjectText, "expected": expected, "found": node.kind]), at: node.location)
    }
}

extension JSONNode {
    /// What kind of value this is, for messages: `a string "abc"`, `a number 3`, `an object`.
    var kindName: String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number: "a number \(literal)"
        case .string(let text): "a string \"\(text.prefix(40))\""
        case .array: "a list [ … ]"
        case .object: "an object { … }"
        }
    }

    /// What kind of value this is, as a message to show in the reader's language.
    var kind: Message.Value {
        switch value {
        case .null: .plain("null")
        case .bool(let flag): .plain("\(flag)")
        case .number: .message(.text("check.found.number", ["literal": literal]))
        case .string(let text): .message(.text("check.found.string", ["text": String(text.prefix(40))]))
        case .array: .message(.text("check.found.list"))
        case .object: .message(.text("check.found.object"))
        }
    }

    /// The value as it would be written, for short messages.
    var literal: String {
        switch value {
        case .number(let number):
            number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): "\"\(text)\""
        default: kindName
        }
    }

    /// The members of an object node, or nil.
    var members: [Member]? {
        if case .object(let members) = value { return members }
        return nil
    }

    /// The plain JSON value without locations.
    public var plainValue: JSONValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): .number(number)
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(\.plainValue))
        case .object(let members): .object(members.map { ($0.key, $0.value.plainValue) })
        }
    }
}
