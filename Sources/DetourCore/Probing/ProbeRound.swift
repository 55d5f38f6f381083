import Foundation

/// Probes a set of channels concurrently (all their probes in one batch) and judges each channel.
public struct ProbeRound: Sendable {
    /// The HTTP client.
    public var http: HTTPClient
    /// Where requests really go, if not where they say.
    public var redirect: URLRedirect?
    /// Most probes handed to the client at once; twice its concurrency keeps every slot busy.
    public var window: Int

    /// Creates a round over a client.
    public init(http: HTTPClient, redirect: URLRedirect? = nil, window: Int = 512) {
        self.http = http
        self.redirect = redirect
        self.window = max(1, window)
    }

    /// Creates a round from engine dependencies.
    public init(dependencies: EngineDependencies) {
        self.init(http: dependencies.http, redirect: dependencies.redirect, window: 2 * dependencies.workspace.settings.maxConcurrentProbes)
    }

    /// Every channel's verdict, in the order given; `now` judges certificate expiry.
    public func run(_ channels: [Channel], now: Date = Date()) async -> [ChannelVerdict] {
        let probes = channels.flatMap { channel in channel.probes }
        var results = [ProbeResult?](repeating: nil, count: probes.count)
        await withTaskGroup(of: (Int, ProbeResult).self) { group in
            // A sliding window of tasks: enough to keep the client's slots full, while each answer is judged
            // and dropped as it arrives, so memory stays flat however many probes a round has.
            var next = 0
            func addNext() {
                let index = next
                let probe = probes[index]
                next += 1
                group.addTask {
                    let outcome = await http.send(ProbeEvaluator.request(for: probe, url: redirect?.apply(probe.url) ?? probe.url))
                    return (index, ProbeEvaluator.evaluate(probe, outcome, now: now))
                }
            }
            while next < min(probes.count, window) { addNext() }
            for await (index, result) in group {
                results[index] = result
                if next < probes.count { addNext() }
            }
        }
        var offset = 0
        return channels.map { channel in
            defer { offset += channel.probes.count }
            return ChannelVerdict(channel: channel.id, results: results[offset..<offset + channel.probes.count].map { $0! })
        }
    }

    /// Whether any canary URL answers at all (any HTTP status): the monitor's own network works.
    public func canariesAnswer(_ urls: [String]) async -> Bool {
        let requests = urls.map { HTTPRequest(method: "GET", url: redirect?.apply($0) ?? $0, timeout: .seconds(5)) }
        let outcomes = await http.send(all: requests)
        return outcomes.contains { if case .success = $0 { true } else { false } }
    }
}
