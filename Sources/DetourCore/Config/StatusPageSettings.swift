import Foundation

/// `statusPage: { out: "public/status" }` in `detour.json5`.
enum StatusPageSettings {
    /// The folder tick and watch write the status page to, relative to the workspace unless absolute.
    static func readOut(_ node: JSONNode, sink: DiagnosticSink) -> String? {
        guard let reader = NodeReader(node, subject: "statusPage", sink: sink) else { return nil }
        defer { reader.finish() }
        guard let out = reader.requiredString("out", hint: "out: \"public/status\" (the folder to write index.html and status.json to)") else { return nil }
        if out.trimmingCharacters(in: .whitespaces).isEmpty {
            sink.error(.text("check.statuspage.out-empty"), at: reader.value("out")!.location)
            return nil
        }
        return out
    }
}
