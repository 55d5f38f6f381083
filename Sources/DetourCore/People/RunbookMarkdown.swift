import Foundation

/// The runbook as Markdown (`runbook.md`).
public struct RunbookMarkdown: Sendable {
    /// The runbook.
    public var runbook: Runbook

    /// Creates the renderer.
    public init(runbook: Runbook) { self.runbook = runbook }

    /// The document.
    public func render() -> String {
        let words = RunbookWords(runbook.language)
        var out = ["# \(words.title)", "", "\(words.generated): \(runbook.generated)", ""]
        for section in runbook.sections {
            let channel = section.channel
            out += ["## \(channel.name) (\(channel.id))", "", "\(channel.url)", "", "### \(words.signs)", ""]
            out += section.probes.map { "- \($0)" } + section.thresholds.map { "- \($0)" }
            out += ["", "### \(words.contacts)", ""]
            out += section.escalation.isEmpty ? ["- \(words.noPage)"] : section.escalation.enumerated().map { "\($0.offset + 1). \($0.element)" }
            for duty in section.duties { out.append("- \(duty.rotation): \(words.now) \(duty.now) / \(words.next) \(duty.next)") }
            out += ["", "### \(words.templates)", ""]
            if section.templates.isEmpty { out.append("- \(words.none)") }
            for template in section.templates {
                let measure = "\(template.length) / \(template.limit)\(template.fits ? "" : " — \(words.tooLong)")"
                out += ["- `\(template.step)` (\(template.provider), \(measure))", ""]
                out += template.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  > \($0)" }
                out.append("")
            }
            out += ["### \(words.switching)", ""]
            if section.switchSteps.isEmpty { out.append("- \(words.none)") }
            for (index, step) in section.switchSteps.enumerated() {
                out.append("\(index + 1). `\(step.step)` (\(step.provider)): \(step.change)\(step.undo.map { " — \(words.undo): \($0)" } ?? "")")
            }
            out += ["", "### \(words.byHand)", "", "```sh"] + section.commands + ["```", ""]
            out += ["### \(words.marketplace)", ""]
            if channel.contacts.isEmpty { out.append("- \(words.noContacts)") }
            for contact in channel.contacts {
                let ways = [contact.phone, contact.email, contact.url].compactMap { $0 }.joined(separator: ", ")
                out.append("- \(contact.name): \(ways)\(contact.note.map { " (\($0))" } ?? "")")
            }
            out.append("")
        }
        out += ["## \(words.checklist)", ""] + runbook.checklist.map { "- [ ] \($0)" }
        return out.joined(separator: "\n") + "\n"
    }
}

/// The runbook's headings in Japanese and English, declared once for both renderers.
struct RunbookWords {
    let title, generated, signs, contacts, templates, switching, byHand, marketplace, checklist: String
    let now, next, undo, none, noPage, noContacts, tooLong: String

    init(_ language: Runbook.Language) {
        let l10n = Localizer(language)
        (title, generated) = (l10n.text("runbook.title"), l10n.text("runbook.generated"))
        (signs, contacts) = (l10n.text("runbook.signs"), l10n.text("runbook.contacts"))
        (templates, switching) = (l10n.text("runbook.templates"), l10n.text("runbook.switching"))
        (byHand, marketplace) = (l10n.text("runbook.by-hand"), l10n.text("runbook.marketplace"))
        checklist = l10n.text("runbook.checklist")
        (now, next, undo, none) = (l10n.text("runbook.now"), l10n.text("runbook.next"), l10n.text("runbook.undo"), l10n.text("runbook.none"))
        (noPage, noContacts, tooLong) = (l10n.text("runbook.no-page"), l10n.text("runbook.no-contacts"), l10n.text("runbook.too-long"))
    }
}
