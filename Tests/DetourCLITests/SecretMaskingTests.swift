import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// A provider echoing a credential back, in any form, never puts it in output, the journal or the snapshot.
@Suite(.serialized)
final class SecretMaskingTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace
    static let secret = #"s3cr"et/LINE+tok\en-9f8e"#

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(base)/store/mall/", probes: [{ name: "item", url: "\(base)/store/mall/item" }] }
            """)
        try workspace.write(
            "playbooks/promo.json5",
            """
            { on: { event: "down", channels: "*" },
              steps: [
                { id: "echo", do: "http", continueOnError: true,
                  request: { method: "POST", url: "\(base)/shop/echo", headers: { Authorization: "Bearer {{env.SHOP_TOKEN}}" }, json: { on: true } } },
                { id: "cut", do: "http", continueOnError: true,
                  request: { method: "POST", url: "\(base)/shop/cut", headers: { Authorization: "Bearer {{env.SHOP_TOKEN}}" }, json: { on: true } } },
              ] }
            """)
    }

    deinit { sandbox.stop() }

    @Test func echoedAndCutSecretsNeverLeave() throws {
        let json = String(decoding: try JSONEncoder().encode(Self.secret), as: UTF8.self).dropFirst().dropLast()
        let basic = Data("shop-admin:\(Self.secret)".utf8).base64EncodedString()
        let percent = Self.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        sandbox.enqueue(
            ScriptedResponse(status: 400, body: #"{"error":"token \#(json) refused","auth":"Basic \#(basic)","callback":"?t=\#(percent)"}"#),
            forPath: "/shop/echo")
        // The error text keeps the first 300 characters of the answer: the secret starts 10 characters before the cut.
        let padding = String(repeating: "a", count: 300 - " Bearer ".count - 10)
        sandbox.enqueue(ScriptedResponse(status: 400, body: "\(padding) Bearer \(Self.secret) and more"), forPath: "/shop/cut")

        let result = try DetourBinary.run(
            ["failover", "mall", "--reason", "test"], in: workspace.root, environment: ["SHOP_TOKEN": Self.secret, "DETOUR_NOW": "2026-12-02T01:00:00+09:00"])
        #expect(sandbox.requests(path: "/shop/cut").count == 1, "\(result.output)")
        let journal = try workspace.journalText()
        let snapshot = try String(contentsOfFile: workspace.root + "/.detour/state.json", encoding: .utf8)
        let log = try DetourBinary.run(["log"], in: workspace.root, environment: ["SHOP_TOKEN": Self.secret])
        for (place, text) in [("output", result.output), ("journal", journal), ("state.json", snapshot), ("log", log.output)] {
            for fragment in ["s3cr", "9f8e", String(basic.prefix(12)), String(percent.prefix(8))] {
                #expect(!text.contains(fragment), "\(place) holds \(fragment): \(text)")
            }
        }
        #expect(journal.contains("Bearer ••••"), "the cut answer still says where the secret was")
        #expect(journal.contains(#"Basic ••••"#))
    }
}
