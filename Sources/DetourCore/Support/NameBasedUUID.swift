import Foundation

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
