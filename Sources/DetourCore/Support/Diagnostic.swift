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
    /// What is wrong and what to write instead.
    public var message: String

    /// Creates a diagnostic.
    public init(_ severity: Severity, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// The compiler-style line editors and terminals understand.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
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
                    "and \(groupedDigits(summary.count)) more problems in \(file), not shown; fix the ones above and run detour check again")
            }
    }

    func error(_ message: @autoclosure () -> String, at location: SourceLocation) {
        hasErrors = true
        add(.error, message, at: location)
    }

    func warning(_ message: @autoclosure () -> String, at location: SourceLocation) {
        add(.warning, message, at: location)
    }

    private func add(_ severity: Diagnostic.Severity, _ message: () -> String, at location: SourceLocation) {
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
        kept.append(Diagnostic(severity, at: location, message()))
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
