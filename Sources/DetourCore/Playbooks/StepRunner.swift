import Foundation

/// A request ready to send, with a masked one-line form for logs.
public struct RenderedRequest: Sendable {
    /// The request as it will be sent.
    public var request: HTTPRequest
    /// `POST https://…` with secrets masked.
    public var display: String
    /// The body as text with secrets masked, for drills and logs.
    public var displayBody: String?
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
}

/// Renders a step's request from templates and secrets, sends it and classifies the answer.
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

    /// Builds the request of an action.
    public func render(_ action: StepAction, context: TemplateContext, idempotencyKey: String) throws(StepError) -> RenderedRequest {
        switch action {
        case .http(let spec):
            let resolve: ([String]) throws -> JSONValue = { path in try context.resolve(path, secrets: secrets) }
            do {
                let url = try spec.url.render(resolve).textValue
                var headers: [HTTPHeader] = []
                for header in spec.headers {
                    switch header.value {
                    case .credential(let reference): headers.append(HTTPHeader(header.name, try secrets.resolve(reference)))
                    case .template(let template): headers.append(HTTPHeader(header.name, try template.render(resolve).textValue))
                    }
                }
                var body: [UInt8]?
                if let json = spec.json {
                    body = Array(try json.render(resolve).jsonText.utf8)
                    if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                        headers.append(HTTPHeader("Content-Type", "application/json"))
                    }
                }
                if !headers.contains(where: { $0.name.lowercased() == "idempotency-key" }) {
                    headers.append(HTTPHeader("Idempotency-Key", idempotencyKey))
                }
                let request = HTTPRequest(
                    method: spec.method, url: redirect?.apply(url) ?? url, headers: headers, body: body, timeout: .seconds(15),
                    followRedirects: false)
                return RenderedRequest(
                    request: request, display: secrets.redactor.mask("\(spec.method) \(url)"),
                    displayBody: body.map { secrets.redactor.mask(String(decoding: $0, as: UTF8.self)) })
            } catch let error as StepError {
                throw error
            } catch let error as SecretError {
                throw StepError(message: error.description, permanent: true)
            } catch {
                throw StepError(message: "\(error)", permanent: true)
            }
        }
    }

    /// Sends a rendered request and classifies the answer.
    public func send(_ rendered: RenderedRequest) async -> StepAttempt {
        let started = ContinuousClock.now
        let outcome = await http.send(rendered.request)
        let duration = ContinuousClock.now - started
        switch outcome {
        case .failure(let failure):
            // The request may or may not have reached the provider; a retry carries the same key.
            return StepAttempt(outcome: .retryable, status: nil, error: secrets.redactor.mask("\(failure.errorClass.rawValue): \(failure.message)"), duration: duration)
        case .success(let response):
            let status = response.status
            if (200..<300).contains(status) { return StepAttempt(outcome: .succeeded, status: status, error: nil, duration: duration) }
            let detail = secrets.redactor.mask(String(response.bodyText.prefix(200)))
            let retryable = status == 408 || status == 425 || status == 429 || status >= 500
            return StepAttempt(
                outcome: retryable ? .retryable : .failed, status: status,
                error: "answered \(status)\(detail.isEmpty ? "" : ": \(detail)")", duration: duration)
        }
    }
}
