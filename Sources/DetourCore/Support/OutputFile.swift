import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file that could not be written: which path and why, in words an operator can act on.
public struct OutputFileError: DetourError {
    /// The path as given.
    public var path: String
    /// Why (`it is a directory; give a file name`, `no space left on the device`).
    public var reason: String
    /// `cannot write PATH: REASON`.
    public var description: String { "cannot write \(path): \(reason)" }
}

/// Writes output files without ever replacing what the operator pointed at.
///
/// A regular file or a new path is replaced atomically (a temporary file, then a rename), so a
/// reader never sees half a file. A character device or a pipe (`/dev/stdout`, a fifo) is written
/// in place; a rename there would swap the device node for a plain file. Anything else is refused.
public enum OutputFile {
    /// Writes `data` to `path`, following a symbolic link to what it names.
    ///
    /// `mode` is the new file's permission; nil keeps an existing file's permission (0644 for a new one).
    public static func write(_ data: Data, to path: String, mode: mode_t? = nil) throws(OutputFileError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT, lstat(path, &info) == 0 {
                throw OutputFileError(path: path, reason: "it is a symbolic link to a missing file; remove the link or create its target")
            }
            guard code == ENOENT else { throw OutputFileError(path: path, reason: describe(code)) }
            try replace(path, with: data, mode: mode ?? 0o644)
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // The link's target is replaced, so the link itself stays where the operator put it.
            let target = realPath(path) ?? path
            try replace(target, with: data, mode: mode ?? (info.st_mode & 0o7777))
        case S_IFCHR, S_IFIFO:
            try writeInPlace(data, to: path)
        case S_IFDIR:
            throw OutputFileError(path: path, reason: "it is a directory; give a file name (for example \(path)/report.html)")
        case S_IFBLK:
            throw OutputFileError(path: path, reason: "it is a block device; give a regular file")
        case S_IFSOCK:
            throw OutputFileError(path: path, reason: "it is a socket; give a regular file")
        default:
            throw OutputFileError(path: path, reason: "it is not a regular file; give a regular file")
        }
    }

    /// Replaces `path` atomically with a new file of `mode`; a symbolic link at `path` is replaced, never followed.
    public static func replace(_ path: String, with data: Data, mode: mode_t) throws(OutputFileError) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw OutputFileError(path: path, reason: "it is a directory; give a file name (for example \(path)/report.html)")
        }
        let temporary = "\(folder.isEmpty ? "" : folder)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw OutputFileError(path: path, reason: describe(errno)) }
        // The umask may have removed bits the caller asked for (0644); set exactly `mode`.
        _ = fchmod(descriptor, mode)
        do throws(OutputFileError) {
            try writeAll(data, to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw OutputFileError(path: path, reason: describe(errno)) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw OutputFileError(path: path, reason: describe(code))
        }
    }

    private static func writeInPlace(_ data: Data, to path: String) throws(OutputFileError) {
        // Non-blocking open: a fifo nobody reads fails at once instead of hanging the run.
        let descriptor = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENXIO { throw OutputFileError(path: path, reason: "it is a pipe that nothing reads; start the reader first") }
            throw OutputFileError(path: path, reason: describe(code))
        }
        defer { close(descriptor) }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        try writeAll(data, to: descriptor, path: path)
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws(OutputFileError) {
        let failure: Int32? = data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let result = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return nil
        }
        if let failure { throw OutputFileError(path: path, reason: describe(failure)) }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// An errno in words; the common ones with what to do.
    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOSPC: "no space left on the device; free some space or write elsewhere"
        case EDQUOT: "the disk quota is used up; free some space or write elsewhere"
        case EACCES, EPERM: "permission denied; write to a folder you may write to"
        case ENOENT: "its folder does not exist; create the folder first"
        case ENOTDIR: "a part of the path is not a folder; check the path"
        case EISDIR: "it is a directory; give a file name"
        case EROFS: "the file system is read-only; write elsewhere"
        case ELOOP: "it is a symbolic link where none is allowed; remove the link"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
