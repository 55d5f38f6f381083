import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A response body as UTF-8, whatever charset the page was served in.
///
/// Japanese storefronts still serve Shift_JIS and EUC-JP pages; read as UTF-8 they would never
/// contain "買い物かご" and a healthy shop would look broken. The charset comes from
/// `Content-Type`, else from an HTML `<meta charset>` near the top; conversion uses glibc's
/// iconv (Foundation on Linux cannot decode EUC-JP).
public enum BodyText {
    /// The body's bytes in UTF-8: unchanged for UTF-8, ASCII and unknown charsets, converted otherwise.
    public static func utf8(_ body: [UInt8], contentType: String?) -> [UInt8] {
        guard let charset = charset(contentType: contentType, body: body), !isUTF8Compatible(charset) else { return body }
        return convert(body, from: charset) ?? body
    }

    /// Whether `needle` occurs in `haystack`, byte for byte (both UTF-8).
    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                // memchr finds candidates for the first byte; memcmp checks the rest.
                guard let base = hay.baseAddress, let pinBase = pin.baseAddress else { return false }
                let first = Int32(pin[0])
                var offset = 0
                let last = hay.count - pin.count
                while offset <= last {
                    guard let hit = memchr(base + offset, first, last - offset + 1) else { return false }
                    let position = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + position, pinBase, pin.count) == 0 { return true }
                    offset = position + 1
                }
                return false
            }
        }
    }

    /// The declared charset, lowercased: `Content-Type: …; charset=…`, else `<meta … charset=…>` in the first 2 KB.
    static func charset(contentType: String?, body: [UInt8]) -> String? {
        if let contentType, let value = parameter("charset", in: contentType) { return value }
        let head = String(decoding: body.prefix(2048), as: UTF8.self).lowercased()
        guard let range = head.range(of: "charset=") else { return nil }
        let value = head[range.upperBound...].drop { $0 == "\"" || $0 == "'" }.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return value.isEmpty ? nil : String(value)
    }

    private static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: " \"'")).lowercased()
        }
        return nil
    }

    private static func isUTF8Compatible(_ charset: String) -> Bool {
        ["utf-8", "utf8", "us-ascii", "ascii"].contains(charset)
    }

    /// iconv's name for a web charset label.
    private static func iconvName(_ charset: String) -> String {
        switch charset {
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "ms_kanji", "cp932": "CP932"
        case "euc-jp", "x-euc-jp", "eucjp": "EUC-JP-MS"
        case "iso-2022-jp": "ISO-2022-JP"
        default: charset.uppercased()
        }
    }

    /// Converts with iconv; bytes that do not convert are skipped rather than failing the page.
    private static func convert(_ body: [UInt8], from charset: String) -> [UInt8]? {
        let descriptor = iconv_open("UTF-8", iconvName(charset))
        guard descriptor != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(descriptor) }
        var input = body
        var output = [UInt8](repeating: 0, count: body.count * 3 + 16)
        var produced = 0
        input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                while inLeft > 0 {
                    if iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft) != -1 { break }
                    // An invalid or incomplete sequence: skip one byte and go on.
                    guard errno == EILSEQ || errno == EINVAL, inLeft > 0 else { break }
                    inPointer = inPointer.map { $0 + 1 }
                    inLeft -= 1
                }
                produced = outBuffer.count - outLeft
            }
        }
        return Array(output.prefix(produced))
    }
}
