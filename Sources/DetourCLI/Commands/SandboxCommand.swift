import DetourSandbox
import Foundation

/// `detour sandbox`: serves the sandbox in the foreground, to try a workspace by hand.
struct SandboxCommand: Command {
    static let name = "sandbox"
    static let abstract = "Serve the sandbox (fake storefronts and provider APIs) on 127.0.0.1"
    static let discussion = """
        Storefronts: http://127.0.0.1:PORT/store/NAME/… ; switch one with
          curl -X POST http://127.0.0.1:PORT/_sandbox/store/NAME/down   (healthy|down|slow|maintenance)
        Every other path records the request; list them with GET /_sandbox/requests.
        """
    static let port = Option.port(help: "port to listen on (default: 8080; 0 picks a free one)")
    static let options: [any OptionDeclaration] = [port]

    let port: UInt16

    init(_ parsed: ParsedArguments) throws(UsageError) { port = try parsed.value(Self.port) ?? 8080 }

    func run(_ context: CommandContext) async throws -> ExitCode {
        let sandbox = SandboxServer()
        do {
            let bound = try sandbox.start(port: port)
            context.console.out("sandbox listening on http://127.0.0.1:\(bound); Ctrl-C to stop")
        } catch {
            context.console.err("error: \(error)")
            return .failure
        }
        let stop = StopSignal()
        stop.install(onSignal: {})
        while !stop.requested { try? await stop.sleep(until: Date().addingTimeInterval(3600)) }
        sandbox.stop()
        return .ok
    }
}

/// Starts the embedded sandbox on a free 127.0.0.1 port with the provider fakes (demo, drill);
/// nil after saying why it could not.
func startSandbox(_ context: CommandContext) -> SandboxServer? {
    let sandbox = SandboxServer()
    sandbox.enableProviderFakes()
    do {
        try sandbox.start()
        return sandbox
    } catch {
        context.console.err("error: cannot start the sandbox: \(error)")
        return nil
    }
}
