import Foundation

/// The runbook as one printable HTML page (`index.html`): A4, one section per channel.
public struct RunbookHTML: Sendable {
    /// The runbook.
    public var runbook: Runbook

    /// Creates the renderer.
    public init(runbook: Runbook) { self.runbook = runbook }

    /// Text placed in HTML: every value goes through here, so nothing is pasted unescaped.
    private func t(_ text: String) -> String { HTML.escape(text) }

    private func list(_ items: [String], ordered: Bool = false) -> String {
        let tag = ordered ? "ol" : "ul"
        return "<\(tag)>" + items.map { "<li>\(t($0))</li>" }.joined() + "</\(tag)>\n"
    }

    /// The page.
    public func render() -> String {
        let words = RunbookWords(runbook.language)
        var html = """
            <!doctype html>
            <html lang="\(runbook.language.rawValue)"><head><meta charset="utf-8"><title>\(t(words.title))</title>
            <style>
            @page { size: A4; margin: 15mm 14mm; }
            body { font-family: "Noto Sans CJK JP", "Hiragino Sans", system-ui, sans-serif; font-size: 10.5pt; line-height: 1.5; color: #111; max-width: 182mm; margin: auto; }
            h1 { font-size: 18pt; margin: 0 0 2mm; } h2 { font-size: 14pt; border-bottom: 2px solid #333; margin-top: 0; }
            h3 { font-size: 11.5pt; margin: 4mm 0 1mm; } section { break-before: page; } section:first-of-type { break-before: auto; }
            blockquote { margin: 1mm 0 3mm; padding: 2mm 3mm; background: #f4f4f4; border-left: 3px solid #999; white-space: pre-wrap; }
            code, pre { font-family: "Noto Sans Mono CJK JP", monospace; font-size: 9.5pt; } pre { background: #f4f4f4; padding: 2mm 3mm; }
            .bad { color: #b00; font-weight: bold; } .meta { color: #555; } ul.check { list-style: none; padding-left: 0; } ul.check li::before { content: "☐ "; }
            </style></head><body>
            <h1>\(t(words.title))</h1><p class="meta">\(t(words.generated)): \(t(runbook.generated))</p>

            """
        for section in runbook.sections {
            let channel = section.channel
            html += "<section id=\"channel-\(t(channel.id))\"><h2>\(t(channel.name)) <small>(\(t(channel.id)))</small></h2>\n"
            html += "<p class=\"meta\">\(t(channel.url))</p>\n"
            html += "<h3>\(t(words.signs))</h3>\n" + list(section.probes + section.thresholds)
            html += "<h3>\(t(words.contacts))</h3>\n"
            html += section.escalation.isEmpty ? list([words.noPage]) : list(section.escalation, ordered: true)
            if !section.duties.isEmpty {
                html += list(section.duties.map { "\($0.rotation): \(words.now) \($0.now) / \(words.next) \($0.next)" })
            }
            html += "<h3>\(t(words.templates))</h3>\n"
            if section.templates.isEmpty { html += list([words.none]) }
            for template in section.templates {
                let measure = "\(template.length) / \(template.limit)"
                html += "<p><code>\(t(template.step))</code> (\(t(template.provider)), "
                html += template.fits ? "\(t(measure)))</p>\n" : "<span class=\"bad\">\(t(measure)) — \(t(words.tooLong))</span>)</p>\n"
                html += "<blockquote>\(t(template.text))</blockquote>\n"
            }
            html += "<h3>\(t(words.switching))</h3>\n"
            html += list(
                section.switchSteps.isEmpty
                    ? [words.none] : section.switchSteps.map { "\($0.step) (\($0.provider)): \($0.change)\($0.undo.map { " — \(words.undo): \($0)" } ?? "")" },
                ordered: !section.switchSteps.isEmpty)
            html += "<h3>\(t(words.byHand))</h3>\n<pre>\(t(section.commands.joined(separator: "\n")))</pre>\n"
            html += "<h3>\(t(words.marketplace))</h3>\n"
            html += list(
                channel.contacts.isEmpty
                    ? [words.noContacts]
                    : channel.contacts.map { contact in
                        let ways = [contact.phone, contact.email, contact.url].compactMap { $0 }.joined(separator: ", ")
                        return "\(contact.name): \(ways)\(contact.note.map { " (\($0))" } ?? "")"
                    })
            html += "</section>\n"
        }
        html += "<section><h2>\(t(words.checklist))</h2>\n<ul class=\"check\">" + runbook.checklist.map { "<li>\(t($0))</li>" }.joined() + "</ul></section>\n"
        return html + "</body></html>\n"
    }
}
