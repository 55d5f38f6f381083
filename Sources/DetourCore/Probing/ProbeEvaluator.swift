import Foundation

/// Judges an HTTP answer against a probe's conditions.
public enum ProbeEvaluator {
    /// Words in a URL or page that mark a planned-maintenance page.
    static let maintenanceWords = ["メンテナンス", "maintenance", "mainte"]

    /// The request a probe sends.
    public static func request(for probe: Probe, url: String) -> HTTPRequest {
        let expect = probe.expect
        let readsBody = !expect.bodyContains.isEmpty || !expect.bodyNotContains.isEmpty || !expect.bodyMatches.isEmpty || !expect.json.isEmpty
        // Without body conditions only the top of the page is needed (its title, a maintenance notice),
        // so hundreds of probes in flight never hold hundreds of full pages.
        var request = HTTPRequest(
            method: probe.method, url: url, headers: probe.headers, timeout: probe.timeout, followRedirects: probe.followRedirects,
            maxRedirects: probe.maxRedirects, captureCertificate: expect.certValidFor != nil, maxBodyBytes: readsBody ? 4 << 20 : 64 << 10)
        request.redirectPolicy = probe.redirectPolicy
        return request
    }

    /// The result for a probe given the transport's outcome, judged at `now` (for certificate expiry).
    ///
    /// Judging shares the probe's timeout with the transfer: what the answer left of it bounds the
    /// CPU time `bodyMatches` may take.
    public static func evaluate(_ probe: Probe, _ outcome: Result<HTTPResponse, HTTPFailure>, now: Date = Date()) -> ProbeResult {
        var result = ProbeResult(probe: probe.name, url: probe.url, critical: probe.critical, status: nil, latency: .zero, failure: nil)
        switch outcome {
        case .failure(let failure):
            result.latency = failure.timings.total
            result.failure = ProbeFailure(kind: ProbeFailureClass(failure.errorClass), detail: failure.message)
        case .success(let response):
            result.status = response.status
            result.latency = response.timings.total
            let deadline = ContinuousClock.now + max(.zero, probe.timeout - response.timings.total)
            result.failure = check(probe, response, now: now, deadline: deadline).map(clipped)
            if result.failure == nil, let limit = probe.expect.maxLatency, response.timings.total > limit {
                result.slow = "answered in \(response.timings.total.milliseconds) ms, slower than maxLatency \(DurationText.format(limit))"
            }
        }
        return result
    }

    private static func check(_ probe: Probe, _ response: HTTPResponse, now: Date, deadline: ContinuousClock.Instant) -> ProbeFailure? {
        let expect = probe.expect
        if response.redirectCount > 0, isMaintenance(response.effectiveURL) {
            return ProbeFailure(
                kind: .condition, detail: "maintenance page: redirected to \(response.effectiveURL)", expected: "no redirect to a maintenance page",
                actual: "\(response.status) at \(response.effectiveURL)")
        }
        if !expect.status.accepts(response.status) {
            let redirect = response.redirectCount > 0 ? " after redirect to \(response.effectiveURL)" : ""
            let maintenance = isMaintenance(pageGist(response.bodyText)) ? "maintenance page: " : ""
            return ProbeFailure(
                kind: .http, detail: "\(maintenance)status \(response.status)\(redirect)", expected: expect.status.description, actual: "\(response.status)")
        }
        let needsBody = !expect.bodyContains.isEmpty || !expect.bodyNotContains.isEmpty || !expect.bodyMatches.isEmpty || !expect.json.isEmpty
        if needsBody, let failure = checkBody(probe, response, deadline: deadline) { return failure }
        for wanted in expect.headers {
            let value = response.header(wanted.name)
            if value?.contains(wanted.contains) != true {
                return ProbeFailure(
                    kind: .condition, detail: "header \(wanted.name) does not contain \"\(wanted.contains)\"", expected: "\"\(wanted.contains)\"",
                    actual: value.map { "\"\($0)\"" } ?? "no \(wanted.name) header")
            }
        }
        if let needed = expect.certValidFor {
            let days = "\(Int(saturating: needed.timeInterval / 86_400)) days"
            guard let expiry = response.certificateExpiry else {
                return ProbeFailure(
                    kind: .tls, detail: "no TLS certificate to check", expected: "a certificate valid for \(days)", actual: "none (plain http?)")
            }
            let left = expiry.timeIntervalSince(now)
            if left < needed.timeInterval {
                let leftDays = left <= 0 ? "expired" : "\(Int(saturating: left / 86_400)) days left"
                return ProbeFailure(
                    kind: .tls, detail: "certificate expires \(LocalTime.iso8601(expiry, in: TimeZone(identifier: "UTC")!))",
                    expected: "valid for \(days)", actual: leftDays)
            }
        }
        return nil
    }

