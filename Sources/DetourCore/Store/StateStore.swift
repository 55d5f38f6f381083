import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The state folder: an append-only journal (the truth), a snapshot (a cache) and a lock.
///
/// Every file it creates is private to the user (0600) and the folder it creates is 0700: the
/// journal and the snapshot hold provider answers. No file in it is opened through a symbolic link.
public final class StateStore {
    /// The folder.
    public let directory: String
    private var journalDescriptor: Int32 = -1
    private let warn: (String) -> Void

    /// The journal's path.
    public var journalPath: String { directory + "/journal.jsonl" }
    /// The snapshot's path.
    public var snapshotPath: String { directory + "/state.json" }
    /// The lock file's path.
    public var lockPath: String { directory + "/lock" }
    /// Where journal lines that cannot be read are copied, with their line numbers.
    public var quarantinePath: String { directory + "/journal.quarantine" }

    /// Opens (and creates, 0700) the state folder; `warn` hears about repaired damage (standard error by default).
    public init(directory: String, warn: @escaping (String) -> Void = StateStore.printWarning) throws(JournalError) {
        self.directory = directory
        self.warn = warn
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: NSNumber(value: 0o700)])
        } catch {
            throw JournalError(message: "cannot create the state folder \(directory): \(error.localizedDescription)")
        }
    }

    deinit {
        if journalDescriptor >= 0 { close(journalDescriptor) }
    }

    /// Writes `warning: …` to standard error.
    public static func printWarning(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(TerminalText.escaped(text))\n".utf8))
    }

    // MARK: - Lock

    /// Takes the run lock without waiting and writes who holds it; nil when another run holds it.
    public func tryLock(holder: LockHolder) throws(JournalError) -> RunLock? {
        // O_NOFOLLOW (in openPrivate): a symlink planted as the lock file must not make us truncate its target.
        let descriptor = try openPrivate(lockPath, O_RDWR | O_CREAT)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let line = holder.line + "\n"
        _ = ftruncate(descriptor, 0)
        _ = line.withCString { write(descriptor, $0, strlen($0)) }
        return RunLock(descriptor: descriptor)
    }

    /// Takes the run lock without waiting, naming only this process; nil when another run holds it.
    public func tryLock() throws(JournalError) -> RunLock? {
        try tryLock(holder: LockHolder(command: nil, pid: getpid(), since: Date()))
    }

    /// Who holds (or last held) the lock, as written in the lock file.
    public func lockHolder() -> LockHolder? {
        guard let data = try? readPrivate(lockPath) else { return nil }
        return LockHolder(line: String(decoding: data, as: UTF8.self))
    }

    /// Opens a file of the state folder without following a symbolic link, creating it 0600.
    private func openPrivate(_ path: String, _ flags: Int32) throws(JournalError) -> Int32 {
        let descriptor = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.openError(path, errno) }
        // A file left by an older version may be 0644; its content is as private as the journal's.
        if flags & O_CREAT != 0 { _ = fchmod(descriptor, 0o600) }
        return descriptor
    }

    private static func openError(_ path: String, _ code: Int32) -> JournalError {
        if code == ELOOP {
            return JournalError(
                message: "\(path) is a symbolic link; detour never follows links in the state folder; remove the link and run the command again")
        }
        return JournalError(message: "cannot open \(path): \(OutputFile.describe(code))")
    }

    /// A state file's bytes, nil when it does not exist; never through a symbolic link.
    private func readPrivate(_ path: String) throws(JournalError) -> Data? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.openError(path, errno)
        }
        defer { close(descriptor) }
        // Sized from fstat and read in few calls: a year of journal is tens of megabytes.
        var info = stat()
        var data = Data(count: fstat(descriptor, &info) == 0 ? max(Int(info.st_size), 0) + 1 : 1 << 16)
        var filled = 0
        while true {
            if filled == data.count { data.count *= 2 }
            let result = data.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if result < 0 {
                if errno == EINTR { continue }
                throw JournalError(message: "cannot read \(path): \(OutputFile.describe(errno))")
            }
            if result == 0 { break }
            filled += result
        }
        data.count = filled
        return data
    }

    /// The daemon lock's path: held by `detour watch` for its whole life, beside the per-pass run lock.
    public var watchLockPath: String { directory + "/watch.lock" }

    /// Takes the daemon lock without waiting; nil when another `watch` holds it (its pid is in `watchLockHolder()`).
    public func tryWatchLock() throws(JournalError) -> RunLock? {
        // O_NOFOLLOW: a symlink planted in its place must not get its target truncated.
        let descriptor = open(watchLockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw JournalError(message: "cannot open \(watchLockPath): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        return RunLock(descriptor: descriptor)
    }

    /// The pid written by the `watch` holding the daemon lock, for messages.
    public func watchLockHolder() -> String? {
        (try? String(contentsOfFile: watchLockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Journal

    /// Appends one record and fsyncs it before returning: the caller may then act on it.
    @discardableResult
    public func append(_ record: JournalRecord) throws -> Int {
        let line = try JournalCoding.encode(record) + "\n"
        let descriptor = try openJournal()
        var bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw JournalError(message: "cannot write \(journalPath): \(OutputFile.describe(errno))")
            }
            written += result
        }
        bytes.removeAll()
        guard fsync(descriptor) == 0 else {
            throw JournalError(message: "cannot fsync \(journalPath): \(OutputFile.describe(errno))")
        }
        return Int(lseek(descriptor, 0, SEEK_END))
    }

    private func openJournal() throws(JournalError) -> Int32 {
        if journalDescriptor >= 0 { return journalDescriptor }
        journalDescriptor = try openPrivate(journalPath, O_WRONLY | O_APPEND | O_CREAT)
        return journalDescriptor
    }

    /// Cuts off a last line left half-written by a killed run, so the next append starts clean.
    public func repairTornTail() throws(JournalError) {
        guard let data = try readPrivate(journalPath), let last = data.last, last != UInt8(ascii: "\n") else { return }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let descriptor = try openPrivate(journalPath, O_WRONLY)
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(keep)) == 0 else {
            throw JournalError(message: "cannot repair \(journalPath): \(OutputFile.describe(errno))")
        }
    }

    /// Every record from a byte offset on, with the offset after the last complete line.
    public func records(from offset: Int = 0) throws -> (records: [JournalRecord], end: Int) {
        var records: [JournalRecord] = []
        let end = try forEachRecord(from: offset) { records.append($0) }
        return (records, end)
    }

    /// Hands every record from a byte offset on to `body`, in order, without keeping them all;
    /// returns the offset after the last complete line.
    ///
    /// A line that cannot be read is copied to `journal.quarantine` with its line number, named in
    /// a warning, and skipped: one bad line never stops the rest of the history from counting.
    public func forEachRecord(from offset: Int = 0, _ body: (JournalRecord) -> Void) throws -> Int {
        guard let data = try readPrivate(journalPath) else {
            guard offset == 0 else { throw SnapshotMismatch(offset: offset, journalSize: 0) }
            return 0
        }
        // Only 0 or the start of a line is a place the journal was ever read up to.
        guard offset >= 0, offset <= data.count, offset == 0 || data[data.startIndex + offset - 1] == UInt8(ascii: "\n") else {
            throw SnapshotMismatch(offset: offset, journalSize: data.count)
        }
        // Raw bytes and memchr: iterating `Data` byte by byte costs more than decoding the lines.
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var lineNumber = 0
            var start = 0
            while start < offset, let newline = memchr(base + start, 0x0A, offset - start) {
                lineNumber += 1
                start = base.distance(to: UnsafeRawPointer(newline)) + 1
            }
            start = offset
            var batch: [(line: Int, range: Range<Int>)] = []
            batch.reserveCapacity(Self.batchSize)
            while start < raw.count, let found = memchr(base + start, 0x0A, raw.count - start) {
                let newline = base.distance(to: UnsafeRawPointer(found))
                lineNumber += 1
                if newline > start { batch.append((lineNumber, start..<newline)) }
                start = newline + 1
                if batch.count == Self.batchSize {
                    decode(batch, in: raw, body)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            decode(batch, in: raw, body)
            return start
        }
    }

    /// Lines decoded together: large enough to spread over the cores, small enough to bound memory.
    private static let batchSize = 8_192

    /// Decodes a batch of lines on every core (lines are independent), then hands them on in order.
    private func decode(_ batch: [(line: Int, range: Range<Int>)], in raw: UnsafeRawBufferPointer, _ body: (JournalRecord) -> Void) {
        guard !batch.isEmpty else { return }
        var results = [Result<JournalRecord, Error>?](repeating: nil, count: batch.count)
        results.withUnsafeMutableBufferPointer { slots in
            // Each iteration writes only its own slots, so the buffer is shared without a lock.
            nonisolated(unsafe) let slots = slots
            nonisolated(unsafe) let raw = raw
            let workers = batch.count < 512 ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
            // Contiguous shares, so two cores never write the same cache line.
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let share = batch.count * worker / workers..<batch.count * (worker + 1) / workers
                for index in share {
                    slots[index] = Result { try JournalCoding.decode(UnsafeRawBufferPointer(rebasing: raw[batch[index].range])) }
                }
            }
        }
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let record)?: body(record)
            case .failure(let error)?:
                quarantine(line: batch[index].line, bytes: UnsafeRawBufferPointer(rebasing: raw[batch[index].range]), reason: JournalCoding.reason(error))
            case nil: break
            }
        }
    }

    /// Copies an unreadable line to `journal.quarantine` (once) and says so.
    private func quarantine(line: Int, bytes: UnsafeRawBufferPointer, reason: String) {
        let entry = Data("\(line)\t".utf8) + Data(bytes) + Data("\n".utf8)
        var copied = false
        do {
            let existing = try readPrivate(quarantinePath) ?? Data()
            copied = existing.starts(with: entry) || existing.range(of: Data("\n".utf8) + entry) != nil
            if !copied {
                let descriptor = try openPrivate(quarantinePath, O_WRONLY | O_APPEND | O_CREAT)
                defer { close(descriptor) }
                copied = entry.withUnsafeBytes { write(descriptor, $0.baseAddress!, $0.count) } == entry.count
            }
        } catch {
            warn("\(error.message)")
        }
        let kept = copied ? "copied to \(quarantinePath)" : "could not be copied to \(quarantinePath)"
        warn(
            "\(journalPath):\(line): unreadable journal line (\(reason)), skipped and \(kept); the rest of the journal was replayed. "
                + "If the line matters, restore it by hand; otherwise delete \(quarantinePath)")
    }

    // MARK: - Snapshot

    /// The state: the snapshot plus every journal record after it, or a full replay when the
    /// snapshot is missing, unreadable or inconsistent with the journal.
    public func loadState() throws -> DetourState {
        guard let data = try readPrivate(snapshotPath) else { return try rebuildState() }
        let snapshot: DetourState
        do {
            guard JournalCoding.nestingDepth(data, limit: JournalCoding.maxDepth) <= JournalCoding.maxDepth else {
                throw JournalError(message: "nested more than \(JournalCoding.maxDepth) levels deep")
            }
            snapshot = try JSONDecoder.detour.decode(DetourState.self, from: data)
        } catch {
            warn("\(snapshotPath) is unreadable (\(JournalCoding.reason(error))); rebuilt the state from \(journalPath)")
            return try rebuildState()
        }
        var state = snapshot
        do {
            let end = try forEachRecord(from: state.journalOffset) { state.apply($0) }
            state.journalOffset = end
            return state
        } catch let mismatch as SnapshotMismatch {
            warn("\(snapshotPath) \(mismatch.description); rebuilt the state from \(journalPath)")
            return try rebuildState()
        }
    }

    /// The state from the journal alone.
    public func rebuildState() throws -> DetourState {
        var state = DetourState()
        let end = try forEachRecord { state.apply($0) }
        state.journalOffset = end
        return state
    }

    /// Writes the snapshot atomically (temporary file, then rename), readable by the user only.
    public func saveSnapshot(_ state: DetourState) throws {
        let data = try JSONEncoder.detour.encode(state)
        do {
            try OutputFile.replace(snapshotPath, with: data, mode: 0o600)
        } catch {
            throw JournalError(message: error.description)
        }
    }
}

