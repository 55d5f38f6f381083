import Foundation

/// Why a probe failed, in classes an operator can act on.
public enum ProbeFailureClass: String, Sendable, Codable {
    case dns, connect, tls, timeout
    case protocolError = "protocol"
    case http
    case condition
    case other
}

/// Why one probe failed: the class, what was expected and what came back.
public struct ProbeFailure: Sendable, Codable, Equatable {
    /// The class (dns, connect, tls, timeout, http, condition, …).
    public var kind: ProbeFailureClass
    /// What went wrong, in one phrase (`body contains "メンテナンス中"`).
    public var detail: String
    /// What the condition wanted (`2xx`, `no "メンテナンス中"`), for condition and status failures.
    public var expected: String?
    /// What came back (`503`, `<title>ただいまメンテナンス中</title>`).
    public var actual: String?

    /// Creates a failure.
    public init(kind: ProbeFailureClass, detail: String, expected: String? = nil, actual: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.expected = expected
        self.actual = actual
    }

    /// `condition: body contains "メンテナンス中" (expected no "メンテナンス中", got "…")`.
    public var text: String {
        var parts: [String] = []
        if let expected { parts.append("expected \(expected)") }
        if let actual { parts.append("got \(actual)") }
        return "\(kind.rawValue): \(detail)" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
    }
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
    public var failure: ProbeFailure?
    /// Set when it passed but slower than `maxLatency`: why the channel is degraded.
    public var slow: String?

    /// Whether every condition held.
    public var passed: Bool { failure == nil }

    /// One line for people: `cart: http: status 503 (expected 2xx, got 503) (120 ms)`.
    public var summary: String {
        let time = "\(latency.milliseconds) ms"
        guard let failure else {
            if let slow { return "\(probe): slow: \(slow)" }
            return "\(probe): ok \(status.map(String.init) ?? "") in \(time)"
        }
        return "\(probe): \(failure.text) (\(time))"
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

    /// Passed, but a critical probe answered slower than its `maxLatency`.
    public var degraded: Bool { passed && results.contains { $0.critical && $0.slow != nil } }

    /// Why the round failed (the first failing critical probe), or why it is degraded.
    public var reason: String? {
        (results.first { $0.critical && !$0.passed } ?? results.first { $0.critical && $0.slow != nil }).map(\.summary)
    }

    /// The failing critical probes' failures, for the journal.
    public var evidence: [ProbeEvidence] {
        results.compactMap { result in
            guard result.critical, result.failure != nil || result.slow != nil else { return nil }
            return ProbeEvidence(
                probe: result.probe, status: result.status, latencyMs: Int(result.latency.milliseconds), failure: result.failure, slow: result.slow)
        }
    }
}

/// One probe's failure as the journal keeps it.
public struct ProbeEvidence: Sendable, Codable, Equatable {
    /// The probe's name.
    public var probe: String
    /// The HTTP status, when an answer came.
    public var status: Int?
    /// How long it took.
    public var latencyMs: Int
    /// Why it failed.
    public var failure: ProbeFailure?
    /// Why it counts as slow.
    public var slow: String?
}
