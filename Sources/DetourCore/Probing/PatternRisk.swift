/// Spots regular expressions that can take exponential time: a repeated group that itself repeats.
///
/// `(x+)+`, `(x*)*` and `(\d+,?)+` backtrack through every way of splitting a long run of `x`
/// between the two loops when the rest of the pattern fails. Bounded repeats (`?`, `{1,3}`) and
/// single repeats (`\d+,`) are fine.
public enum PatternRisk {
    /// Whether `pattern` has a group with an unbounded repeat inside that is itself repeated without bound.
    public static func hasNestedQuantifier(_ pattern: String) -> Bool {
        let scalars = Array(pattern.unicodeScalars)
        // One entry per open group: whether something inside it repeats without bound.
        var groups: [Bool] = [false]
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "\\":
                i += 2
                continue
            case "[":
                i = endOfClass(scalars, from: i)
                continue
            case "(":
                groups.append(false)
                i = afterGroupPrefix(scalars, from: i + 1)
                continue
            case ")":
                let repeatsInside = groups.count > 1 ? groups.removeLast() : false
                let (unbounded, next) = quantifier(scalars, at: i + 1)
                if repeatsInside && unbounded { return true }
                if repeatsInside || unbounded { groups[groups.count - 1] = true }
                i = next
                continue
            default:
                let (unbounded, next) = quantifier(scalars, at: i)
                if unbounded {
                    groups[groups.count - 1] = true
                    i = next
                    continue
                }
            }
            i += 1
        }
        return false
    }

    /// Whether a `*`, `+` or `{n,}` starts at `index`, and the index after it (and its lazy or possessive mark).
    private static func quantifier(_ scalars: [Unicode.Scalar], at index: Int) -> (unbounded: Bool, next: Int) {
        guard index < scalars.count else { return (false, index) }
        var end = index
        var unbounded = false
        switch scalars[index] {
        case "*", "+":
            unbounded = true
            end = index + 1
        case "{":
            var close = index + 1
            while close < scalars.count, scalars[close] != "}" { close += 1 }
            guard close < scalars.count else { return (false, index) }
            let body = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
            let parts = body.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, Int(parts[0]) != nil, parts[1].isEmpty else { return (false, index) }
            unbounded = true
            end = close + 1
        default:
            return (false, index)
        }
        if end < scalars.count, scalars[end] == "?" || scalars[end] == "+" { end += 1 }
        return (unbounded, end)
    }

    /// The index after a character class that opens at `start`.
    private static func endOfClass(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var i = start + 1
        if i < scalars.count, scalars[i] == "^" { i += 1 }
        // A `]` right after the opening bracket is a literal.
        if i < scalars.count, scalars[i] == "]" { i += 1 }
        while i < scalars.count {
            if scalars[i] == "\\" {
                i += 2
                continue
            }
            if scalars[i] == "]" { return i + 1 }
            i += 1
        }
        return i
    }

    /// The index after `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` of a group whose `(` is just before `index`.
    private static func afterGroupPrefix(_ scalars: [Unicode.Scalar], from index: Int) -> Int {
        guard index < scalars.count, scalars[index] == "?" else { return index }
        var i = index + 1
        guard i < scalars.count else { return i }
        if scalars[i] == "<", i + 1 < scalars.count, scalars[i + 1] != "=" && scalars[i + 1] != "!" {
            while i < scalars.count, scalars[i] != ">" { i += 1 }
        } else if scalars[i] == "<" {
            i += 1
        }
        return i + 1
    }
}
