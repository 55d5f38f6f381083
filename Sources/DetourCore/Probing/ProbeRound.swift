/// Probes a set of channels concurrently (all their probes in one batch) and judges each channel.
public struct ProbeRound: Sendable {
    /// The HTTP client.
    public var http: HTTPClient
    /// Where requests really go, if not where they say.
    public var redirect: URLRedirect?

    /// Creates a round over a client.
    public init(http: HTTPClient, redirect: URLRedirect? = nil) {
        self.http = http
        self.redirect = redirect
    }

    /// Creates a round from engine dependencies.
    public init(dependencies: EngineDependencies) {
        self.init(http: dependencies.http, redirect: dependencies.redirect)
    }

    /// Every channel's verdict, in the order given.
    public func run(_ channels: [Channel]) async -> [ChannelVerdict] {
        let probes = channels.flatMap { channel in channel.probes.map { (channel.id, $0) } }
        let requests = probes.map { _, probe in
            HTTPRequest(method: probe.method, url: redirect?.apply(probe.url) ?? probe.url, headers: probe.headers, timeout: probe.timeout)
        }
        let outcomes = await http.send(all: requests)
        var results: [String: [ProbeResult]] = [:]
        for ((channel, probe), outcome) in zip(probes, outcomes) {
            results[channel, default: []].append(ProbeEvaluator.evaluate(probe, outcome))
        }
        return channels.map { ChannelVerdict(channel: $0.id, results: results[$0.id] ?? []) }
    }
}