    private static func checkBody(_ probe: Probe, _ response: HTTPResponse, deadline: ContinuousClock.Instant) -> ProbeFailure? {
        let expect = probe.expect
        let bytes = response.utf8Body
        let body = String(decoding: bytes, as: UTF8.self)
        let redirect = response.redirectCount > 0 ? " (redirected to \(response.effectiveURL))" : ""
        // Byte search on UTF-8: exact, and far cheaper per probe than Foundation's string search.
        if let missing = expect.bodyContains.first(where: { !BodyText.contains(bytes, Array($0.utf8)) }) {
            let gist = pageGist(body)
            let maintenance = isMaintenance(gist) ? "maintenance page: " : ""
            return ProbeFailure(
                kind: .condition, detail: "\(maintenance)body does not contain \"\(missing)\"\(redirect)", expected: "\"\(missing)\"", actual: quoted(gist))
        }
        if let marker = expect.bodyNotContains.first(where: { BodyText.contains(bytes, Array($0.utf8)) }) {
            let maintenance = isMaintenance(marker) || isMaintenance(pageGist(body)) ? "maintenance page: " : ""
            return ProbeFailure(
                kind: .condition, detail: "\(maintenance)body contains \"\(marker)\"", expected: "no \"\(marker)\"",
                actual: quoted(context(of: marker, in: body)))
        }
        for pattern in expect.bodyMatches {
            switch matches(pattern, in: body, deadline: deadline) {
            case true?: continue
            case false?:
                return ProbeFailure(kind: .condition, detail: "body does not match /\(pattern)/", expected: "/\(pattern)/", actual: quoted(pageGist(body)))
            case nil:
                return ProbeFailure(
                    kind: .condition,
                    detail: "bodyMatches took longer than the probe's timeout (\(DurationText.format(probe.timeout))) on /\(pattern)/; simplify the pattern",
                    expected: "/\(pattern)/ within \(DurationText.format(probe.timeout))", actual: "still matching when the timeout passed")
            }
        }
        if !expect.json.isEmpty {
            guard let document = try? JSON5.parse(body, file: "response").plainValue else {
                return ProbeFailure(kind: .condition, detail: "body is not JSON", expected: "JSON", actual: quoted(pageGist(body)))
            }
            for wanted in expect.json {
                let found = value(at: wanted.pointer, in: document)
                if found != wanted.value {
                    return ProbeFailure(
                        kind: .condition, detail: "json \(wanted.pointer) is \(found?.jsonText ?? "missing")", expected: wanted.value.jsonText,
                        actual: found?.jsonText ?? "nothing at \(wanted.pointer)")
                }
            }
        }
        return nil
    }

    /// Whether `pattern` matches somewhere in `text`; nil when matching was still running at `deadline`.
    ///
    /// A pattern such as `(\\d+,?)+円` backtracks exponentially on a long run of digits; ICU calls the
    /// block every so often during a long match (`reportProgress`), which is where it is stopped.
    static func matches(_ pattern: String, in text: String, deadline: ContinuousClock.Instant) -> Bool? {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        var found = false
        var late = false
        regex.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(text.startIndex..., in: text)) { result, _, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if ContinuousClock.now >= deadline {
                late = true
                stop.pointee = true
            }
        }
        return found || !late ? found : nil
    }

    /// The value at an RFC 6901 pointer.
    static func value(at pointer: String, in document: JSONValue) -> JSONValue? {
        guard !pointer.isEmpty else { return document }
        var current = document
        for raw in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .array = current {
                guard let index = Int(token), let item = current[index] else { return nil }
                current = item
            } else {
                guard let member = current[token] else { return nil }
                current = member
            }
        }
        return current
    }

    /// Most characters of a page title kept as evidence.
    public static let titleLimit = 200
    /// Most characters of any other excerpt kept as evidence (a failure's detail, what came back).
    public static let excerptLimit = 500

    /// A failure whose texts fit the evidence limits: a stranger's 3 MB title never reaches the journal.
    private static func clipped(_ failure: ProbeFailure) -> ProbeFailure {
        var failure = failure
        failure.detail = clip(failure.detail, to: excerptLimit)
        failure.actual = failure.actual.map { clip($0, to: excerptLimit) }
        failure.expected = failure.expected.map { clip($0, to: excerptLimit) }
        return failure
    }

    /// The text cut to `limit` characters, ending with `…` when cut.
    static func clip(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    static func isMaintenance(_ text: String) -> Bool {
        let lower = text.lowercased()
        return maintenanceWords.contains { lower.contains($0) }
    }

    /// The page's title, or its first words: enough for a person to recognise the page.
    static func pageGist(_ body: String) -> String {
        if let open = body.range(of: "<title>", options: .caseInsensitive),
            let close = body.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<body.endIndex)
        {
            return clip(String(body[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines), to: titleLimit)
        }
        return String(body.prefix(80)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Up to 30 characters either side of the first `marker`, with tags left in.
    private static func context(of marker: String, in body: String) -> String {
        guard let range = body.range(of: marker) else { return marker }
        let start = body.index(range.lowerBound, offsetBy: -30, limitedBy: body.startIndex) ?? body.startIndex
        let end = body.index(range.upperBound, offsetBy: 30, limitedBy: body.endIndex) ?? body.endIndex
        return (start > body.startIndex ? "…" : "") + body[start..<end] + (end < body.endIndex ? "…" : "")
    }

    private static func quoted(_ text: String) -> String {
        text.isEmpty ? "an empty body" : "\"\(text.replacingOccurrences(of: "\n", with: " "))\""
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
