import Foundation

/// One field of a lost-sale window, declared once: its CSV header, its JSON key and its value.
///
/// The CSV header, the CSV rows and the JSON windows all read `LostSaleColumn.all`, so a field
/// added here appears in every format, in the same place.
struct LostSaleColumn: Sendable {
    /// The CSV header (`money_at_risk`); nil for a field only JSON carries.
    let csv: String?
    /// The JSON key (`moneyAtRisk`).
    let json: String
    /// The field's value in a window.
    let value: @Sendable (LostSaleWindow) -> LostSaleCell

    /// Every column, in CSV order; JSON-only fields last.
    static let all: [LostSaleColumn] = [
        LostSaleColumn(csv: "channel", json: "channel") { .text($0.channel) },
        LostSaleColumn(csv: "incident", json: "incident") { .text($0.incident) },
        LostSaleColumn(csv: "trigger", json: "trigger") { .text($0.trigger.rawValue) },
        LostSaleColumn(csv: "from", json: "from") { .time($0.from) },
        LostSaleColumn(csv: "to", json: "to") { .time($0.to) },
        LostSaleColumn(csv: "minutes", json: "minutes") { .minutes($0.minutes) },
        LostSaleColumn(csv: "money_at_risk", json: "moneyAtRisk") { .money($0.moneyAtRisk) },
        LostSaleColumn(csv: "currency", json: "currency") { .text($0.currency) },
        LostSaleColumn(csv: "channel_name", json: "channelName") { .text($0.channelName) },
        LostSaleColumn(csv: "earliest", json: "earliest") { .time($0.earliest) },
        LostSaleColumn(csv: "detected", json: "detected") { .time($0.detected) },
        LostSaleColumn(csv: "mitigated", json: "mitigated") { .time($0.mitigated) },
        LostSaleColumn(csv: "resolved", json: "resolved") { .time($0.resolved) },
        LostSaleColumn(csv: "unmitigated_minutes", json: "unmitigatedMinutes") { .minutes($0.unmitigatedMinutes) },
        LostSaleColumn(csv: "money_before_mitigation", json: "moneyBeforeMitigation") { .money($0.moneyBeforeMitigation) },
        LostSaleColumn(csv: "money_after_mitigation", json: "moneyAfterMitigation") { .money($0.moneyAfterMitigation) },
        LostSaleColumn(csv: "recapture", json: "recapture") { .money($0.recapture) },
        LostSaleColumn(csv: "seconds_to_detect", json: "secondsToDetect") { .seconds($0.secondsToDetect) },
        LostSaleColumn(csv: "seconds_to_mitigate", json: "secondsToMitigate") { .seconds($0.secondsToMitigate) },
        LostSaleColumn(csv: "sale_multiplier", json: "saleMultiplier") { .number($0.saleMultiplier) },
        LostSaleColumn(csv: "acknowledged", json: "acknowledged") { .time($0.acknowledged) },
        LostSaleColumn(csv: "acknowledged_by", json: "acknowledgedBy") { .optionalText($0.acknowledgedBy) },
        LostSaleColumn(csv: "seconds_to_acknowledge", json: "secondsToAcknowledge") { .seconds($0.secondsToAcknowledge) },
        LostSaleColumn(csv: nil, json: "secondsToRecover") { .seconds($0.secondsToRecover) },
        LostSaleColumn(csv: nil, json: "follows") { .optionalText($0.follows) },
    ]

    /// The columns CSV writes, in order.
    static let csvColumns = all.filter { $0.csv != nil }
}

/// A field's value, which each format writes its own way.
enum LostSaleCell {
    /// Text.
    case text(String)
    /// Text or nothing (empty in CSV, null in JSON).
    case optionalText(String?)
    /// A moment in the report's zone, or nothing.
    case time(Date?)
    /// Minutes, to a tenth.
    case minutes(Double)
    /// Money, in whole units of its currency.
    case money(Money)
    /// Seconds (whole in CSV, to the millisecond in JSON), or nothing.
    case seconds(Double?)
    /// A plain number, whole when it is whole.
    case number(Double)
}
