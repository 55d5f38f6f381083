import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The last workspace that loaded without errors, kept in the state folder (`last-good/`) so
/// monitoring goes on when someone saves a broken file.
///
/// It holds a copy of each source file and a manifest with each file's SHA-256 and when the copy
/// was taken. It is read back through the normal loader, so what runs is always a valid workspace.
public struct LastGoodWorkspace: Sendable {
    /// The folder inside the state folder.
    public static let folderName = "last-good"

    /// What the copy holds.
    public struct Manifest: Sendable, Codable, Equatable {
        /// When the copy was taken.
        public var takenAt: Date
        /// Each source file, relative to the workspace.
        public var files: [FileEntry]
    }

    /// One copied source file.
    public struct FileEntry: Sendable, Codable, Equatable {
        /// `channels/rakuten.json5`.
        public var path: String
        /// SHA-256 of its bytes, hex.
        public var sha256: String
    }

    /// `<state>/last-good`.
    public let directory: String

    /// The copy kept in a state folder.
    public init(stateDirectory: String) {
        directory = stateDirectory + "/" + Self.folderName
    }

    private var manifestPath: String { directory + "/manifest.json" }

    /// The files the loader reads, relative to the workspace, in a stable order.
    public static func sourceFiles(root: String) -> [String] {
        var files: [String] = []
        if FileManager.default.fileExists(atPath: root + "/detour.json5") { files.append("detour.json5") }
        for folder in ["channels", "playbooks"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? []
            files += names.filter { $0.hasSuffix(".json5") || $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
        }
        return files
    }

    /// The manifest of the copy, nil when there is none.
    public func manifest() -> Manifest? {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return nil }
        return try? JSONDecoder.detour.decode(Manifest.self, from: data)
    }

    /// Copies a workspace that just loaded without errors, unless the copy already has the same files.
    ///
    /// The new copy is built beside the old one, checked with the loader (a file saved between the
    /// load and the copy must not become the fallback), then swapped in by renaming. Returns
    /// whether a new copy was written.
    @discardableResult
    public func save(from root: String, environment: [String: String], at time: Date) throws -> Bool {
        var contents: [(entry: FileEntry, data: Data)] = []
        for path in Self.sourceFiles(root: root) {
            guard let data = FileManager.default.contents(atPath: root + "/" + path) else { return false }
            contents.append((FileEntry(path: path, sha256: SHA256.hex(data)), data))
        }
        if let existing = manifest(), existing.files == contents.map(\.entry) { return false }
        let parent = (directory as NSString).deletingLastPathComponent
        let suffix = "\(getpid())-\(UUID().uuidString.prefix(8))"
        let staging = parent + "/.\(Self.folderName).new-\(suffix)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try makeFolder(staging)
        for (entry, data) in contents {
            let folder = (entry.path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try makeFolder(staging + "/" + folder) }
            try write(data, to: staging + "/" + entry.path)
        }
        let staged = WorkspaceLoader(root: staging, environment: environment).load()
        guard staged.workspace != nil else { return false }
        try write(try JSONEncoder.detour.encode(Manifest(takenAt: time, files: contents.map(\.entry))), to: staging + "/manifest.json")
        let retired = parent + "/.\(Self.folderName).old-\(suffix)"
        defer { try? FileManager.default.removeItem(atPath: retired) }
        if FileManager.default.fileExists(atPath: directory), rename(directory, retired) != 0 {
            throw JournalError(message: "cannot replace \(directory): \(String(cString: strerror(errno)))")
        }
        guard rename(staging, directory) == 0 else {
            // Another run swapped its copy in between our two renames: the same files, already there.
            if errno == ENOTEMPTY || errno == EEXIST { return false }
            throw JournalError(message: "cannot write \(directory): \(String(cString: strerror(errno)))")
        }
        return true
    }

    /// Loads the copy through the normal loader, as the workspace at `root`; nil when there is no valid copy.
    public func load(root: String, environment: [String: String]) -> (workspace: Workspace, manifest: Manifest)? {
        // Retries only while another run is swapping a newer copy in at this instant.
        for attempt in 0..<3 {
            if attempt > 0 {
                guard isBeingSwapped else { return nil }
                usleep(20_000)
            }
            if let manifest = manifest(), var workspace = WorkspaceLoader(root: directory, environment: environment).load().workspace {
                // Paths in the workspace (file: credentials, the status page, the state folder) stay relative to the real one.
                workspace.root = root
                return (workspace, manifest)
            }
        }
        return nil
    }

    /// Whether another run is between its two renames (its staging or retired folder is there).
    private var isBeingSwapped: Bool {
        let parent = (directory as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return names.contains { $0.hasPrefix(".\(Self.folderName).") }
    }

    private func makeFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    private func write(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JournalError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let result = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw JournalError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
        guard fsync(descriptor) == 0 else { throw JournalError(message: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }
}
