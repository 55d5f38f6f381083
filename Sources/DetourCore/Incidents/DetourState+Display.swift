import Foundation

extension DetourState {
    /// What a person should read for a channel's state: `held` while an operator holds it (its
    /// health is frozen, not up), `unknown` before the first probe, else its health state.
    public func displayState(of channel: String, at time: Date) -> String {
        if hold(on: channel, at: time) != nil { return "held" }
        guard let health = channels[channel], health.lastProbeAt != nil else { return "unknown" }
        return health.state.rawValue
    }
}
