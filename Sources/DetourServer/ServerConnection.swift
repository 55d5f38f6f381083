import Glibc

/// Reads HTTP/1.1 requests from one accepted socket and writes their responses.
///
/// Used by a single connection thread only. The socket is closed by the owner, not here, so that
/// the fd number stays reserved while the server may still shut it down from another thread.
public final class ServerConnection {
    /// Largest chunk-size or trailer line accepted in a chunked body.
    private static let maxLineBytes = 4 * 1024

    private let fd: Int32
    private let maxHeadBytes: Int
    private let ioTimeout: Duration
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var deadline: ContinuousClock.Instant

    /// Wraps `fd`. No single read or write waits longer than `ioTimeout`, so a stuck peer cannot pin the thread.
    public init(fd: Int32, maxHeadBytes: Int = 64 * 1024, ioTimeout: Duration = .seconds(5)) {
        self.fd = fd
        self.maxHeadBytes = maxHeadBytes
        self.ioTimeout = ioTimeout
        deadline = .now + .seconds(30)
        Self.setTimeout(fd, SO_SNDTIMEO, ioTimeout)
    }

    /// Whether bytes of a next request are already buffered (pipelining).
    public var hasBufferedInput: Bool { readIndex < buffer.count }

    /// Waits up to `timeout` for the first byte of a next request; false when the peer closed or stayed silent.
    public func waitForRequest(timeout: Duration) -> Bool {
        if hasBufferedInput { return true }
        // The idle wait is bounded by `timeout` alone: `ioTimeout` is for a peer gone silent mid-request.
        guard Self.waitReadable(fd, for: timeout) else { return false }
        deadline = .now + ioTimeout
        return (try? fill()) == true
    }

    /// Reads a complete request, answering `100 Continue` first when the client asks for it.
    ///
    /// The head must arrive within `headTimeout` and the body within `bodyTimeout` after it.
    public func readRequest(
        maxBody: Int, headTimeout: Duration = .seconds(30), bodyTimeout: Duration = .seconds(30)
    ) throws(ServerReadError) -> ServerRequest {
        deadline = .now + headTimeout
        let headEnd = try readHead()
        let head = try ServerRequestHead.parse(buffer[readIndex..<headEnd])
        readIndex = headEnd + 4
        guard RequestTarget(head.target).isValid else { throw .malformed("bad request target") }
        let framing = try head.bodyFraming(limit: maxBody)
        deadline = .now + bodyTimeout
        if framing != .none, head.expectsContinue, head.version == "HTTP/1.1" {
            // curl waits (up to 1 s) for this before sending large bodies.
            guard send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { throw .closedEarly }
        }
        let body: [UInt8]
        switch framing {
        case .none: body = []
        case .length(let count): body = try readExactly(count)
        case .chunked: body = try readChunked(limit: maxBody)
        }
        return ServerRequest(head: head, body: body)
    }

    /// Writes all of `bytes`; false when the peer is gone or stopped reading.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                // MSG_NOSIGNAL: a peer that hung up must not kill the process with SIGPIPE.
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Half-closes the write side and briefly drains unread input so the peer sees the response
    /// rather than a reset (closing with unread data makes the kernel send RST).
    public func finish() {
        shutdown(fd, Int32(SHUT_WR))
        let stopAt = ContinuousClock.now + .seconds(1)
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        while ContinuousClock.now < stopAt {
            guard Self.waitReadable(fd, for: .milliseconds(250)) else { break }
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            break
        }
    }

    // MARK: - Reading

    /// Returns the index of the CRLFCRLF ending the head, reading as needed.
    private func readHead() throws(ServerReadError) -> Int {
        // Offsets are relative to readIndex because fill() may compact the buffer.
        var scanned = 0
        while true {
            while readIndex + scanned + 3 < buffer.count {
                let index = readIndex + scanned
                if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                    guard scanned <= maxHeadBytes else { throw .tooLarge(status: 431) }
                    return index
                }
                scanned += 1
            }
            if buffer.count - readIndex > maxHeadBytes { throw .tooLarge(status: 431) }
            let hadData = buffer.count > readIndex
            let more: Bool
            do {
                more = try fill()
            } catch {
                // Nothing received yet: an idle or probing connection, not worth an answer.
                throw hadData ? error : .closedEarly
            }
            // A peer that half-closed mid-head may still read the answer.
            guard more else { throw hadData ? .malformed("incomplete request head") : .closedEarly }
        }
    }

    /// Reads exactly `count` body bytes.
    private func readExactly(_ count: Int) throws(ServerReadError) -> [UInt8] {
        while buffer.count - readIndex < count {
            guard try fill() else { throw .malformed("body shorter than declared") }
        }
        let bytes = Array(buffer[readIndex..<readIndex + count])
        readIndex += count
        return bytes
    }

    /// Reads a CRLF-terminated line (without the CRLF) inside a chunked body.
    private func readLine() throws(ServerReadError) -> String {
        var scanned = 0
        while true {
            while readIndex + scanned + 1 < buffer.count {
                let index = readIndex + scanned
                if buffer[index] == 13, buffer[index + 1] == 10 {
                    let line = String(decoding: buffer[readIndex..<index], as: UTF8.self)
                    readIndex = index + 2
                    return line
                }
                scanned += 1
            }
            if buffer.count - readIndex > Self.maxLineBytes { throw .malformed("chunk line too long") }
            guard try fill() else { throw .malformed("truncated chunked body") }
        }
    }

    /// Decodes a chunked body, rejecting it with 413 once it exceeds `limit`.
    private func readChunked(limit: Int) throws(ServerReadError) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            let sizeText = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingSpaces
            guard !sizeText.isEmpty, sizeText.count <= 16, let size = Int(sizeText, radix: 16), size >= 0
            else { throw .malformed("bad chunk size") }
            if size == 0 { break }
            guard size <= limit - body.count else { throw .tooLarge(status: 413) }
            body += try readExactly(size)
            guard try readLine().isEmpty else { throw .malformed("missing CRLF after chunk") }
        }
        // Trailer fields are allowed but ignored; the body ends with an empty line.
        var trailerBytes = 0
        while true {
            let trailer = try readLine()
            if trailer.isEmpty { return body }
            trailerBytes += trailer.utf8.count
            guard trailerBytes <= maxHeadBytes else { throw .tooLarge(status: 431) }
        }
    }

    /// Receives more bytes into the buffer; false at end of stream, `.timedOut` past the deadline.
    private func fill() throws(ServerReadError) -> Bool {
        if readIndex > 0, readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { throw .timedOut }
            guard Self.waitReadable(fd, for: min(remaining, ioTimeout)) else { throw .timedOut }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
                return true
            }
            if count == 0 { return false }
            switch errno {
            case EINTR, EAGAIN, EWOULDBLOCK: continue
            default: return false
            }
        }
    }

    /// Waits until `fd` is readable (or closed, or in error); false when `duration` passes first.
    static func waitReadable(_ fd: Int32, for duration: Duration) -> Bool {
        let (seconds, attoseconds) = duration.components
        let milliseconds = max(1, Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000))
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0, errno == EINTR { continue }
            return ready > 0
        }
    }

    private static func setTimeout(_ fd: Int32, _ option: Int32, _ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}
