import Foundation

/// `do: "http"`: any HTTP request, with an `Idempotency-Key` header on every attempt.
public struct HTTPAction: ProviderAction {
    /// The templated request.
    public var request: HTTPStepRequest

    public var name: String { "http" }
    public var honoursIdempotency: Bool { true }
    public var isPublicNotice: Bool { false }
    /// A generic request usually switches something (a banner, a promotion).
    public var isEffect: Bool { true }

    public var templates: [(Template, SourceLocation)] {
        var list: [(Template, SourceLocation)] = [(request.url, request.urlLocation)]
        for header in request.headers {
            if case .template(let template) = header.value { list.append((template, header.location)) }
        }
        return list + (request.json?.templates ?? [])
    }

    public var credentials: [(CredentialReference, SourceLocation)] {
        request.headers.compactMap { header in
            if case .credential(let reference) = header.value { return (reference, header.location) }
            return nil
        }
    }

    public var texts: [(Template, SourceLocation, TextLimit)] { [] }

    public func call(_ environment: CallEnvironment) throws(StepError) -> ProviderCall? {
        let url = try environment.text(request.url)
        var headers: [HTTPHeader] = []
        for header in request.headers {
            switch header.value {
            case .credential(let reference): headers.append(HTTPHeader(header.name, try environment.secret(reference)))
            case .template(let template): headers.append(HTTPHeader(header.name, try environment.text(template)))
            }
        }
        var body: String?
        if let json = request.json {
            body = try environment.value(json).jsonText
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.append(HTTPHeader("Content-Type", "application/json"))
            }
        }
        if !headers.contains(where: { $0.name.lowercased() == "idempotency-key" }) {
            headers.append(HTTPHeader("Idempotency-Key", environment.idempotencyKey))
        }
        return ProviderCall(method: request.method, url: url, headers: headers, body: body)
    }

    public func classify(_ response: HTTPResponse, call: ProviderCall, environment: CallEnvironment) -> ProviderVerdict {
        AnswerReading.standard(response, provider: "the server", now: environment.now)
    }
}
