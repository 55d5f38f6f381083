/// Writes a streamed response body: raw bytes, or HTTP/1.1 chunks when the length is unknown.
public final class ServerStreamWriter {
    private let connection: ServerConnection
    private let chunked: Bool
    private let stopping: @Sendable () -> Bool
    private let pause: @Sendable (Duration) -> Bool
    /// Whether a write failed (the peer hung up or stopped reading).
    public private(set) var failed = false

    /// Creates a writer over `connection`; `stopping` says whether the server is shutting down,
    /// `pause` waits and returns false early when it is.
    public init(
        connection: ServerConnection, chunked: Bool, stopping: @escaping @Sendable () -> Bool,
        pause: @escaping @Sendable (Duration) -> Bool
    ) {
        self.connection = connection
        self.chunked = chunked
        self.stopping = stopping
        self.pause = pause
    }

    /// Whether the server is shutting down: a long stream should end.
    public var isStopping: Bool { stopping() }

    /// Writes a piece; false when the peer is gone or the server is stopping (then stop writing).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !failed, !stopping() else { return false }
        guard !bytes.isEmpty else { return true }
        let framed = chunked ? Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10] : bytes
        if !connection.send(framed) { failed = true }
        return !failed
    }

    /// Writes a piece of UTF-8 text.
    @discardableResult
    public func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Waits for `duration`; false early when the server begins stopping.
    public func wait(for duration: Duration) -> Bool {
        pause(duration)
    }

    /// Ends the body (the last chunk when chunked); false when the peer is gone.
    func end() -> Bool {
        guard !failed else { return false }
        if chunked, !connection.send(Array("0\r\n\r\n".utf8)) { failed = true }
        return !failed
    }
}
