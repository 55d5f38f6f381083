import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The state folder: an append-only journal (the truth), a snapshot (a cache) and a lock.
public final class StateStore {
    /// The folder.
    public let directory: String
    private var journalDescriptor: Int32 = -1

    /// The journal's path.
    public var journalPath: String { directory + "/journal.jsonl" }
    /// The snapshot's path.
    public var snapshotPath: String { directory + "/state.json" }
    /// The lock file's path.
    public var lockPath: String { directory + "/lock" }

    /// Opens (and creates) the state folder.
    public init(directory: String) throws(JournalError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError(message: "cannot create the state folder \(directory): \(error.localizedDescription)")
        }
    }

    deinit {
        if journalDescriptor >= 0 { close(journalDescriptor) }
    }

    // MARK: - Lock

    /// Takes the run lock without waiting; nil when another run holds it (with its pid, if known).
    public func tryLock() throws(JournalError) -> RunLock? {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw JournalError(message: "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
        return RunLock(descriptor: descriptor)
    }

    /// The pid written by the run holding the lock, for messages.
    public func lockHolder() -> String? {
        (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
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
                throw JournalError(message: "cannot write \(journalPath): \(String(cString: strerror(errno)))")
            }
            written += result
        }
        bytes.removeAll()
        guard fsync(descriptor) == 0 else {
            throw JournalError(message: "cannot fsync \(journalPath): \(String(cString: strerror(errno)))")
        }
        return Int(lseek(descriptor, 0, SEEK_END))
    }

    private func openJournal() throws(JournalError) -> Int32 {
        if journalDescriptor >= 0 { return journalDescriptor }
        let descriptor = open(journalPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw JournalError(message: "cannot open \(journalPath): \(String(cString: strerror(errno)))")
        }
        journalDescriptor = descriptor
        return descriptor
    }

    /// Cuts off a last line left half-written by a killed run, so the next append starts clean.
    public func repairTornTail() throws(JournalError) {
        guard let data = FileManager.default.contents(atPath: journalPath), let last = data.last, last != UInt8(ascii: "\n") else { return }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        guard truncate(journalPath, off_t(keep)) == 0 else {
            throw JournalError(message: "cannot repair \(journalPath): \(String(cString: strerror(errno)))")
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
    public func forEachRecord(from offset: Int = 0, _ body: (JournalRecord) -> Void) throws -> Int {
        guard let data = FileManager.default.contents(atPath: journalPath) else { return 0 }
        guard offset <= data.count else { throw JournalError(message: "the snapshot is ahead of the journal") }
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
                    try decode(batch, in: raw, body)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try decode(batch, in: raw, body)
            return start
        }
    }

    /// Lines decoded together: large enough to spread over the cores, small enough to bound memory.
    private static let batchSize = 8_192

    /// Decodes a batch of lines on every core (lines are independent), then hands them on in order.
    private func decode(_ batch: [(line: Int, range: Range<Int>)], in raw: UnsafeRawBufferPointer, _ body: (JournalRecord) -> Void) throws {
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
                throw JournalError(message: "\(journalPath):\(batch[index].line): unreadable journal line (\(error)); move the file aside to start afresh")
            case nil: break
            }
        }
    }

    // MARK: - Snapshot

    /// The state: the snapshot plus every journal record after it, or a full replay when the
    /// snapshot is missing, unreadable or inconsistent with the journal.
    public func loadState() throws -> DetourState {
        if let data = FileManager.default.contents(atPath: snapshotPath),
            var state = try? JSONDecoder.detour.decode(DetourState.self, from: data),
            let (records, end) = try? records(from: state.journalOffset)
        {
            for record in records { state.apply(record) }
            state.journalOffset = end
            return state
        }
        return try rebuildState()
    }

    /// The state from the journal alone.
    public func rebuildState() throws -> DetourState {
        var state = DetourState()
        let end = try forEachRecord { state.apply($0) }
        state.journalOffset = end
        return state
    }

    /// Writes the snapshot atomically (temporary file, then rename).
    public func saveSnapshot(_ state: DetourState) throws {
        let data = try JSONEncoder.detour.encode(state)
        try data.write(to: URL(fileURLWithPath: snapshotPath), options: .atomic)
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
