import Foundation

/// One node's latest verdict on one channel, as it writes it to `<prefix>/obs/<channel>/<node>`.
public struct Observation: Sendable, Codable, Equatable {
    /// The node that probed.
    public var node: String
    /// The channel.
    public var channel: String
    /// When it probed.
    public var at: Date
    /// Whether the channel passed.
    public var passed: Bool
    /// The failure class of the first failing critical probe, when it failed.
    public var failure: ProbeFailureClass?
    /// True when every probe failed before any HTTP answer (DNS, connect, TLS, timeout).
    public var transport: Bool
    /// Why it failed, in one line.
    public var reason: String?
    /// The HTTP status of the first failing critical probe, when one came.
    public var status: Int?

    /// Creates an observation.
    public init(
        node: String, channel: String, at: Date, passed: Bool, failure: ProbeFailureClass? = nil, transport: Bool = false, reason: String? = nil,
        status: Int? = nil
    ) {
        self.node = node
        self.channel = channel
        self.at = at
        self.passed = passed
        self.failure = failure
        self.transport = transport
        self.reason = reason
        self.status = status
    }

    /// The observation of a verdict.
    public init(node: String, verdict: ChannelVerdict, at: Date) {
        let failing = verdict.results.first { $0.critical && !$0.passed }
        self.init(
            node: node, channel: verdict.channel, at: at, passed: verdict.passed, failure: failing?.failure?.kind, transport: verdict.failedInTransport,
            reason: verdict.passed ? nil : verdict.reason, status: failing?.status)
    }
}

/// What the nodes' verdicts on one channel add up to.
public struct QuorumOutcome: Sendable, Equatable {
    /// The channel.
    public var channel: String
    /// Whether at least the needed number of counted nodes saw it fail.
    public var failing: Bool
    /// The counted nodes that saw it fail, by name.
    public var failedOn: [String]
    /// The counted nodes that saw it pass, by name.
    public var passedOn: [String]
    /// The live nodes left out: offline themselves, or with no fresh verdict.
    public var leftOut: [String]
    /// The votes a failure needed.
    public var needed: Int

    /// `2 of 3 nodes (needed 2)`, for evidence and status.
    public var summary: String {
        let counted = failedOn.count + passedOn.count
        return "\(failedOn.count) of \(counted) node\(counted == 1 ? "" : "s") saw it fail (needed \(needed))"
            + (leftOut.isEmpty ? "" : "; left out: \(leftOut.joined(separator: ", "))")
    }
}

/// Decides, from every live node's fresh verdict, whether a channel fails in this round.
///
/// A channel fails when at least `quorum` counted nodes' fresh verdicts say so. A node whose own
/// probes all fail in transport (its network is down: the offline rule) is left out of the count,
/// and so is a node with no verdict newer than `freshness`. Pure: the time is passed in.
public struct QuorumDecision: Sendable {
    /// The votes a failure needs.
    public var quorum: ClusterQuorum
    /// How old a verdict may be and still count.
    public var freshness: Duration

    /// Creates a decision rule.
    public init(quorum: ClusterQuorum, freshness: Duration) {
        self.quorum = quorum
        self.freshness = freshness
    }

    /// The outcome for `channel` at `now`, from the observations of the `live` nodes, `offline` ones left out.
    public func decide(channel: String, observations: [Observation], live: Set<String>, offline: Set<String>, at now: Date) -> QuorumOutcome {
        let oldest = now.addingTimeInterval(-freshness.timeInterval)
        var latest: [String: Observation] = [:]
        for observation in observations where observation.channel == channel && live.contains(observation.node) {
            if let known = latest[observation.node], known.at >= observation.at { continue }
            latest[observation.node] = observation
        }
        var failedOn: [String] = []
        var passedOn: [String] = []
        var leftOut: [String] = []
        for node in live.sorted() {
            guard !offline.contains(node), let observation = latest[node], observation.at >= oldest else {
                leftOut.append(node)
                continue
            }
            if observation.passed { passedOn.append(node) } else { failedOn.append(node) }
        }
        // A majority is of the nodes that can vote: an offline node's silence is no vote either way.
        let needed = quorum.needed(live: live.count - live.intersection(offline).count)
        return QuorumOutcome(channel: channel, failing: failedOn.count >= needed, failedOn: failedOn, passedOn: passedOn, leftOut: leftOut, needed: needed)
    }
}
