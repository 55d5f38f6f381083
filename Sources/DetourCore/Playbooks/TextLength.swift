import Foundation

/// Text lengths the way the platforms count them.
public enum TextLength {
    /// X's weighted length: NFC first; every URL 23; an emoji 2; weight 1 for U+0000–U+10FF,
    /// U+2000–U+200D, U+2010–U+201F, U+2032–U+2037, and 2 for everything else (kana, kanji).
    public static func xWeighted(_ text: String) -> Int {
        let normalized = text.precomposedStringWithCanonicalMapping
        var total = 0
        var rest = Substring(normalized)
        while let range = rest.range(of: #"https?://[^\s　]+"#, options: .regularExpression) {
            total += weigh(rest[..<range.lowerBound]) + 23
            rest = rest[range.upperBound...]
        }
        return total + weigh(rest)
    }

    private static func weigh(_ text: Substring) -> Int {
        var total = 0
        for character in text {
            let scalars = character.unicodeScalars
            if let first = scalars.first, first.properties.isEmoji, first.value > 0xFF,
                first.properties.isEmojiPresentation || scalars.count > 1
            {
                total += 2
                continue
            }
            for scalar in scalars { total += weight(of: scalar.value) }
        }
        return total
    }

    private static func weight(of value: UInt32) -> Int {
        switch value {
        case 0x0000...0x10FF, 0x2000...0x200D, 0x2010...0x201F, 0x2032...0x2037: 1
        default: 2
        }
    }
}

/// Deterministic UUIDs (RFC 9562 version 5, name-based with SHA-1), so a resumed run sends the same retry key.
public enum NameBasedUUID {
    /// The UUID for a name, in the URL namespace.
    public static func make(_ name: String) -> String {
        // The URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
        let namespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
        var bytes = Array(SHA1.digest(namespace + Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}

/// SHA-1, only for name-based UUIDs (Foundation on Linux has no CryptoKit); not for security.
enum SHA1 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(data[j]) << 24 | UInt32(data[j + 1]) << 16 | UInt32(data[j + 2]) << 8 | UInt32(data[j + 3])
            }
            for i in 16..<80 { w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotatedLeft(1) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = a.rotatedLeft(5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b.rotatedLeft(30), a, temp)
            }
            h[0] = h[0] &+ a
            h[1] = h[1] &+ b
            h[2] = h[2] &+ c
            h[3] = h[3] &+ d
            h[4] = h[4] &+ e
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }
}

extension UInt32 {
    fileprivate func rotatedLeft(_ count: UInt32) -> UInt32 { (self << count) | (self >> (32 - count)) }
}
