import Foundation

/// A credential written as a reference: `env:NAME` or `file:PATH`, never the secret itself.
public enum CredentialReference: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    /// Reads a whole field value; nil when it is not a reference.
    public static func parse(_ text: String) -> CredentialReference? {
        if text.hasPrefix("env:") { return .environment(String(text.dropFirst(4))) }
        if text.hasPrefix("file:") { return .file(String(text.dropFirst(5))) }
        return nil
    }

    /// The largest `file:` credential read: 64 KB.
    public static let maxFileBytes = 64 << 10
    /// What a `file:` credential must be, for messages.
    public static let fileRule = "a file: credential must be a regular file of at most 64 KB that holds the secret"

    /// What is wrong with the reference's form, if anything.
    public var formProblem: String? {
        switch self {
        case .environment(let name):
            let valid =
                !name.isEmpty
                && name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            return valid ? nil : "\"env:\(name)\" is not a valid variable name; write env:NAME with letters, digits and _ (for example env:LINE_CHANNEL_TOKEN)"
        case .file(let path):
            return path.isEmpty ? "\"file:\" needs a path; write file:/etc/detour/line-token" : nil
        }
    }

    /// The reference as written, safe to print.
    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }
}

/// A secret that could not be read; says which reference, never a value.
public struct SecretError: DetourError {
    /// Why.
    public var description: String
}

/// Resolves credential references and remembers every value so outputs can mask it.
public final class SecretResolver: Sendable {
    private let environment: [String: String]
    private let workspaceRoot: String
    /// The masker every output goes through.
    public let redactor: Redactor

    /// Creates a resolver over an explicit environment (no process globals inside).
    public init(environment: [String: String], workspaceRoot: String, redactor: Redactor = Redactor()) {
        self.environment = environment
        self.workspaceRoot = workspaceRoot
        self.redactor = redactor
    }

    /// The value of a reference, registered for masking.
    public func resolve(_ reference: CredentialReference) throws(SecretError) -> String {
        let value: String
        switch reference {
        case .environment(let name):
            guard let found = environment[name], !found.isEmpty else {
                throw SecretError(description: "environment variable \(name) is not set; export it before running detour")
            }
            value = found
        case .file(let path):
            switch BoundedFile.read(fullPath(path), limit: CredentialReference.maxFileBytes) {
            case .success(let bytes):
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw SecretError(description: "secret file \(path) is not UTF-8 text; write the secret on one line")
                }
                value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            case .failure(.missing), .failure(.unreadable):
                throw SecretError(description: "cannot read secret file \(path); create it (one line, the secret) and make it readable")
            case .failure(let problem):
                throw SecretError(description: "secret file \(path) \(problem); \(CredentialReference.fileRule)")
            }
        }
        redactor.register(value)
        return value
    }

    /// Whether a reference can be resolved now (for `check` warnings), without registering it.
    public func isAvailable(_ reference: CredentialReference) -> Bool {
        switch reference {
        case .environment(let name): return !(environment[name] ?? "").isEmpty
        case .file(let path):
            return BoundedFile.check(fullPath(path), limit: CredentialReference.maxFileBytes) == nil
        }
    }

    /// Why a `file:` reference can never work (a folder, a device, a huge file); nil when it can, or may once created.
    public func fileProblem(_ reference: CredentialReference) -> BoundedFile.Problem? {
        guard case .file(let path) = reference else { return nil }
        switch BoundedFile.check(fullPath(path), limit: CredentialReference.maxFileBytes) {
        case .notRegular(let kind)?: return .notRegular(kind)
        case .tooLarge(let bytes, let limit)?: return .tooLarge(bytes: bytes, limit: limit)
        default: return nil
        }
    }

    private func fullPath(_ path: String) -> String { path.hasPrefix("/") ? path : workspaceRoot + "/" + path }
}

/// Replaces every registered secret value with `••••` in any text about to leave the process.
public final class Redactor: @unchecked Sendable {
    // @unchecked: `secrets` is only touched under `lock`.
    private let lock = NSLock()
    private var secrets: Set<String> = []

    /// Creates an empty redactor.
    public init() {}

    /// Adds a value to mask; very short values are masked too, but only as whole words would be noisy, so all are masked.
    public func register(_ secret: String) {
        guard !secret.isEmpty else { return }
        lock.withLock { _ = secrets.insert(secret) }
    }

    /// The text with every known secret masked, longest first so overlapping secrets mask fully.
    public func mask(_ text: String) -> String {
        let known = lock.withLock { secrets }
        guard !known.isEmpty else { return text }
        var output = text
        for secret in known.sorted(by: { $0.count > $1.count }) where output.contains(secret) {
            output = output.replacingOccurrences(of: secret, with: "••••")
        }
        return output
    }
}
