import DetourServer
import Foundation

/// The `/_sandbox/…` control API, letting another process drive the sandbox over HTTP.
struct SandboxControl {
    /// The shared sandbox state.
    let state: SandboxState

    /// Answers a control request; `segments` are the path segments after `_sandbox`.
    func respond(to request: HTTPRequest, segments: [String]) -> HTTPResponse {
        let query = Self.parameters(request.target.query)
        let method = request.method
        switch segments {
        case ["health"]:
            guard method == "GET" || method == "HEAD" else { return Self.notAllowed("GET") }
            return .json(200, #"{"ok":true}"#)
        case let parts where parts.count == 3 && parts[0] == "store" && !parts[1].isEmpty:
            guard method == "POST" else { return Self.notAllowed("POST") }
            guard let mode = StorefrontMode(rawValue: parts[2]) else {
                return .text(
                    400,
                    "unknown mode \(parts[2]); expected one of "
                        + StorefrontMode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            state.setMode(mode, for: parts[1])
            return .noContent
        case let parts where parts.count == 2 && parts[0] == "store" && !parts[1].isEmpty:
            guard method == "GET" else { return Self.notAllowed("GET") }
            return .json(200, Self.storeJSON(name: parts[1], mode: state.mode(of: parts[1]), hits: state.hits(parts[1])))
        case ["requests"]:
            switch method {
            case "GET":
                var log = state.requests()
                if let path = query["path"] { log = log.filter { $0.path == path } }
                guard let data = try? RecordedRequest.makeJSONEncoder().encode(log) else {
                    return .text(500, "cannot encode request log")
                }
                return .json(200, String(decoding: data, as: UTF8.self))
            case "DELETE":
                state.clearRequests()
                return .noContent
            default:
                return Self.notAllowed("GET, DELETE")
            }
        case ["respond"]:
            guard method == "POST" else { return Self.notAllowed("POST") }
            return enqueue(query, body: request.bodyText)
        case ["delay"]:
            guard method == "POST" else { return Self.notAllowed("POST") }
            guard let path = query["path"], path.hasPrefix("/"), let ms = Self.integer(query["ms"], in: 0...3_600_000)
            else { return .text(400, "expected path=/… and ms=<0…3600000>") }
            state.setDelay(.milliseconds(ms), forPath: path)
            return .noContent
        case ["slow"]:
            guard method == "POST" else { return Self.notAllowed("POST") }
            guard let ms = Self.integer(query["ms"], in: 0...3_600_000) else { return .text(400, "expected ms=<0…3600000>") }
            state.slowDelay = .milliseconds(ms)
            return .noContent
        default:
            return .text(404, "unknown sandbox control endpoint\n")
        }
    }

    private func enqueue(_ query: [String: String], body: String) -> HTTPResponse {
        guard let path = query["path"], path.hasPrefix("/") else { return .text(400, "expected path=/…") }
        guard let status = query["status"].map({ Self.integer($0, in: 100...999) }) ?? 200 else {
            return .text(400, "status must be 100…999")
        }
        guard let count = query["count"].map({ Self.integer($0, in: 1...100_000) }) ?? 1 else {
            return .text(400, "count must be 1…100000")
        }
        var headers: [SandboxHeader] = []
        if let retryAfter = query["retryAfter"] {
            guard Self.integer(retryAfter, in: 0...86_400) != nil else { return .text(400, "retryAfter must be 0…86400") }
            headers.append(SandboxHeader("Retry-After", retryAfter))
        }
        if let contentType = query["contentType"] { headers.append(SandboxHeader("Content-Type", contentType)) }
        state.enqueue(ScriptedResponse(status: status, headers: headers, body: body), forPath: path, count: count)
        return .noContent
    }

    /// Parses `a=1&b=%2Fx` into a dictionary (last value wins; `+` is kept literally).
    static func parameters(_ query: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).removingPercentEncoding, !name.isEmpty else { continue }
            let value = parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? String(parts[1]) : ""
            result[name] = value
        }
        return result
    }

    private static func integer(_ text: String?, in range: ClosedRange<Int>) -> Int? {
        guard let text, let value = Int(text), range.contains(value) else { return nil }
        return value
    }

    private static func notAllowed(_ allow: String) -> HTTPResponse {
        var response = HTTPResponse.text(405, "Method Not Allowed\n")
        response.headers.append(SandboxHeader("Allow", allow))
        return response
    }

    private static func storeJSON(name: String, mode: StorefrontMode, hits: Int) -> String {
        struct Snapshot: Encodable { var name: String; var mode: StorefrontMode; var hits: Int }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(Snapshot(name: name, mode: mode, hits: hits))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
