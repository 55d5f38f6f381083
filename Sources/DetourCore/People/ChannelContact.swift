import Foundation

/// A marketplace's own contact for a channel (`contacts` in a channel file), for the runbook.
public struct ChannelContact: Sendable, Equatable {
    /// Who: `楽天 RMS 店舗サポート`.
    public var name: String
    /// A phone number, as written.
    public var phone: String?
    /// A mail address.
    public var email: String?
    /// A page (a support form, a status page).
    public var url: String?
    /// When to call, or what to have ready.
    public var note: String?

    /// Reads `contacts: [{ name, phone, email, url, note }]`.
    static func read(_ nodes: [JSONNode], channel: String, sink: DiagnosticSink) -> [ChannelContact] {
        nodes.enumerated().compactMap { index, node in
            guard let reader = NodeReader(node, subject: .message(.text("check.subject.contact", ["index": "\(index + 1)", "channel": channel])), sink: sink)
            else { return nil }
            defer { reader.finish() }
            guard let name = reader.requiredString("name", hint: "name: \"楽天 RMS 店舗サポート\"") else { return nil }
            let contact = ChannelContact(
                name: name, phone: reader.string("phone"), email: reader.string("email"), url: reader.string("url"), note: reader.string("note"))
            if contact.phone == nil, contact.email == nil, contact.url == nil {
                sink.error(.text("check.contact.unreachable", ["name": name, "channel": channel]), at: node.location)
            }
            return contact
        }
    }
}