/// A snapshot whose journal offset cannot be a place the journal was read up to.
struct SnapshotMismatch: DetourError {
    var offset: Int
    var journalSize: Int

    var description: String {
        if offset < 0 { return "points at journal byte \(offset), which cannot be" }
        if offset > journalSize { return "points at journal byte \(offset), past the journal's end (\(journalSize) bytes)" }
        return "points at journal byte \(offset), which is not the start of a line"
    }
}

/// The run holding the lock, as written in the lock file: the command, its pid, and since when.
public struct LockHolder: Sendable, Codable, Equatable {
    /// `detour failover rakuten`; nil when not known.
    public var command: String?
    /// The process id.
    public var pid: Int32
    /// When it took the lock; nil in lock files written before this was kept.
    public var since: Date?

    /// Creates a holder.
    public init(command: String?, pid: Int32, since: Date?) {
        self.command = command
        self.pid = pid
        self.since = since
    }

    /// Reads a lock file's line: JSON, or the bare pid older versions wrote.
    public init?(line: String) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if let pid = Int32(text) {
            self.init(command: nil, pid: pid, since: nil)
            return
        }
        guard let holder = try? JSONDecoder.detour.decode(LockHolder.self, from: Data(text.utf8)) else { return nil }
        self = holder
    }

    /// One JSON line.
    var line: String {
        (try? JSONEncoder.detour.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "\(pid)"
    }

    /// `detour failover rakuten (pid 4242) since 2026-12-02T10:00:00+09:00`.
    public func description(in zone: TimeZone) -> String {
        "\(command ?? "a detour run") (pid \(pid))" + (since.map { " since \(LocalTime.iso8601($0, in: zone))" } ?? "")
    }
}

/// The held run lock; released when closed or when the process ends.
public final class RunLock {
    private var descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Releases the lock.
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

extension JSONEncoder {
    /// Sorted keys, ISO-8601 dates with milliseconds.
    static var detour: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.detour` writes.
    static var detour: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        }
        return decoder
    }
}
