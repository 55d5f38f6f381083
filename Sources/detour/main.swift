import DetourCLI
import Foundation

// Keep main thin: everything lives in DetourCLI and DetourCore.
let status = await CLI.main(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
exit(status.rawValue)
