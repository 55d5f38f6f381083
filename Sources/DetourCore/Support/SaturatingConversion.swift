extension FixedWidthInteger {
    /// The whole part of `value`, or the nearest value the type holds: never traps.
    ///
    /// `Int(x)` on a `Double` crashes the process when `x` is NaN, infinite or out of range, and
    /// amounts, waits and sizes come from files and servers Detour does not control. NaN becomes 0.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= Double(Self.max) {
            self = Self.max
        } else if value <= Double(Self.min) {
            self = Self.min
        } else {
            self.init(value.rounded(.towardZero))
        }
    }
}
