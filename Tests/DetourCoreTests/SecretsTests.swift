import Foundation
import Testing

@testable import DetourCore

/// A secret is masked in every form a server may echo it back in, and nothing else is touched.
struct SecretsTests {
    static let secret = #"s3cr"et/LINE+tok\en-9f8e=トークン"#

    func redactor() -> Redactor {
        let redactor = Redactor()
        redactor.register(Self.secret)
        return redactor
    }

    static var echoedForms: [(String, String)] {
        let json = String(decoding: try! JSONEncoder().encode(secret), as: UTF8.self).dropFirst().dropLast()
        let slashed = String(decoding: try! JSONSerialization.data(withJSONObject: [secret], options: [.fragmentsAllowed]), as: UTF8.self)
        let ascii = #"s3cr\"et\/LINE+tok\\en-9f8e=\u30c8\u30fc\u30af\u30f3"#
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "token", value: secret)]
        let base64 = Data(secret.utf8).base64EncodedString()
        let basic = Data("shop-admin:\(secret)".utf8).base64EncodedString()
        let basicURLSafe = basic.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return [
            ("as sent", "Bearer \(secret)"),
            ("JSON-escaped", #"{"error":"bad token \#(json)"}"#),
            ("JSON-escaped with \\/", "\(slashed)"),
            ("JSON-escaped to ASCII", #"{"echo":"\#(ascii)"}"#),
            ("percent-encoded (RFC 3986)", "https://x.example/cb?t=\(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&n=1"),
            (
                "percent-encoded, lower-case hex",
                "t=\(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!.replacing(#/%[0-9A-F]{2}/#) { $0.output.lowercased() })"
            ),
            ("a query string", "GET /cb?\(query.percentEncodedQuery!)"),
            ("Base64", "token=\(base64)"),
            ("Base64 of user:secret (Basic)", "Authorization: Basic \(basic)"),
            ("URL-safe Base64 of user:secret after a path", "/v1/auth/\(basicURLSafe)"),
        ]
    }

    @Test(arguments: echoedForms)
    func everyEchoedFormIsMasked(form: String, text: String) {
        let masked = redactor().mask("before \(text) after")
        #expect(masked.contains("••••"), "\(form): \(masked)")
        #expect(!masked.contains("s3cr"), "\(form): \(masked)")
        #expect(!masked.contains("9f8e"), "\(form): \(masked)")
        #expect(masked.hasPrefix("before ") && masked.hasSuffix(" after"))
    }

    @Test func theTextAroundASecretIsKeptExactly() {
        let base64 = Data("shop-admin:\(Self.secret)".utf8).base64EncodedString()
        #expect(redactor().mask("Authorization: Basic \(base64)\r\n") == "Authorization: Basic ••••\r\n")
        #expect(redactor().mask("{\"t\":\"\(Self.secret)\",\"n\":1}") == "{\"t\":\"••••\",\"n\":1}")
    }

    @Test(arguments: [
        "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX", "h••••p://", "POST https://api.line.me/v2/bot/message/broadcast",
        "Authorization: Basic \(Data("shop-admin:other-secret".utf8).base64EncodedString())", "100% done, 50%off, %E3%83%88", "s3cr et / tok",
        "トークン", "dGhpcyBpcyBqdXN0IGJhc2U2NCB0ZXh0", String(repeating: "A/", count: 500),
    ])
    func textWithoutTheSecretIsLeftAlone(text: String) {
        #expect(redactor().mask(text) == text)
    }
}
