import DetourCore
import Foundation

/// Sends the heartbeat after a pass of tick or watch, when detour.json5 has one.
enum HeartbeatPing {
    /// Pings `heartbeat.url` (or `…/fail`); a ping that does not arrive is a warning, never a failed run.
    static func send(_ session: WorkspaceSession, ok: Bool, console: Console) async {
        guard let heartbeat = session.workspace.settings.heartbeat else { return }
        let http = makeHTTPClient(maxConcurrent: 1)
        defer { http.shutdown() }
        if let problem = await heartbeat.ping(ok: ok, http: http, secrets: session.secrets) {
            console.err("warning: \(problem)")
        }
    }
}
