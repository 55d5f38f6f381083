import DetourServer
import Foundation

/// `/hostile/…`: a server that misbehaves on purpose, so tests can show Detour survives what strangers and
/// providers under load send back. Every request is recorded like a provider request.
///
/// | path | answer |
/// | --- | --- |
/// | `/hostile/drip` | 200 whose 1,000-byte body arrives one byte every 50 ms |
/// | `/hostile/never` | nothing at all, until the sandbox stops (logged with status 0 as soon as it arrives) |
/// | `/hostile/huge-body` | 200 declaring 1 GB of page, streamed until the client hangs up |
/// | `/hostile/control-title` | 200 whose title holds ESC sequences, a bare CR, BEL and NUL |
/// | `/hostile/giant-header/<KB>` | 200 with one header of that many kilobytes (at most 1,024) |
/// | `/hostile/many-headers/<N>` | 200 with N small headers (at most 100,000) |
/// | `/hostile/redirect/private` | 302 to `http://127.0.0.1:PORT/hostile/internal-admin` |
/// | `/hostile/redirect/link-local` | 302 to `http://169.254.169.254/latest/meta-data/` (never connected to) |
/// | `/hostile/redirect/file` | 302 to `file:///etc/passwd` |
/// | `/hostile/redirect/ftp` | 302 to `ftp://127.0.0.1:PORT/` |
/// | `/hostile/redirect/other-origin` | 302 to `http://localhost:PORT/hostile/echo` |
/// | `/hostile/redirect/loop` | 302 to itself |
/// | `/hostile/internal-admin`, `/hostile/echo` | 200, a page standing for something that must not be reached |
/// | `/hostile/retry-after/<value>/…` | 429 with `Retry-After: <value>` (any provider path may follow) |
/// | `/hostile/rate-limit-reset/<value>/…` | 429 with `x-rate-limit-reset: <value>` |
/// | `/hostile/discord-retry-after/<value>/…` | 429 with Discord's body, `"retry_after": <value>` written as is |
struct HostileRoutes {
    /// The sandbox's port, for absolute redirect targets.
    let port: UInt16
    /// Where requests are logged.
    let state: SandboxState

    /// Logs `request` and answers it; `segments` are the path segments after `hostile`. Nil: no answer.
    func respond(to segments: [String], request: RecordedRequest, run: SandboxRun) -> HTTPResponse? {
        if segments.first == "never" {
            state.record(request)
            _ = run.sleep(for: .seconds(600))
            return nil
        }
        let response = answer(segments)
        var logged = request
        logged.answeredStatus = response.status
        state.record(logged)
        return response
    }

    private func answer(_ segments: [String]) -> HTTPResponse {
        let base = "http://127.0.0.1:\(port)"
        let value = segments.count > 1 ? segments[1].removingPercentEncoding ?? segments[1] : ""
        switch segments.first {
        case "drip":
            var response = HTTPResponse.html(200, "")
            response.stream = StreamedBody(chunk: Array("<".utf8), count: 1_000, interval: .milliseconds(50)).serverStream
            return response
        case "huge-body":
            var response = HTTPResponse.html(200, "")
            let chunk = Array(String(repeating: "<p>買い物かご</p>", count: 4_096).utf8)
            response.stream = StreamedBody(chunk: chunk, count: (1 << 30) / chunk.count, interval: .zero).serverStream
            return response
        case "control-title":
            return .html(
                200,
                "<html><head><title>\u{1B}[2J\u{1B}]0;owned\u{07}Shop\rX-Injected: yes\u{0}</title></head>"
                    + "<body><button>買い物かご</button></body></html>")
        case "giant-header":
            let kilobytes = min(max(Int(value) ?? 20, 1), 1_024)
            return .html(200, "<html><body>ok</body></html>", headers: [SandboxHeader("X-Filler", String(repeating: "a", count: kilobytes * 1_024))])
        case "many-headers":
            let count = min(max(Int(value) ?? 10_000, 1), 100_000)
            return .html(200, "<html><body>ok</body></html>", headers: (0..<count).map { SandboxHeader("X-Many-\($0)", "v") })
        case "redirect":
            let targets = [
                "private": "\(base)/hostile/internal-admin",
                "link-local": "http://169.254.169.254/latest/meta-data/",
                "file": "file:///etc/passwd",
                "ftp": "ftp://127.0.0.1:\(port)/",
                "other-origin": "http://localhost:\(port)/hostile/echo",
                "loop": "\(base)/hostile/redirect/loop",
            ]
            guard let target = targets[value] else { return .text(404, "unknown redirect \(value)\n") }
            return .html(302, "<a href=\"\(target)\">moved</a>", headers: [SandboxHeader("Location", target)])
        case "internal-admin":
            return .html(200, "<html><head><title>internal admin</title></head><body>管理画面: secret</body></html>")
        case "echo":
            return .html(200, "<html><body>echo</body></html>")
        case "retry-after":
            return .json(429, #"{"message":"Too many requests"}"#, headers: [SandboxHeader("Retry-After", value)])
        case "rate-limit-reset":
            return .json(429, #"{"title":"Too Many Requests"}"#, headers: [SandboxHeader("x-rate-limit-reset", value)])
        case "discord-retry-after":
            // Written into the JSON as is, so 1e300 and 999999999999999999999 arrive as numbers.
            return .json(429, #"{"message":"You are being rate limited.","retry_after":\#(value),"global":false}"#)
        default:
            return .text(404, "unknown hostile route\n")
        }
    }
}

/// A body written in pieces after the head, so it can be slow (drip-feed) or larger than memory.
struct StreamedBody {
    /// The bytes written each time.
    var chunk: [UInt8]
    /// How many times; the declared `Content-Length` is `chunk.count × count`.
    var count: Int
    /// The pause between two pieces.
    var interval: Duration

    /// The body as a stream of `chunk.count × count` bytes; it stops early when the client hangs up
    /// or the sandbox stops.
    var serverStream: ServerStream {
        let piece = self
        return ServerStream(length: chunk.count * count) { writer in
            for index in 0..<piece.count {
                if index > 0, piece.interval > .zero, !writer.wait(for: piece.interval) { return }
                if !writer.write(piece.chunk) { return }
            }
        }
    }
}
