import Foundation

/// Why a probe failed, in classes an operator can act on.
public enum ProbeFailureClass: String, Sendable, Codable {
    case dns, connect, tls, timeout
    case protocolError = "protocol"
    case http
    case condition
    case other
}

/// The outcome of one probe.
public struct ProbeResult: Sendable {
    /// The probe's name.
    public var probe: String
    /// The URL probed.
    public var url: String
    /// Whether a non-critical probe (it only informs).
    public var critical: Bool
    /// HTTP status, when an answer came.
    public var status: Int?
    /// Total time of the request.
    public var latency: Duration
    /// Nil when it passed.
    public var failure: (kind: ProbeFailureClass, detail: String)?

    /// Whether every condition held.
    public var passed: Bool { failure == nil }

    /// One line for people: `cart: 503 (expected 2xx) in 120 ms`.
    public var summary: String {
        let time = "\(latency.milliseconds) ms"
        guard let failure else { return "\(probe): ok \(status.map(String.init) ?? "") in \(time)" }
        return "\(probe): \(failure.kind.rawValue): \(failure.detail) (\(time))"
    }
}

/// Judges an HTTP answer against a probe's conditions.
public enum ProbeEvaluator {
    /// The result for a probe given the transport's outcome.
    public static func evaluate(_ probe: Probe, _ outcome: Result<HTTPResponse, HTTPFailure>) -> ProbeResult {
        var result = ProbeResult(probe: probe.name, url: probe.url, critical: probe.critical, status: nil, latency: .zero, failure: nil)
        switch outcome {
        case .failure(let failure):
            result.latency = failure.timings.total
            result.failure = (ProbeFailureClass(failure.errorClass), failure.message)
        case .success(let response):
            result.status = response.status
            result.latency = response.timings.total
            result.failure = check(probe.expect, response)
        }
        return result
    }

    private static func check(_ expect: Expectation, _ response: HTTPResponse) -> (ProbeFailureClass, String)? {
        if !expect.status.accepts(response.status) {
            let redirect = response.redirectCount > 0 ? " after redirect to \(response.effectiveURL)" : ""
            return (.http, "status \(response.status)\(redirect), expected \(expect.status)")
        }
        if !expect.bodyContains.isEmpty || !expect.bodyNotContains.isEmpty {
            let body = response.bodyText
            if let missing = expect.bodyContains.first(where: { !body.contains($0) }) {
                let redirect = response.redirectCount > 0 ? " (redirected to \(response.effectiveURL))" : ""
                return (.condition, "body does not contain \"\(missing)\"\(redirect)")
            }
            if let marker = expect.bodyNotContains.first(where: { body.contains($0) }) {
                return (.condition, "body contains \"\(marker)\"")
            }
        }
        if let limit = expect.maxLatency, response.timings.total > limit {
            return (.condition, "answered in \(response.timings.total.milliseconds) ms, slower than maxLatency \(DurationText.format(limit))")
        }
        return nil
    }
}

extension ProbeFailureClass {
    init(_ errorClass: HTTPErrorClass) {
        switch errorClass {
        case .dns: self = .dns
        case .connect: self = .connect
        case .tls: self = .tls
        case .timeout: self = .timeout
        case .protocolError: self = .protocolError
        case .other: self = .other
        }
    }
}

/// The verdict of one round of a channel's probes.
public struct ChannelVerdict: Sendable {
    /// The channel id.
    public var channel: String
    /// Every probe's result.
    public var results: [ProbeResult]

    /// Up unless a critical probe failed.
    public var passed: Bool { !results.contains { $0.critical && !$0.passed } }

    /// Why the round failed, from the first failing critical probe.
    public var reason: String? {
        results.first { $0.critical && !$0.passed }.map(\.summary)
    }
}
