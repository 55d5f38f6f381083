/// How much a client may send and for how long; past a limit the server answers 408, 413, 431 or 503.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request head (request line plus headers); larger gets 431.
    public var maxHeadBytes = 16 * 1024
    /// Largest request body; larger gets 413.
    public var maxBodyBytes = 1024 * 1024
    /// Most connections open at once; one more gets 503 and is closed.
    public var maxConnections = 128
    /// Time allowed for a request head to arrive once its first byte has (slow senders get 408).
    public var headTimeout: Duration = .seconds(10)
    /// Time allowed for a request body to arrive after its head.
    public var bodyTimeout: Duration = .seconds(30)
    /// How long a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration = .seconds(15)
    /// Requests answered on one connection before it is closed.
    public var maxRequestsPerConnection = 100
    /// Longest a single write may block on a peer that stopped reading.
    public var ioTimeout: Duration = .seconds(10)
    /// How long `shutdown()` waits for requests in flight before cutting them off.
    public var shutdownGrace: Duration = .seconds(5)

    /// The defaults, suited to a console and status page.
    public init() {}
}
