import Foundation

/// Money as merchants read it: `¥128,000`, no decimals for yen.
public enum Money {
    /// Formats an amount in a currency.
    public static func format(_ amount: Double, currency: String) -> String {
        let decimals = ["JPY", "KRW", "VND", "TWD"].contains(currency) ? 0 : 2
        let symbol = ["JPY": "¥", "USD": "$", "EUR": "€"][currency] ?? currency + " "
        let factor = pow(10, Double(decimals))
        let rounded = (amount * factor).rounded() / factor
        guard rounded.isFinite else { return amount.isNaN ? symbol + "?" : (amount < 0 ? "-" : "") + symbol + "∞" }
        // Digits from printf, not from an Int64: amounts past 9.2e18 must print, not trap.
        let whole = abs(rounded).rounded(.towardZero)
        var digits = String(format: "%.0f", whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        let fraction = decimals > 0 ? String(format: ".%02d", min(99, Int(saturating: (abs(rounded) - whole) * factor + 0.5))) : ""
        return (rounded < 0 ? "-" : "") + symbol + grouped + fraction
    }
}
