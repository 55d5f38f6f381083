import DetourTestSupport
import Foundation
import Testing

/// `detour check` on provider steps: fields, credential references, and text lengths per platform.
struct PlaybookCheckTests {
    static let channel = """
        { name: "テストモール店", kind: "mall", url: "https://mall.example.jp/", probes: [{ url: "https://mall.example.jp/" }] }
        """

    /// A workspace with one playbook whose only step is `step` (written on line 4).
    func check(step: String, environment: [String: String] = [:]) throws -> CommandResult {
        let workspace = try TemporaryWorkspace()
        try workspace.write("channels/mall.json5", Self.channel)
        try workspace.write(
            "playbooks/p.json5",
            """
            {
              on: { event: "down", channels: ["mall"] },
              steps: [
                \(step),
              ],
            }
            """)
        return try DetourBinary.run(["check"], in: workspace.root, environment: environment)
    }

    static let lengthCases: [(String, String)] = [
        // 150 kana weigh 300 on X.
        (#"{ id: "x", do: "x.post", token: "env:T", text: "\#(String(repeating: "あ", count: 150))" }"#, "the x.post text is 300 long"),
        // The channel name (7 characters, 14 weighted) makes a 134-kanji post 282.
        (#"{ id: "x", do: "x.post", token: "env:T", text: "{{channel.name}}\#(String(repeating: "障", count: 134))" }"#, "the x.post text is 282 long"),
        (#"{ id: "l", do: "line.broadcast", token: "env:T", text: "\#(String(repeating: "😀", count: 2_501))" }"#, "the line.broadcast text is 5002 long"),
        (#"{ id: "d", do: "discord.post", webhook: "env:T", text: "\#(String(repeating: "a", count: 2_001))" }"#, "the discord.post text is 2001 long"),
        (#"{ id: "s", do: "slack.post", webhook: "env:T", text: "\#(String(repeating: "a", count: 4_001))" }"#, "the slack.post text is 4001 long"),
        // {{incident.reason}} is measured as long as it can render (200 characters of a Japanese page title).
        (#"{ id: "x", do: "x.post", token: "env:T", text: "{{incident.reason}}" }"#, "the x.post text is 347 long"),
    ]

    @Test(arguments: lengthCases)
    func tooLongTextsAreErrorsAtTheTextField(step: String, message: String) throws {
        let result = try check(step: step, environment: ["T": "t-token-value"])
        #expect(result.status == 2)
        let column = Array(step.unicodeScalars).firstIndex(of: "\u{22}", after: step.range(of: "text: ")!.upperBound, in: step)! + 5
        #expect(result.stderr.contains("playbooks/p.json5:4:\(column): error: step"), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.contains("shorten it"))
    }

    @Test func textsWithinTheLimitsPass() throws {
        let result = try check(
            step:
                #"{ id: "x", do: "x.post", token: "env:T", text: "{{channel.name}}\#(String(repeating: "障", count: 133)) https://example.jp/\#(String(repeating: "a", count: 300))" }"#,
            environment: ["T": "t-token-value"])
        #expect(result.status == 2, "133 kanji + the name is 280, plus a space and a URL (23) is over")
        let fits = try check(
            step:
                #"{ id: "x", do: "x.post", token: "env:T", text: "{{channel.name}}\#(String(repeating: "障", count: 121)) https://example.jp/\#(String(repeating: "a", count: 300))" }"#,
            environment: ["T": "t-token-value"])
        #expect(fits.status == 0, "\(fits.output)")
    }

    static let credentialCases: [(String, Int32, String)] = [
        (#"{ id: "l", do: "line.broadcast", token: "env:BAD-NAME", text: "x" }"#, 2, #"4:45: error: "env:BAD-NAME" is not a valid variable name"#),
        (
            #"{ id: "l", do: "line.broadcast", token: "abc123secret", text: "x" }"#, 2,
            #"4:45: error: "token" of line.broadcast must be a reference, never the secret itself"#
        ),
        (#"{ id: "l", do: "line.broadcast", token: "file:", text: "x" }"#, 2, #"4:45: error: "file:" needs a path"#),
        (
            #"{ id: "l", do: "line.broadcast", token: "env:MISSING_TOKEN", text: "x" }"#, 0,
            "4:45: warning: step \"l\" of playbook \"p\": env:MISSING_TOKEN is not available here"
        ),
        (
            #"{ id: "l", do: "line.broadcast", token: "file:secrets/none", text: "x" }"#, 0,
            "warning: step \"l\" of playbook \"p\": file:secrets/none is not available here"
        ),
        (#"{ id: "p", do: "pagerduty.event", routingKey: "env:K", action: "trigger" }"#, 2, "missing \"summary\""),
        (#"{ id: "p", do: "pagerduty.event", routingKey: "env:K", summary: "s", action: "trigegr" }"#, 2, #"did you mean "trigger"?"#),
        (#"{ id: "s", do: "shopify.discount", shop: "m", token: "env:K", discountId: "1234" }"#, 2, "discountId must be a global id"),
        (#"{ id: "l", do: "line.broadcst", token: "env:K", text: "x" }"#, 2, #"did you mean "line.broadcast"?"#),
        (#"{ id: "l", do: "line.broadcast", token: "env:K", text: "{{channel.nmae}}" }"#, 2, #"did you mean "channel.name"?"#),
        (#"{ id: "l", do: "line.broadcast", token: "env:K", text: "x", onUncertain: "maybe" }"#, 2, #"write one of "retry", "skip""#),
        (#"{ id: "l", do: "line.broadcast", token: "env:K", text: "x", when: { hours: "9-21" } }"#, 2, "is not a time range"),
        (
            #"{ id: "l", do: "line.broadcast", token: "env:SHORT", text: "x" }"#, 2,
            "4:45: error: the credential in env:SHORT is only 1 character long; one shorter than 8 characters cannot be masked safely in output and the journal; set env:SHORT to the real token or key"
        ),
        (
            #"{ id: "h", do: "http", request: { url: "https://shop.example/", headers: { Authorization: "Bearer {{env.SHORT}}" } } }"#, 2,
            "error: the credential in env:SHORT is only 1 character long"
        ),
    ]

    @Test func aShortCredentialFileIsRefusedAndALongOneAccepted() throws {
        let workspace = try TemporaryWorkspace()
        try workspace.write("channels/mall.json5", Self.channel)
        try workspace.write(
            "playbooks/p.json5", #"{ on: { event: "down" }, steps: [{ id: "l", do: "line.broadcast", token: "file:secrets/line", text: "x" }] }"#)
        try workspace.write("secrets/line", "abc\n")
        let short = try DetourBinary.run(["check"], in: workspace.root)
        #expect(short.status == 2)
        #expect(short.stderr.contains("playbooks/p.json5:1:74: error: the credential in file:secrets/line is only 3 characters long"), "\(short.stderr)")
        try workspace.write("secrets/line", "line-token-0123\n")
        #expect(try DetourBinary.run(["check"], in: workspace.root).status == 0)
    }

    @Test(arguments: credentialCases)
    func stepFieldsAndCredentialReferences(step: String, status: Int32, message: String) throws {
        let result = try check(step: step, environment: ["K": "k-token-value", "SHORT": "x"])
        #expect(result.status == status, "\(result.output)")
        #expect(result.output.contains(message), "\(result.output)")
        #expect(!result.output.contains("abc123secret"), "a literal secret is never echoed")
    }
}

extension Array where Element == Unicode.Scalar {
    /// The scalar column (0-based) of the first `scalar` at or after a string index.
    func firstIndex(of scalar: Unicode.Scalar, after index: String.Index, in text: String) -> Int? {
        let offset = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: index)
        return self[offset...].firstIndex(of: scalar)
    }
}
