import Foundation
import Testing

@testable import DetourCore

/// Where an address leads and which redirects a probe may take, as pure rules.
struct RedirectPolicyTests {
    static let scopes: [(String, AddressScope)] = [
        ("203.0.113.9", .public), ("8.8.8.8", .public), ("172.32.0.1", .public), ("100.128.0.1", .public),
        ("2001:db8::1", .public), ("2606:4700::1111", .public),
        ("127.0.0.1", .loopback), ("127.255.0.9", .loopback), ("::1", .loopback), ("::ffff:127.0.0.1", .loopback),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("fe80::1%eth0", .linkLocal), ("febf::1", .linkLocal),
        ("10.0.0.1", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .private), ("fc00::1", .private), ("fd12:3456::1", .private), ("::ffff:10.1.2.3", .private),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("::", .unspecified), ("", .unspecified), ("localhost", .unspecified),
        ("999.1.1.1", .unspecified),
    ]

    @Test(arguments: scopes)
    func everyAddressHasItsScope(_ address: String, _ scope: AddressScope) {
        #expect(AddressScope.of(address) == scope)
    }

    /// One redirect, whether the probe allows downgrades, and a part of the refusal (nil: followed).
    struct Hop: Sendable, CustomTestStringConvertible {
        var from: String
        var to: String
        var insecure: Bool
        var refusedWith: String?
        init(_ from: String, _ to: String, _ insecure: Bool, _ refusedWith: String?) {
            (self.from, self.to, self.insecure, self.refusedWith) = (from, to, insecure, refusedWith)
        }
        var testDescription: String { "\(from) → \(to)" }
    }

    static let hops: [Hop] = [
        Hop("https://shop.example/", "https://shop.example/cart", false, nil),
        Hop("http://shop.example/", "https://shop.example/", false, nil),
        Hop("http://shop.example/", "http://other.example/", false, nil),
        Hop("https://shop.example/", "http://shop.example/", false, "from https to plain http"),
        Hop("HTTPS://shop.example/", "HTTP://shop.example/", false, "allowInsecureRedirect: true"),
        Hop("https://shop.example/", "http://shop.example/", true, nil),
        Hop("https://shop.example/", "file:///etc/passwd", true, "only http and https"),
        Hop("http://shop.example/", "ftp://127.0.0.1/", true, "only http and https"),
        Hop("http://shop.example/", "gopher://127.0.0.1:6379/_FLUSHALL", true, "only http and https"),
        Hop("http://shop.example/", "dict://127.0.0.1:11211/stat", true, "only http and https"),
        Hop("https://ショップ.jp/", "https://ショップ.jp/カート 1", false, nil),
        Hop("https://ショップ.jp/", "http://ショップ.jp/", false, "from https to plain http"),
        Hop("http://shop.example/", "//no-scheme.example/", false, "only http and https"),
    ]

    @Test(arguments: hops)
    func schemeRulesRefuseDowngradesAndOtherProtocols(_ hop: Hop) {
        let refusal = RedirectPolicy(allowInsecure: hop.insecure).refusal(from: hop.from, to: hop.to)
        if let expected = hop.refusedWith {
            #expect(refusal?.contains(expected) == true, "\(refusal ?? "followed")")
        } else {
            #expect(refusal == nil)
        }
    }

    @Test(arguments: [
        ("http://a.example/x", "http://a.example/y", false), ("http://a.example/", "http://a.example:80/", false),
        ("https://a.example/", "https://A.EXAMPLE:443/", false), ("http://a.example/", "https://a.example/", true),
        ("http://a.example/", "http://b.example/", true), ("http://127.0.0.1:80/", "http://127.0.0.1:81/", true),
        ("http://127.0.0.1:8080/", "http://localhost:8080/", true), ("http://[::1]:8080/a", "http://[::1]:8080/b", false),
        ("http://[::1]/", "http://[::1]:80/", false), ("http://user:pw@a.example/", "http://a.example/", false),
        ("https://ショップ.jp/商品", "https://ショップ.jp/カート", false), ("https://ショップ.jp/", "https://別の店.jp/", true),
        ("http://a.example?x=1", "http://a.example:80#top", false),
    ])
    func originsCompareSchemeHostAndPort(_ first: String, _ second: String, _ crossOrigin: Bool) {
        #expect(RedirectPolicy.isCrossOrigin(first, second) == crossOrigin)
    }
}
