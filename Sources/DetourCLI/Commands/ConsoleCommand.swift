import DetourConsole
import DetourCore
import Foundation

/// `detour console login NAME` and `detour console revoke NAME`: sign-in links and ending sessions.
struct ConsoleCommand: Command {
    static let name = "console"
    static let abstract = "Print a one-time sign-in link for the console (login NAME), or end a user's sessions (revoke NAME)"
    static let discussion = """
        The console is served by 'detour watch --listen HOST:PORT'. Users are listed in
        detour.json5 under console.users. A sign-in link works once, for 10 minutes; the session
        it opens lasts 12 hours, until sign-out, or until 'detour console revoke NAME'.
        """
    static let arguments = [
        ArgumentSpec(name: "ACTION", help: "login or revoke"), ArgumentSpec(name: "NAME", help: "a user from console.users in detour.json5"),
    ]

    let action: String
    let user: String

    init(_ parsed: ParsedArguments) {
        action = parsed.positionals[0]
        user = parsed.positionals[1]
    }

    func validate() throws(UsageError) {
        guard action == "login" || action == "revoke" else {
            throw UsageError(description: "unknown console action \"\(action)\"; write 'detour console login NAME' or 'detour console revoke NAME'")
        }
    }

    func run(_ context: CommandContext) async throws -> ExitCode {
        guard let session = WorkspaceSession.load(context, lastGood: true) else { return .invalidWorkspace }
        let settings = session.workspace.settings.console
        guard settings.user(named: user) != nil else {
            let known = settings.users.map(\.name)
            let hint =
                known.isEmpty
                ? "detour.json5 lists no console users; add console: { users: [{ name: \"\(user)\", role: \"operator\" }] }"
                : "known users: \(known.joined(separator: ", ")); add it to console.users in detour.json5"
            context.console.err("error: no console user \"\(user)\"; \(hint)")
            return .usage
        }
        let access = ConsoleAccess(stateDirectory: session.stateDirectory)
        let now = Date()
        do {
            switch action {
            case "login":
                let token = try access.issueSignInToken(for: user, now: now)
                let base = settings.url ?? access.address() ?? "http://127.0.0.1:8080"
                context.console.out("\(base)/console/login?token=\(token)")
                context.console.err("one-time sign-in link for \(user), valid for 10 minutes")
            default:
                try access.revoke(user: user, now: now)
                context.console.out("ended every console session of \(user)")
            }
        } catch {
            context.console.err("error: \(error)")
            return .failure
        }
        return .ok
    }
}
