import Foundation

/// Follows the redirects of one request hop by hop, applying its `RedirectPolicy`; a pure step function the client
/// drives with each hop's outcome.
struct RedirectFollower {
    /// What to do after a hop.
    enum Step {
        /// Send `hop` next.
        case follow
        /// The request is finished with this result.
        case done(Result<HTTPResponse, HTTPFailure>)
    }

    /// The request as the caller made it.
    let original: HTTPRequest
    /// The next hop to send.
    private(set) var hop: HTTPRequest
    /// Redirects taken so far.
    private var redirects = 0
    /// Time spent by earlier hops, against the request's timeout.
    private var spent: Duration = .zero
    /// Whether the first hop reached a public address; nil until it answered.
    private var originIsPublic: Bool?

    /// Starts at the request's own URL.
    init(_ request: HTTPRequest) {
        original = request
        hop = request
        hop.followRedirects = false
    }

    /// The step after a hop answered (or failed) with `outcome`.
    mutating func next(after outcome: Result<HTTPResponse, HTTPFailure>) -> Step {
        let response: HTTPResponse
        switch outcome {
        case .failure(var failure):
            if let address = failure.refusedAddress {
                failure.message = RedirectPolicy.addressRefusal(target: hop.url, address: address, scope: AddressScope.of(address))
            }
            failure.timings = failure.timings.after(spent)
            return .done(.failure(failure))
        case .success(let answer):
            response = answer
        }
        if originIsPublic == nil {
            originIsPublic = (original.redirectPolicy.originScope ?? AddressScope.of(response.primaryAddress)) == .public
        }
        guard Self.redirectStatuses.contains(response.status), !response.redirectURL.isEmpty else { return finish(response) }
        let target = response.redirectURL
        guard redirects < original.maxRedirects else {
            return fail(.protocolError, "more than \(original.maxRedirects) redirects (the probe's maxRedirects); the last one pointed to \(target)", response)
        }
        if let refusal = original.redirectPolicy.refusal(from: hop.url, to: target) { return fail(.other, refusal, response) }
        guard spent + response.timings.total < original.timeout else {
            return fail(.timeout, "no answer within \(DurationText.format(original.timeout)) across \(redirects + 1) redirects", response)
        }
        spent += response.timings.total
        if RedirectPolicy.isCrossOrigin(hop.url, target) {
            // Another origin gets none of the headers written for this one (API keys, cookies, tokens).
            hop.headers = []
        }
        let method = hop.method.uppercased()
        // As browsers (and curl) do: 303 turns anything but HEAD into GET; 301 and 302 turn POST into GET.
        if (response.status == 303 && method != "HEAD" && method != "GET") || ((response.status == 301 || response.status == 302) && method == "POST") {
            hop.method = "GET"
            hop.body = nil
            hop.headers.removeAll { $0.name.lowercased() == "content-type" }
        }
        hop.url = target
        hop.timeout = original.timeout - spent
        hop.publicAddressesOnly = originIsPublic == true && !original.redirectPolicy.allowPrivate
        redirects += 1
        return .follow
    }

    private static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The final answer, with where it landed and the time of every hop.
    private func finish(_ response: HTTPResponse) -> Step {
        var response = response
        response.redirectCount = redirects
        response.timings = response.timings.after(spent)
        return .done(.success(response))
    }

    /// A failure of the whole request at a redirect.
    private func fail(_ errorClass: HTTPErrorClass, _ message: String, _ response: HTTPResponse) -> Step {
        .done(.failure(HTTPFailure(errorClass: errorClass, message: message, timings: response.timings.after(spent))))
    }
}

extension HTTPTimings {
    /// These timings shifted by the time earlier hops took, so they still count from the start of the request.
    func after(_ earlier: Duration) -> HTTPTimings {
        guard earlier > .zero else { return self }
        return HTTPTimings(dns: dns + earlier, connect: connect + earlier, tls: tls + earlier, firstByte: firstByte + earlier, total: total + earlier)
    }
}
