import Foundation

/// Elapsed time as people read it in reports: `40 s`, `3 min 20 s`, `2 h 05 min`.
public enum Elapsed {
    /// Formats a number of seconds.
    public static func text(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int(saturating: (max(0, seconds) * 1_000).rounded())) ms" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let whole = Int(saturating: seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3_600 { return whole % 60 == 0 ? "\(whole / 60) min" : "\(whole / 60) min \(whole % 60) s" }
        return String(format: "%d h %02d min", whole / 3_600, whole % 3_600 / 60)
    }
}
