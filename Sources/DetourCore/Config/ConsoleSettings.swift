import Foundation

/// `console: { users: [{ name: "sato", role: "operator" }], url: "https://status.example.jp" }` in `detour.json5`.
public struct ConsoleSettings: Sendable, Equatable {
    /// What a console user may do.
    public enum Role: String, Sendable, CaseIterable {
        /// Sees everything, acts on nothing.
        case viewer
        /// May also fail over, restore, hold, release, approve, acknowledge and retry.
        case `operator`
    }

    /// One person who may sign in to the console.
    public struct User: Sendable, Equatable {
        /// The name journaled as `by` for what they do.
        public var name: String
        /// What they may do.
        public var role: Role

        /// Creates a user.
        public init(name: String, role: Role) {
            self.name = name
            self.role = role
        }
    }

    /// Who may sign in.
    public var users: [User] = []
    /// The public base address links are built on (`https://status.example.jp`), when Detour sits behind a proxy.
    public var url: String? = nil

    /// No users, no public address.
    public init(users: [User] = [], url: String? = nil) {
        self.users = users
        self.url = url
    }

    /// The user with this name.
    public func user(named name: String) -> User? { users.first { $0.name == name } }

    /// Reads the `console` object, reporting every problem to `sink`.
    static func read(_ node: JSONNode, sink: DiagnosticSink) -> ConsoleSettings? {
        guard let reader = NodeReader(node, subject: "console", sink: sink) else { return nil }
        defer { reader.finish() }
        var settings = ConsoleSettings()
        if let url = reader.value("url"), let text = reader.expectString(url, key: "url") {
            if text.hasPrefix("https://") || text.hasPrefix("http://") {
                settings.url = text.hasSuffix("/") ? String(text.dropLast()) : text
            } else {
                sink.error("\"url\" in console must start with https:// (or http://); write url: \"https://status.example.jp\"", at: url.location)
            }
        }
        for item in reader.array("users") ?? [] {
            guard let user = NodeReader(item, subject: "console user", sink: sink) else { continue }
            let name = user.requiredString("name", hint: "name: \"sato\" (journaled as who acted)")
            let role = user.choice("role", as: Role.self)
            if user.value("role") == nil {
                sink.error("console user is missing \"role\"; add role: \"viewer\" or role: \"operator\"", at: item.location)
            }
            user.finish()
            guard let name, let role else { continue }
            if name.isEmpty || name.contains(where: { $0.isWhitespace || $0.isNewline || $0 == ":" }) {
                sink.error("console user name \"\(name)\" must be one word without spaces or colons, such as \"sato\"", at: item.location)
            } else if settings.user(named: name) != nil {
                sink.error("console user \"\(name)\" is listed twice; keep only one", at: item.location)
            } else {
                settings.users.append(User(name: name, role: role))
            }
        }
        return settings
    }
}
