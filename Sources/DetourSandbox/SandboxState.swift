import DetourServer
import Foundation

/// All mutable sandbox data: storefronts, scripts, delays and the request log.
///
/// `@unchecked Sendable` because every stored property is only touched while `lock` is held,
/// and the state is shared between the caller's thread and the connection threads.
final class SandboxState: @unchecked Sendable {
    private let lock = NSLock()
    private var storefronts: [String: Storefront] = [:]
    private var storefrontByHost: [String: String] = [:]
    private var scripts: [String: [ScriptedResponse]] = [:]
    private var delays: [String: Duration] = [:]
    private var log: [RecordedRequest] = []
    private var slow: Duration = .seconds(3)
    /// Fake provider APIs; nil answers every unscripted provider request with `200 {}`.
    private var fakes: ProviderFakes?
    /// Provider hosts that answer one status whatever is asked (a provider outage).
    private var hostFailures = ProviderFailures()

    /// Creates or updates a storefront; hosts are added, mode and hits are kept.
    func addStorefront(_ name: String, hosts: [String], healthyBody: String?) {
        lock.withLock {
            var store = storefronts[name] ?? Storefront(name: name)
            if let healthyBody { store.healthyBody = healthyBody }
            storefronts[name] = store
            for host in hosts { storefrontByHost[host.lowercased()] = name }
        }
    }

    /// The storefront registered for `host`, if any.
    func storefront(forHost host: String) -> String? {
        lock.withLock { storefrontByHost[host.lowercased()] }
    }

    /// Sets a storefront's mode, creating it if needed.
    func setMode(_ mode: StorefrontMode, for name: String) {
        lock.withLock { storefronts[name, default: Storefront(name: name)].mode = mode }
    }

    /// The storefront's mode; `.healthy` for unknown storefronts.
    func mode(of name: String) -> StorefrontMode {
        lock.withLock { storefronts[name]?.mode ?? .healthy }
    }

    /// How many requests the storefront served; 0 for unknown storefronts.
    func hits(_ name: String) -> Int {
        lock.withLock { storefronts[name]?.hits ?? 0 }
    }

    /// Counts one hit on the storefront (creating it) and returns its snapshot and the slow delay.
    func hit(_ name: String) -> (Storefront, Duration) {
        lock.withLock {
            var store = storefronts[name] ?? Storefront(name: name)
            store.hits += 1
            storefronts[name] = store
            // A captcha is served once; the next request finds the shop again.
            if store.mode == .captcha { storefronts[name]?.mode = .healthy }
            return (store, store.slowDelay ?? slow)
        }
    }

    /// Sets how long one `.slow` storefront waits (nil: the server's slow delay).
    func setSlowDelay(_ delay: Duration?, for name: String) {
        lock.withLock { storefronts[name, default: Storefront(name: name)].slowDelay = delay }
    }

    /// Makes a provider host answer `status` to everything, or answer normally again (nil).
    func failHost(_ host: String, status: Int?) {
        lock.withLock { hostFailures.set(host, status: status) }
    }

    /// The delay applied by `.slow` storefronts.
    var slowDelay: Duration {
        get { lock.withLock { slow } }
        set { lock.withLock { slow = newValue } }
    }

    /// Appends `count` copies of `response` to the path's FIFO.
    func enqueue(_ response: ScriptedResponse, forPath path: String, count: Int) {
        guard count > 0 else { return }
        lock.withLock { scripts[path, default: []].append(contentsOf: repeatElement(response, count: count)) }
    }

    /// Sets (or with `.zero` removes) the artificial delay for a provider path.
    func setDelay(_ delay: Duration, forPath path: String) {
        lock.withLock { delays[path] = delay > .zero ? delay : nil }
    }

    /// Pops the next scripted response for `path` (or the default), logs the request with its
    /// status, and returns the response plus the path's delay — all in one critical section so
    /// concurrent requests see scripts in arrival order.
    func answerProvider(_ request: RecordedRequest) -> (ScriptedResponse, Duration) {
        lock.withLock {
            var response = ScriptedResponse.ok
            if var queue = scripts[request.path], !queue.isEmpty {
                response = queue.removeFirst()
                scripts[request.path] = queue.isEmpty ? nil : queue
            } else if let status = hostFailures.status(forHost: request.host) {
                response = ProviderFailures.response(status)
            } else if let answer = fakes?.answer(request) {
                response = answer
            }
            var logged = request
            logged.answeredStatus = response.status
            log.append(logged)
            return (response, delays[request.path] ?? .zero)
        }
    }

    /// Logs a request answered without a script (the hostile routes).
    func record(_ request: RecordedRequest) {
        lock.withLock { log.append(request) }
    }

    /// Turns on the fake provider APIs (LINE, X, Slack, Discord, SendGrid, Mailchimp, Shopify, PagerDuty, Statuspage).
    func enableProviderFakes() {
        lock.withLock { if fakes == nil { fakes = ProviderFakes() } }
    }

    /// The provider request log, in arrival order.
    func requests() -> [RecordedRequest] {
        lock.withLock { log }
    }

    /// Empties the provider request log.
    func clearRequests() {
        lock.withLock { log.removeAll() }
    }
}
