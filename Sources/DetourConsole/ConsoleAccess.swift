import DetourCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Sign-in links, sessions, revocations and form tokens, kept in `<state>/console/`.
///
/// The signing key (`key`, 0600) never leaves the folder; sign-in tokens are stored only as their
/// SHA-256; sessions are cookies signed with HMAC-SHA-256 and checked against `revoked.json` on
/// every request.
public struct ConsoleAccess: Sendable {
    /// How long a sign-in link works.
    public static let linkLifetime: TimeInterval = 10 * 60
    /// How long a session lasts.
    public static let sessionLifetime: TimeInterval = 12 * 60 * 60

    /// The `console` folder inside the state folder.
    public let folder: String

    /// Access data for a state folder (created on first use).
    public init(stateDirectory: String) {
        folder = stateDirectory + "/console"
    }

    /// A signed-in person, as read from a valid session cookie.
    public struct Session: Sendable, Equatable {
        /// The user's name.
        public var user: String
        /// When the session began.
        public var issuedAt: Date
        /// When it ends.
        public var expiresAt: Date
        /// Its random id (ends it alone at sign-out, and keys its form tokens).
        public var nonce: String
    }

    // MARK: - Sign-in links

    /// Creates a one-time sign-in token for `user`, valid for ten minutes, and returns it.
    public func issueSignInToken(for user: String, now: Date) throws -> String {
        let token = Self.randomHex(32)
        var file = try load(SignInFile.self, "signin.json") ?? SignInFile()
        file.tokens = file.tokens.filter { $0.expiresAt > now }
        file.tokens.append(.init(hash: SHA256.hex(token), user: user, expiresAt: now.addingTimeInterval(Self.linkLifetime)))
        try save(file, "signin.json")
        return token
    }

    /// Uses up a sign-in token: the user it was for, or nil when it is unknown, expired or used.
    public func redeem(_ token: String, now: Date) throws -> String? {
        guard var file = try load(SignInFile.self, "signin.json") else { return nil }
        let hash = SHA256.hex(token)
        guard let index = file.tokens.firstIndex(where: { $0.hash == hash }) else { return nil }
        let entry = file.tokens.remove(at: index)
        file.tokens = file.tokens.filter { $0.expiresAt > now }
        try save(file, "signin.json")
        return entry.expiresAt > now ? entry.user : nil
    }

    // MARK: - Sessions

    /// A new session's cookie value for `user`.
    public func sessionCookie(for user: String, now: Date) throws -> String {
        let payload = [
            // Milliseconds, so a revocation and a new sign-in in the same second stay apart.
            user, String(Int(now.timeIntervalSince1970 * 1000)), String(Int(now.addingTimeInterval(Self.sessionLifetime).timeIntervalSince1970 * 1000)),
            Self.randomHex(16),
        ].joined(separator: "\n")
        let bytes = Array(payload.utf8)
        return Self.hex(bytes) + "." + Self.hex(HMAC.sha256(key: try key(), message: bytes))
    }

