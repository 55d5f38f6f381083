import Foundation

/// A request ready to send, with masked forms for logs and drills.
public struct RenderedRequest: Sendable {
    /// The request as it will be sent.
    public var request: HTTPRequest
    /// `POST https://…` with secrets masked.
    public var display: String
    /// The body as text with secrets masked, for drills and logs.
    public var displayBody: String?
    /// The headers with secrets masked.
    public var displayHeaders: [HTTPHeader]
    /// The call it came from.
    public var call: ProviderCall
    /// Why the request must not be sent at all (a header with a line break), or nil.
    public var refusal: String? = nil
}

/// The result of one attempt.
public struct StepAttempt: Sendable {
    /// How it ended.
    public var outcome: StepOutcome
    /// The HTTP status, if an answer came.
    public var status: Int?
    /// What went wrong (masked).
    public var error: String?
    /// How long it took.
    public var duration: Duration
    /// How long the provider asked to wait before a retry.
    public var retryAfter: Duration? = nil
    /// Ids the provider returned.
    public var outputs: [String: String] = [:]
    /// Whether the request may have arrived although no answer came (a timeout, a cut connection).
    public var uncertain = false
    /// Why it counts as done without a plain success.
    public var note: String? = nil
    /// The answer's body (masked), for drills.
    public var answer: String? = nil
}

/// Renders a step's call, sends it and classifies the answer through the action.
public struct StepRunner: Sendable {
    /// The HTTP client.
    public var http: HTTPClient
    /// Credentials, and the masker for everything printed.
    public var secrets: SecretResolver
    /// Where requests really go (the sandbox in the demo), if not where they say.
    public var redirect: URLRedirect?

    /// Creates a runner.
    public init(http: HTTPClient, secrets: SecretResolver, redirect: URLRedirect?) {
        self.http = http
        self.secrets = secrets
        self.redirect = redirect
    }

    /// Builds the HTTP request of a call, with masked forms for display.
    public func render(_ call: ProviderCall, timeout: Duration) -> RenderedRequest {
        RequestRenderer(secrets: secrets, redirect: redirect).render(call, timeout: timeout)
    }

    /// Sends a rendered request and lets the action classify the answer.
    public func send(_ rendered: RenderedRequest, action: any ProviderAction, environment: CallEnvironment) async -> StepAttempt {
        if let refusal = rendered.refusal {
            return StepAttempt(outcome: .failed, status: nil, error: secrets.redactor.mask(refusal), duration: .zero)
        }
        let started = ContinuousClock.now
        let outcome = await http.send(rendered.request)
        let duration = ContinuousClock.now - started
        switch outcome {
        case .failure(let failure):
            // A timeout or a cut answer may have reached the provider; a refused connection did not.
            let uncertain = failure.errorClass == .timeout || failure.errorClass == .protocolError
            return StepAttempt(
                outcome: .retryable, status: nil, error: secrets.redactor.mask("\(failure.errorClass.rawValue): \(failure.message)"),
                duration: duration, uncertain: uncertain)
        case .success(let answered):
            // Masked before anything cuts it: a secret crossing a cut would leave its first characters behind.
            let response = masked(answered)
            let answer = String(response.bodyText.prefix(2_000))
            var attempt = StepAttempt(outcome: .succeeded, status: response.status, error: nil, duration: duration, answer: answer)
            switch action.classify(response, call: rendered.call, environment: environment) {
            case .success(let outputs):
                attempt.outputs = outputs
            case .progress(let outputs):
                attempt.outcome = .progressed
                attempt.outputs = outputs
            case .alreadyDone(let why):
                attempt.note = secrets.redactor.mask(why)
            case .retryable(let why, let retryAfter):
                attempt.outcome = .retryable
                attempt.error = secrets.redactor.mask(why)
                attempt.retryAfter = retryAfter
            case .permanent(let why):
                attempt.outcome = .failed
                attempt.error = secrets.redactor.mask(why)
            }
            return attempt
        }
    }
}

extension StepRunner {
    /// The answer with every secret masked in its body, so no excerpt or message built from it can hold one.
    func masked(_ response: HTTPResponse) -> HTTPResponse {
        let text = response.bodyText
        let masked = secrets.redactor.mask(text)
        guard masked != text else { return response }
        var response = response
        response.body = Array(masked.utf8)
        // The body is UTF-8 now, whatever charset the provider declared; the media type stays.
        let type = response.header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "text/plain"
        response.headers = response.headers.filter { $0.name.lowercased() != "content-type" } + [HTTPHeader("Content-Type", "\(type); charset=utf-8")]
        return response
    }
}

/// Turns a provider call into an HTTP request and its masked display forms.
public struct RequestRenderer: Sendable {
    /// Masks credentials in the display forms.
    public var secrets: SecretResolver
    /// Where requests really go, if not where they say.
    public var redirect: URLRedirect?

    /// Creates a renderer.
    public init(secrets: SecretResolver, redirect: URLRedirect?) {
        self.secrets = secrets
        self.redirect = redirect
    }

    /// The request and its masked forms.
    public func render(_ call: ProviderCall, timeout: Duration) -> RenderedRequest {
        let body = call.body.map { Array($0.utf8) }
        let request = HTTPRequest(
            method: call.method, url: redirect?.apply(call.url) ?? call.url, headers: call.headers, body: body, timeout: timeout,
            followRedirects: false)
        // Refused here, before anything is sent: a line break in a header is never a passing problem.
        let refusal = call.headers.lazy.compactMap(\.injectionProblem).first.map {
            "\($0), so the request was not sent; keep free text such as {{incident.reason}} out of headers (put it in the json body)"
        }
        return RenderedRequest(
            request: request, display: secrets.redactor.mask("\(call.method) \(call.url)"),
            displayBody: call.body.map(secrets.redactor.mask),
            displayHeaders: call.headers.map { HTTPHeader($0.name, secrets.redactor.mask($0.value)) }, call: call, refusal: refusal)
    }
}
