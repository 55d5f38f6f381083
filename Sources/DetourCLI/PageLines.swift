import DetourCore
import Foundation

/// The acknowledgement line of an incident, for `status` and `show`.
enum PageLines {
    /// `acknowledged by 田中 at 03:04:10 (MTTA 4m10s)`, or who was paged and how to acknowledge; nil when nobody was paged.
    static func status(_ incident: Incident, clock: (Date) -> String) -> String? {
        if let at = incident.acknowledgedAt {
            let mtta = incident.timeToAcknowledge.map { " (MTTA \(DurationText.format(.seconds(Int64($0.rounded())))))" } ?? ""
            return "acknowledged by \(incident.acknowledgedBy ?? "?") at \(clock(at))\(mtta)"
        }
        guard let pages = incident.pages, !pages.isEmpty else { return nil }
        let who = pages.map { "\($0.name) (\($0.target), level \($0.level), \(clock($0.at)))" }.joined(separator: ", ")
        let ack = incident.status == .resolved ? "" : "; run 'detour ack \(incident.id)' to take it"
        return "paged \(who); not acknowledged\(ack)"
    }
}
