/// One problem found in a workspace, printed as `file:line:column: error: message`.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// How bad the problem is.
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// Where it is; a whole-file problem points at line 1, column 1.
    public var location: SourceLocation
    /// What is wrong and what to write instead, in English.
    public var message: String
    /// The same message as a catalog key and values, when it has been translated; nil for English only.
    public var localizable: Message?

    /// Creates a diagnostic whose message exists in English only.
    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// Creates a diagnostic from a catalog message; its English text is `message`.
    public init(_ severity: Severity, at location: SourceLocation, _ message: Message) {
        self.init(severity, at: location, message.rendered(by: .english))
        localizable = message
    }

    /// The compiler-style line editors and terminals understand.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }

    /// The message in a language, English when it has no translation.
    public func message(in l10n: Localizer) -> String {
        localizable?.rendered(by: l10n) ?? message
    }

    /// The compiler-style line in a language: the location and the word `error`/`warning` stay as
    /// they are, so editors still turn it into a link.
    public func description(in l10n: Localizer) -> String {
        "\(location): \(severity.rawValue): \(message(in: l10n))"
    }
}

/// Collects every problem of a load so they can all be reported at once.
///
/// At most `perFileLimit` diagnostics are kept for one file; the rest are only counted, so a
/// file of a million bad lines costs a counter, not a million messages.
final class DiagnosticSink {
    /// Diagnostics kept per file; after that they are summed up in one line.
    static let perFileLimit = 100

    private var kept: [Diagnostic] = []
    private var keptPerFile: [String: Int] = [:]
    private var dropped: [String: (count: Int, first: SourceLocation, errors: Bool)] = [:]
    private(set) var hasErrors = false

    /// Every kept diagnostic, then one summary per file that had more than the limit.
    var diagnostics: [Diagnostic] {
        kept
            + dropped.map { file, summary in
                Diagnostic(
                    summary.errors ? .error : .warning, at: summary.first,
                    .text("check.more-problems", ["count": groupedDigits(summary.count), "file": file]))
            }
    }

    func error(_ message: @autoclosure () -> String, at location: SourceLocation) {
        hasErrors = true
        add(.error, message, at: location)
    }

    func warning(_ message: @autoclosure () -> String, at location: SourceLocation) {
        add(.warning, message, at: location)
    }

    /// An error from a catalog message, shown in the reader's language.
    func error(_ message: @autoclosure () -> Message, at location: SourceLocation) {
        hasErrors = true
        add(.error, { Diagnostic(.error, at: location, message()) }, at: location)
    }

    /// A warning from a catalog message, shown in the reader's language.
    func warning(_ message: @autoclosure () -> Message, at location: SourceLocation) {
        add(.warning, { Diagnostic(.warning, at: location, message()) }, at: location)
    }

    private func add(_ severity: Diagnostic.Severity, _ message: () -> String, at location: SourceLocation) {
        add(severity, { Diagnostic(severity, at: location, message()) }, at: location)
    }

    private func add(_ severity: Diagnostic.Severity, _ diagnostic: () -> Diagnostic, at location: SourceLocation) {
        let count = keptPerFile[location.file, default: 0]
        guard count < Self.perFileLimit else {
            // The message is never built: over the limit only the count is kept.
            var summary = dropped[location.file] ?? (0, location, false)
            summary.count += 1
            summary.errors = summary.errors || severity == .error
            dropped[location.file] = summary
            return
        }
        keptPerFile[location.file] = count + 1
        kept.append(diagnostic())
    }
}

/// `24999900` → `24,999,900`, the same in every locale.
func groupedDigits(_ number: Int) -> String {
    var digits = String(number.magnitude)
    var grouped = ""
    while digits.count > 3 {
        grouped = "," + digits.suffix(3) + grouped
        digits.removeLast(3)
    }
    return (number < 0 ? "-" : "") + digits + grouped
}

/// The candidate a person most likely meant: the closest by edit distance when it is close enough
/// to be a typo, otherwise one that the word abbreviates (`stat` → `status`) or extends.
///
/// The one "did you mean" of the project: workspace diagnostics and the command line both use it.
public func closestMatch(to word: String, in candidates: some Sequence<String>) -> String? {
    let lowered = word.lowercased()
    var best: (String, Int)?
    var abbreviated: String?
    for candidate in candidates {
        let other = candidate.lowercased()
        let distance = editDistance(lowered, other)
        if distance < (best?.1 ?? .max) { best = (candidate, distance) }
        if abbreviated == nil, lowered.count >= 2, other.count >= 2, other.hasPrefix(lowered) || lowered.hasPrefix(other) {
            abbreviated = candidate
        }
    }
    if let (candidate, distance) = best, distance <= max(2, word.count / 3) { return candidate }
    return abbreviated
}

/// `did you mean "status"? ` in the reader's language when a candidate is close, or nothing.
func didYouMean(_ word: String, in candidates: some Sequence<String>, prefix: String = "") -> Message.Value {
    guard let match = closestMatch(to: word, in: candidates) else { return .plain("") }
    return .message(.text("check.did-you-mean", ["suggestion": prefix + match]))
}

/// Levenshtein distance over Unicode scalars.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
