import DetourServer
import Foundation

/// A small HTTP/1.1 server on 127.0.0.1 serving fake storefronts and fake provider endpoints
/// ("a fake internet on loopback") for `detour demo`, `detour drill --sandbox` and tests.
public final class SandboxServer: Sendable {
    private let state = SandboxState()
    private let current = LockedValue<SandboxRun?>(nil)

    /// Creates a stopped server; call `start(port:)` to listen.
    public init() {}

    /// Stops the server if it is still running.
    deinit { stop() }

    /// Listens on 127.0.0.1:`port` (0 picks a free port) and returns the bound port.
    /// Throws if already running or the port cannot be bound.
    @discardableResult
    public func start(port: UInt16 = 0) throws -> UInt16 {
        let router = SandboxRouter(state: state)
        return try current.withLock { (run: inout SandboxRun?) throws(SandboxError) -> UInt16 in
            if let run { throw SandboxError("sandbox already running on 127.0.0.1:\(run.port)") }
            let started = try SandboxRun.listen(port: port)
            started.startAccepting { fd, run in router.serve(fd: fd, run: run) }
            run = started
            return started.port
        }
    }

    /// The bound port, or 0 while stopped.
    public var port: UInt16 {
        current.withLock { $0?.port ?? 0 }
    }

    /// The server's base URL, e.g. `http://127.0.0.1:54321`.
    public var baseURL: String {
        "http://127.0.0.1:\(port)"
    }

    /// Whether the server is listening.
    public var isRunning: Bool {
        current.withLock { $0 != nil }
    }

    /// Closes the listener and ends the accept and connection threads (cutting in-flight and
    /// delayed requests short). Idempotent; state such as storefronts and the log is kept.
    public func stop() {
        let run = current.withLock { (run: inout SandboxRun?) -> SandboxRun? in
            defer { run = nil }
            return run
        }
        run?.stop()
    }

    // MARK: - Storefronts

    /// Creates (or updates) a storefront, optionally serving it for `/ext/<host>/…` requests to `hosts`.
    public func addStorefront(_ name: String, hosts: [String] = [], healthyBody: String? = nil) {
        state.addStorefront(name, hosts: hosts, healthyBody: healthyBody)
    }

    /// Switches a storefront's behaviour, creating it if needed.
    public func setMode(_ mode: StorefrontMode, for storefront: String) {
        state.setMode(mode, for: storefront)
    }

    /// The storefront's current mode (`.healthy` if unknown).
    public func mode(of storefront: String) -> StorefrontMode {
        state.mode(of: storefront)
    }

    /// How many requests the storefront has served (`/_maintenance` pages not counted).
    public func hits(_ storefront: String) -> Int {
        state.hits(storefront)
    }

    /// Sets how long `.slow` storefronts wait before answering (default 3 s).
    public func setSlowDelay(_ d: Duration) {
        state.slowDelay = d
    }

    /// Sets how long one `.slow` storefront waits before answering (nil: the server's slow delay).
    public func setSlowDelay(_ d: Duration?, for storefront: String) {
        state.setSlowDelay(d, for: storefront)
    }

    // MARK: - Provider endpoints

    /// Makes every request to a provider host answer `status` (a provider outage); nil ends it.
    /// A host starting with a dot matches its subdomains (`.myshopify.com`).
    public func failProvider(host: String, status: Int?) {
        state.failHost(host, status: status)
    }

    /// Queues `count` copies of `response` for requests to `path` (matched without query), FIFO.
    public func enqueue(_ response: ScriptedResponse, forPath path: String, count: Int = 1) {
        state.enqueue(response, forPath: path, count: count)
    }

    /// Delays every answer for `path` by `d` (`.zero` removes the delay).
    public func setDelay(_ d: Duration, forPath path: String) {
        state.setDelay(d, forPath: path)
    }

    /// Answers unscripted provider requests the way the real APIs do (by the host they were meant
    /// for: api.line.me, api.x.com, hooks.slack.com, discord.com, api.sendgrid.com,
    /// *.api.mailchimp.com, *.myshopify.com, events.pagerduty.com, api.statuspage.io).
    public func enableProviderFakes() {
        state.enableProviderFakes()
    }

    /// Every provider request received so far, in arrival order.
    public func requests() -> [RecordedRequest] {
        state.requests()
    }

    /// The provider requests whose path equals `path`, in arrival order.
    public func requests(path: String) -> [RecordedRequest] {
        state.requests().filter { $0.path == path }
    }

    /// Forgets all recorded provider requests.
    public func clearRequests() {
        state.clearRequests()
    }
}
