import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads small regular files only: never a device, a pipe or a folder, never more than a limit.
///
/// `FileManager.contents(atPath:)` reads `/dev/zero` until memory runs out and blocks on a FIFO
/// with no writer; workspace files and `file:` credentials are paths a merchant types.
public enum BoundedFile {
    /// Why a file cannot be read.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing is at the path.
        case missing
        /// It exists but cannot be opened; the system's reason.
        case unreadable(String)
        /// It is not a regular file; what it is (`a directory`).
        case notRegular(String)
        /// It holds more bytes than the limit allows.
        case tooLarge(bytes: Int64, limit: Int)

        /// What is wrong, for messages.
        public var description: String {
            switch self {
            case .missing: "does not exist"
            case .unreadable(let reason): "cannot be read (\(reason))"
            case .notRegular(let kind): "is \(kind), not a regular file"
            case .tooLarge(let bytes, let limit): "is \(ByteCount.text(bytes)), more than the \(ByteCount.text(Int64(limit))) allowed"
            }
        }
    }

    /// The file's bytes, at most `limit` of them.
    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Problem> {
        // O_NONBLOCK: opening a FIFO without a writer must not wait; it is refused after fstat anyway.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(openProblem(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        if let problem = problem(info, limit: limit) { return .failure(problem) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(String(cString: strerror(errno))))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
            // The file may grow between fstat and here.
            if bytes.count > limit { return .failure(.tooLarge(bytes: Int64(bytes.count), limit: limit)) }
        }
    }

    /// What would stop `read` from reading the file, without opening it; nil when it can be read.
    public static func check(_ path: String, limit: Int) -> Problem? {
        var info = stat()
        guard stat(path, &info) == 0 else { return openProblem(errno) }
        if let problem = problem(info, limit: limit) { return problem }
        return access(path, R_OK) == 0 ? nil : openProblem(errno)
    }

    private static func problem(_ info: stat, limit: Int) -> Problem? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return Int64(info.st_size) > Int64(limit) ? .tooLarge(bytes: Int64(info.st_size), limit: limit) : nil
        case S_IFDIR: return .notRegular("a directory")
        case S_IFIFO: return .notRegular("a named pipe (FIFO)")
        case S_IFCHR, S_IFBLK: return .notRegular("a device")
        case S_IFSOCK: return .notRegular("a socket")
        default: return .notRegular("a special file")
        }
    }

    private static func openProblem(_ code: Int32) -> Problem {
        code == ENOENT || code == ENOTDIR ? .missing : .unreadable(String(cString: strerror(code)))
    }
}

/// Sizes as people read them: `980 bytes`, `64 KB`, `3.2 MB`.
public enum ByteCount {
    /// Formats a byte count with 1 KB = 1,024 bytes.
    public static func text(_ bytes: Int64) -> String {
        if bytes < 1_024 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return trimmed(Double(bytes) / 1_024) + " KB" }
        return trimmed(Double(bytes) / Double(1 << 20)) + " MB"
    }

    private static func trimmed(_ value: Double) -> String {
        let text = String(format: "%.1f", value)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
