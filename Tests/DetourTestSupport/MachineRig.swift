import DetourCore
import Foundation

/// A workspace written to a temporary folder and loaded, for tests of the core.
public func loadWorkspace(_ files: [String: String], environment: [String: String] = [:]) throws -> (Workspace, TemporaryWorkspace) {
    let folder = try TemporaryWorkspace()
    for (path, text) in files { try folder.write(path, text) }
    let load = WorkspaceLoader(root: folder.root, environment: environment).load()
    guard let workspace = load.workspace else {
        struct Invalid: Error, CustomStringConvertible { var description: String }
        throw Invalid(description: load.diagnostics.map { "\($0)" }.joined(separator: "\n"))
    }
    return (workspace, folder)
}