    /// The session a cookie value carries, when its signature holds, it has not expired, and
    /// neither it nor its user has been revoked since it began.
    public func session(fromCookie value: String, now: Date) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.bytes(hex: parts[0]), let tag = Self.bytes(hex: parts[1]),
            let key = try? key(), ConstantTime.equal(HMAC.sha256(key: key, message: payload), tag)
        else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, let issued = Int(fields[1]), let expires = Int(fields[2]) else { return nil }
        let session = Session(
            user: fields[0], issuedAt: Date(timeIntervalSince1970: TimeInterval(issued) / 1000),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expires) / 1000), nonce: fields[3])
        guard session.expiresAt > now else { return nil }
        let revoked = (try? load(RevokedFile.self, "revoked.json")) ?? nil
        if let userCut = revoked?.users[session.user], userCut >= session.issuedAt { return nil }
        if revoked?.sessions[session.nonce] != nil { return nil }
        return session
    }

    /// Ends one session (sign-out).
    public func signOut(_ session: Session) throws {
        var file = try load(RevokedFile.self, "revoked.json") ?? RevokedFile()
        let now = Date()
        file.sessions = file.sessions.filter { $0.value > now }
        file.sessions[session.nonce] = session.expiresAt
        try save(file, "revoked.json")
    }

    /// Ends every session of `user` begun up to now (`detour console revoke NAME`), and their unused links.
    public func revoke(user: String, now: Date) throws {
        var file = try load(RevokedFile.self, "revoked.json") ?? RevokedFile()
        file.users[user] = now
        try save(file, "revoked.json")
        if var links = try load(SignInFile.self, "signin.json") {
            links.tokens.removeAll { $0.user == user }
            try save(links, "signin.json")
        }
    }

    /// The token a form must carry for `form` within this session.
    public func formToken(_ session: Session, form: String) -> String {
        formSigner(for: session).token(form: form)
    }

    /// Signs form tokens for one session with the key read once: a page carries a form per action and channel.
    public func formSigner(for session: Session) -> FormSigner {
        FormSigner(key: (try? key()) ?? [], nonce: session.nonce)
    }

    /// The per-form tokens of one session's page.
    public struct FormSigner: Sendable {
        let key: [UInt8]
        let nonce: String

        /// The token for `form` (an action and its target) within the session.
        public func token(form: String) -> String {
            ConsoleAccess.hex(HMAC.sha256(key: key, message: Array("form\n\(nonce)\n\(form)".utf8)))
        }
    }

    /// Whether `token` is the form token for `form` within this session.
    public func checkFormToken(_ token: String, session: Session, form: String) -> Bool {
        ConstantTime.equal(Array(token.utf8), Array(formToken(session, form: form).utf8))
    }

    // MARK: - Where the console listens

    /// Notes the address the daemon serves, so `console login` can build links without `console.url`.
    public func noteAddress(_ base: String) throws {
        try ensureFolder()
        try Data(base.utf8).write(to: URL(fileURLWithPath: folder + "/address"), options: .atomic)
    }

    /// The address the daemon last said it serves.
    public func address() -> String? {
        (try? String(contentsOfFile: folder + "/address", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Files

    private struct SignInFile: Codable {
        struct Entry: Codable {
            var hash: String
            var user: String
            var expiresAt: Date
        }
        var tokens: [Entry] = []
    }

    private struct RevokedFile: Codable {
        /// Per user: sessions begun up to this time are over.
        var users: [String: Date] = [:]
        /// Single sessions signed out, by nonce, kept until they would have expired.
        var sessions: [String: Date] = [:]
    }

    /// The signing key, created (0600) on first use.
    private func key() throws -> [UInt8] {
        let path = folder + "/key"
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
            let bytes = Self.bytes(hex: Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))), bytes.count == 32
        {
            return bytes
        }
        try ensureFolder()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            // Another process created it first: use theirs.
            if errno == EEXIST, let text = try? String(contentsOfFile: path, encoding: .utf8),
                let existing = Self.bytes(hex: Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))), existing.count == 32
            {
                return existing
            }
            throw ConsoleAccessError("cannot create the console's signing key at \(path): \(String(describing: POSIXErrorCode(rawValue: errno) ?? .EIO))")
        }
        let text = Array(Self.hex(bytes).utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == text.count else { throw ConsoleAccessError("cannot write the console's signing key at \(path)") }
        return bytes
    }

    private func ensureFolder() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    private func load<Value: Decodable>(_ type: Value.Type, _ name: String) throws -> Value? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try? decoder.decode(type, from: data)
    }

    private func save<Value: Encodable>(_ value: Value, _ name: String) throws {
        try ensureFolder()
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        let path = folder + "/" + name
        try encoder.encode(value).write(to: URL(fileURLWithPath: path), options: .atomic)
        _ = chmod(path, 0o600)
    }

    static func randomHex(_ count: Int) -> String {
        hex((0..<count).map { _ in UInt8.random(in: 0...255) })
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex text: Substring) -> [UInt8]? {
        let scalars = Array(text.utf8)
        guard scalars.count % 2 == 0, scalars.count <= 4096 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(scalars.count / 2)
        var index = 0
        while index < scalars.count {
            guard let high = nibble(scalars[index]), let low = nibble(scalars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}

/// A problem with the console's files in the state folder.
public struct ConsoleAccessError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and where.
    public var description: String
    init(_ description: String) { self.description = description }
}
