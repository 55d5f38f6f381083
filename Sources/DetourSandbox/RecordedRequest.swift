import DetourServer
import Foundation

/// One request received by a fake provider endpoint, as logged before it was answered.
public struct RecordedRequest: Sendable, Codable, Equatable {
    /// The request method, e.g. `POST`.
    public var method: String
    /// The host the request was meant for (the `/ext/<host>` segment or the `Host` header's host part).
    public var host: String
    /// The request path without the query, e.g. `/v2/bot/message/push`.
    public var path: String
    /// The raw query string without `?`, or nil when the target had none.
    public var query: String?
    /// The request headers keyed by lowercased name; repeated fields are joined with ", ".
    public var headers: [String: String]
    /// The request body decoded as UTF-8 (invalid sequences repaired).
    public var body: String
    /// When the request was fully received.
    public var receivedAt: Date
    /// The status code the sandbox answered with.
    public var answeredStatus: Int

    /// Creates a recorded request.
    public init(
        method: String, host: String, path: String, query: String? = nil,
        headers: [String: String] = [:], body: String = "", receivedAt: Date = Date(), answeredStatus: Int = 200
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
        self.answeredStatus = answeredStatus
    }

    /// Returns the value of the header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }

    /// A JSON encoder writing dates as ISO-8601 with fractional seconds, as the control API does.
    public static func makeJSONEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(fractionalISO8601))
        }
        return encoder
    }

    /// A JSON decoder reading ISO-8601 dates with or without fractional seconds.
    public static func makeJSONDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? fractionalISO8601.parse(text) { return date }
            if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an ISO-8601 date: \(text)")
        }
        return decoder
    }

    private static let fractionalISO8601 = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
