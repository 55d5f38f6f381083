import Foundation

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

    /// Every channel's verdict, in the order given; `now` judges certificate expiry.
    public func run(_ channels: [Channel], now: Date = Date()) async -> [ChannelVerdict] {
        let probes = channels.flatMap { channel in channel.probes.map { (channel.id, $0) } }
        let requests = probes.map { _, probe in ProbeEvaluator.request(for: probe, url: redirect?.apply(probe.url) ?? probe.url) }
        let outcomes = await http.send(all: requests)
        var results: [String: [ProbeResult]] = [:]
        for ((channel, probe), outcome) in zip(probes, outcomes) {
            results[channel, default: []].append(ProbeEvaluator.evaluate(probe, outcome, now: now))
        }
        return channels.map { ChannelVerdict(channel: $0.id, results: results[$0.id] ?? []) }
    }

    /// Whether any canary URL answers at all (any HTTP status): the monitor's own network works.
    public func canariesAnswer(_ urls: [String]) async -> Bool {
        let requests = urls.map { HTTPRequest(method: "GET", url: redirect?.apply($0) ?? $0, timeout: .seconds(5)) }
        let outcomes = await http.send(all: requests)
        return outcomes.contains { if case .success = $0 { true } else { false } }
    }
}
