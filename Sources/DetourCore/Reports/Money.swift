import Foundation

/// An amount of money in whole minor units of its currency: whole yen, or cents for dollars.
///
/// Amounts are computed from rates × hours as `Double` once, rounded to minor units, and from
/// then on added as integers that saturate at the limits of `Int64` (never trap): a report's
/// total is the sum of the amounts it prints.
public struct Money: Sendable, Hashable, Comparable {
    /// Whole minor units (yen, cents).
    public var minorUnits: Int64
    /// ISO 4217 code (`JPY`).
    public var currency: String

    /// An amount in minor units.
    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// An amount in major units (yen, dollars), rounded to the nearest minor unit; NaN is zero,
    /// anything past `Int64` the nearest value it holds.
    public init(_ amount: Double, currency: String) {
        self.init(minorUnits: Int64(saturating: (amount * Self.factor(currency)).rounded()), currency: currency)
    }

    /// Zero in a currency.
    public static func zero(_ currency: String) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Digits after the decimal point: none for yen, won, dong and Taiwan dollars, two otherwise.
    public static func decimals(_ currency: String) -> Int {
        ["JPY", "KRW", "VND", "TWD"].contains(currency) ? 0 : 2
    }

    static func factor(_ currency: String) -> Double { decimals(currency) == 0 ? 1 : 100 }

    /// The amount in major units, rounded half away from zero to a whole one (CSV, JSON, metrics).
    /// The amount as a number of whole units (for arithmetic such as sums per period).
    public var amount: Double { Double(minorUnits) / Self.factor(currency) }

    /// Whole units, rounded half away from zero.
    public var wholeUnits: Int64 {
        let factor = Int64(Self.factor(currency))
        guard factor > 1 else { return minorUnits }
        let (quotient, remainder) = minorUnits.quotientAndRemainder(dividingBy: factor)
        return remainder.magnitude * 2 >= factor.magnitude ? quotient + (minorUnits < 0 ? -1 : 1) : quotient
    }

    /// `¥128,000`, `$1,234.50`.
    public var formatted: String {
        let decimals = Self.decimals(currency)
        let symbol = ["JPY": "¥", "USD": "$", "EUR": "€"][currency] ?? currency + " "
        let magnitude = minorUnits.magnitude
        let factor = UInt64(Self.factor(currency))
        let fraction = decimals > 0 ? "." + String(String(magnitude % factor + factor).dropFirst()) : ""
        return (minorUnits < 0 ? "-" : "") + symbol + Self.grouped(magnitude / factor) + fraction
    }

    /// Formats an amount in major units: `Money(amount, currency:).formatted`.
    public static func format(_ amount: Double, currency: String) -> String {
        Money(amount, currency: currency).formatted
    }

    /// The sum; saturates rather than trapping. Both amounts are in the same currency.
    public static func + (lhs: Money, rhs: Money) -> Money {
        let (sum, overflow) = lhs.minorUnits.addingReportingOverflow(rhs.minorUnits)
        return Money(minorUnits: overflow ? (rhs.minorUnits > 0 ? .max : .min) : sum, currency: lhs.currency)
    }

    /// Adds in place, saturating.
    public static func += (lhs: inout Money, rhs: Money) { lhs = lhs + rhs }

    /// Orders amounts of one currency.
    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }

    private static func grouped(_ number: UInt64) -> String {
        var digits = String(number)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        return digits + grouped
    }
}
