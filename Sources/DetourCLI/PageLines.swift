import DetourCore
import Foundation

/// The acknowledgement line of an incident, for `status` and `show`.
enum PageLines {
    /// `acknowledged by 田中 at 03:04:10 (MTTA 4m10s)`, or who was paged and how to acknowledge; nil when nobody was paged.
    static func status(_ incident: Incident, clock: (Date) -> String, l10n: Localizer = .english) -> String? {
        if let at = incident.acknowledgedAt {
            let mtta = incident.timeToAcknowledge.map {
                l10n.text("pages.mtta", ["duration": DurationText.format(.seconds(Int64($0.rounded())))])
            }
            return l10n.text("pages.acknowledged", ["person": incident.acknowledgedBy ?? "?", "time": clock(at), "mtta": mtta ?? ""])
        }
        guard let pages = incident.pages, !pages.isEmpty else { return nil }
        let who = pages.map {
            l10n.text("pages.paged-person", ["name": $0.name, "target": $0.target, "level": "\($0.level)", "time": clock($0.at)])
        }.joined(separator: ", ")
        if incident.status == .resolved { return l10n.text("pages.not-acknowledged", ["people": who]) }
        return l10n.text("pages.not-acknowledged-ack", ["people": who, "incident": incident.id])
    }
}
