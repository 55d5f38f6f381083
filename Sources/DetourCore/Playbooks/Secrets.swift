import Foundation
import Synchronization

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
    public var formProblem: String? { formProblemText?.rendered(by: .english) }

    /// What is wrong with the reference's form, to show in the reader's language.
    public var formProblemText: Message? {
        switch self {
        case .environment(let name):
            let valid =
                !name.isEmpty
                && name.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            return valid ? nil : .text("check.credential.env-name", ["name": name])
        case .file(let path):
            return path.isEmpty ? .text("check.credential.file-path") : nil
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

    /// The value a reference has now (for `check`), without registering it; nil when it has none
    /// here. A `file:` is read only when it is a regular file of at most 64 KB.
    public func peek(_ reference: CredentialReference) -> String? {
        switch reference {
        case .environment(let name):
            return environment[name].flatMap { $0.isEmpty ? nil : $0 }
        case .file(let path):
            let full = path.hasPrefix("/") ? path : workspaceRoot + "/" + path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular,
                (attributes[.size] as? NSNumber)?.intValue ?? .max <= 64 << 10,
                let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8)
            else { return nil }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
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

/// Replaces every registered secret value with `••••` in any text about to leave the process, in
/// every form a server may echo it back in: as sent, JSON-escaped, percent-encoded, or inside
/// Base64 (a Basic `user:secret` credential included).
public final class Redactor: Sendable {
    /// The secrets, and every written form of every secret, longest first.
    private struct Known {
        var secrets: Set<String> = []
        var forms: [String] = []
    }

    private let known = Mutex(Known())

    /// Shorter credentials cannot be masked safely (masking `x` would rewrite every `x`); `check` refuses them.
    public static let minimumLength = 8

    /// Creates an empty redactor.
    public init() {}

    /// Adds a value to mask.
    public func register(_ secret: String) {
        guard !secret.isEmpty else { return }
        known.withLock { known in
            guard known.secrets.insert(secret).inserted else { return }
            known.forms = Array(Set(known.forms).union(Self.writtenForms(of: secret))).sorted {
                $0.count != $1.count ? $0.count > $1.count : $0 < $1
            }
        }
    }

    /// The text with every occurrence of a known secret, in any of its forms, masked; nothing else changes.
    public func mask(_ text: String) -> String {
        let (secrets, forms) = known.withLock { ($0.secrets, $0.forms) }
        guard !secrets.isEmpty else { return text }
        var output = Self.maskBase64(in: text, secrets: secrets)
        if output.contains("%") { output = Self.maskPercentEncoded(in: output, secrets: secrets) }
        for form in forms where output.contains(form) {
            output = output.replacingOccurrences(of: form, with: "••••")
        }
        return output
    }

    // MARK: - Forms

    /// The secret as sent, JSON-escaped (with and without `\/`, with `\u` escapes) and Base64
    /// (standard and URL-safe); percent-encoding and Base64 inside longer tokens are found by decoding.
    static func writtenForms(of secret: String) -> Set<String> {
        var forms: Set<String> = [secret]
        for slash in [false, true] {
            forms.insert(jsonEscaped(secret, slash: slash, ascii: nil))
            forms.insert(jsonEscaped(secret, slash: slash, ascii: "%04x"))
            forms.insert(jsonEscaped(secret, slash: slash, ascii: "%04X"))
        }
        let base64 = Data(secret.utf8).base64EncodedString()
        let unpadded = String(base64.prefix { $0 != "=" })
        for form in [base64, unpadded] {
            forms.insert(form)
            forms.insert(form.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return forms
    }

    private static func jsonEscaped(_ text: String, slash: Bool, ascii format: String?) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "/" where slash: output += "\\/"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || (format != nil && scalar.value > 0x7E):
                for unit in String(scalar).utf16 { output += "\\u" + String(format: format ?? "%04x", unit) }
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// Masks every percent-encoded occurrence of a secret, whichever characters the encoder chose
    /// to escape and in either hex case: the text is decoded, and each match mapped back.
    private static func maskPercentEncoded(in text: String, secrets: Set<String>) -> String {
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        var source: [Int] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                source.append(index)
                index += 3
            } else {
                decoded.append(bytes[index])
                source.append(index)
                index += 1
            }
        }
        source.append(bytes.count)
        guard decoded.count < bytes.count else { return text }
        var cuts: [Range<Int>] = []
        for secret in secrets {
            let needle = Array(secret.utf8)
            var from = 0
            while let found = firstIndex(of: needle, in: decoded, from: from) {
                cuts.append(source[found]..<source[found + needle.count])
                from = found + needle.count
            }
        }
        guard !cuts.isEmpty else { return text }
        var output: [UInt8] = []
        var copied = 0
        for cut in cuts.sorted(by: { $0.lowerBound < $1.lowerBound }) where cut.lowerBound >= copied {
            output += bytes[copied..<cut.lowerBound]
            output += Array("••••".utf8)
            copied = cut.upperBound
        }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count - start >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// Masks every Base64 run that decodes to text holding a secret: `Basic dXNlcjpzM2NyM3Q=` carries
    /// `user:s3cr3t`, and no list of users could name every pair.
    private static func maskBase64(in text: String, secrets: Set<String>) -> String {
        let bytes = Array(text.utf8)
        // The shortest secret (8 bytes) takes 11 Base64 characters.
        guard bytes.count >= 11 else { return text }
        let needles = secrets.map { Data($0.utf8) }
        var output: [UInt8] = []
        var masked = false
        var index = 0
        var copied = 0
        while index < bytes.count {
            guard isBase64(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, isBase64(bytes[end]) { end += 1 }
            var padded = end
            while padded < bytes.count, padded - end < 2, bytes[padded] == UInt8(ascii: "=") { padded += 1 }
            if end - index >= 11, let start = secretStart(bytes[index..<end], needles) {
                output += bytes[copied..<start]
                output += Array("••••".utf8)
                copied = padded
                masked = true
            }
            index = padded
        }
        guard masked else { return text }
        output += bytes[copied...]
        return String(decoding: output, as: UTF8.self)
    }

    /// Where, within a run of Base64 characters, an encoded secret starts; nil when none is there.
    ///
    /// The run may begin with characters that belong to something else (`/v1/` before a token),
    /// so each start after a `/`, `+`, `-` or `_` is tried too.
    private static func secretStart(_ run: ArraySlice<UInt8>, _ needles: [Data]) -> Int? {
        var starts = [run.startIndex]
        for position in run.indices where [UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "_")].contains(run[position]) {
            if starts.count > 16 { break }
            if position + 1 < run.endIndex { starts.append(position + 1) }
        }
        for start in starts where run.endIndex - start >= 11 {
            guard let decoded = decodeBase64(run[start...]) else { continue }
            if needles.contains(where: { decoded.range(of: $0) != nil }) { return start }
        }
        return nil
    }

    private static func decodeBase64(_ run: ArraySlice<UInt8>) -> Data? {
        var text = run.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }
        if text.count % 4 == 1 { text.removeLast() }
        while text.count % 4 != 0 { text.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(text))
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }
}
