import Foundation

extension LostSaleReport {
    /// RFC 4180 CSV with a header row; amounts as plain numbers; a UTF-8 BOM first when asked (Excel).
    public func csv(byteOrderMark: Bool = false) -> String {
        let columns = LostSaleColumn.csvColumns
        var lines = [columns.compactMap(\.csv).joined(separator: ",")]
        for window in windows {
            lines.append(columns.map { CSV.field(csvText($0.value(window))) }.joined(separator: ","))
        }
        return (byteOrderMark ? "\u{FEFF}" : "") + lines.joined(separator: "\r\n") + "\r\n"
    }

    private func csvText(_ cell: LostSaleCell) -> String {
        switch cell {
        case .text(let text): text
        case .optionalText(let text): text ?? ""
        case .time(let date): date.map(isoTime) ?? ""
        case .minutes(let minutes): String(format: "%.1f", minutes)
        case .money(let amount): String(amount.wholeUnits)
        case .seconds(let seconds): seconds.map { String(format: "%.0f", $0) } ?? ""
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
    }
}
