import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The state folder: an append-only journal in monthly segments (the truth), a snapshot (a cache) and a lock.
///
/// Records go to `journal/2026-11.jsonl`, named after the month (UTC) of the record's time, and never
/// to a segment before the last one. The single `journal.jsonl` of earlier releases is read as the
/// first segment and never written again. The snapshot names the segment and byte offset it
/// reflects, so a pass reads only what was written after it.
///
/// Every file it creates is private to the user (0600) and the folders it creates are 0700: the
/// journal and the snapshot hold provider answers. No file in it is opened through a symbolic link.
public final class StateStore {
    /// The folder.
    public let directory: String
    private var appendDescriptor: Int32 = -1
    /// The history file this store last read or wrote, and the state's history revision then.
    private var savedHistory: (mark: HistoryMark, revision: Int)?
    /// The segment `appendDescriptor` is open on.
    private var descriptorSegment: String?
    /// The newest segment known; records never go to an earlier one.
    private var appendSegment: String?
    private let warn: (String) -> Void

    /// The folder of journal segments.
    public var segmentFolder: String { directory + "/journal" }
    /// The single journal of earlier releases, read as the first segment.
    public var legacyJournalPath: String { directory + "/" + JournalPosition.legacySegment }
    /// The snapshot's path.
    public var snapshotPath: String { directory + "/state.json" }
    /// The lock file's path.
    public var lockPath: String { directory + "/lock" }
    /// Where journal lines that cannot be read are copied, with their line numbers.
    public var quarantinePath: String { directory + "/journal.quarantine" }
    /// What a rebuild reads, for messages.
    public var journalDescription: String { "the journal (\(segmentFolder))" }

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
        if appendDescriptor >= 0 { close(appendDescriptor) }
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

    /// A state file's bytes from `offset` on (and the file's size), nil when it does not exist; never through a symbolic link.
    private func readPrivate(_ path: String, from offset: Int = 0) throws(JournalError) -> (data: Data, size: Int)? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Self.openError(path, errno)
        }
        defer { close(descriptor) }
        // Sized from fstat and read in few calls: a month of journal is megabytes.
        var info = stat()
        let size = fstat(descriptor, &info) == 0 ? max(Int(info.st_size), 0) : 0
        guard offset <= size else { return (Data(), size) }
        var data = Data(count: size - offset + 1)
        var filled = 0
        while true {
            if filled == data.count { data.count *= 2 }
            let result = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, $0.count - filled, off_t(offset + filled)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw JournalError(message: "cannot read \(path): \(OutputFile.describe(errno))")
            }
            if result == 0 { break }
            filled += result
        }
        data.count = filled
        return (data, max(size, offset + filled))
    }

    private func readPrivate(_ path: String) throws(JournalError) -> Data? {
        try readPrivate(path, from: 0)?.data
    }

    // MARK: - Segments

    /// The journal's segments, oldest first, as paths in the state folder (`journal/2026-11.jsonl`).
    public func segments() throws(JournalError) -> [String] {
        var names: [String] = []
        var info = stat()
        if lstat(legacyJournalPath, &info) == 0 { names.append(JournalPosition.legacySegment) }
        guard lstat(segmentFolder, &info) == 0 else { return names }
        if info.st_mode & S_IFMT == S_IFLNK { throw Self.openError(segmentFolder, ELOOP) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw JournalError(
                message: "\(segmentFolder) is not a folder; detour keeps its journal there and never follows links; move it away and run the command again")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: segmentFolder)) ?? []
        // `YYYY-MM.jsonl` sorts by time; anything else in the folder is not a segment.
        names += files.filter(Self.isSegmentName).sorted().map { "journal/" + $0 }
        return names
    }

    /// The full path of a segment.
    public func path(of segment: String) -> String { directory + "/" + segment }

    /// The segment a record written at `date` goes to, when no later segment exists.
    public static func segment(for date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "journal/%04d-%02d.jsonl", parts.year ?? 1970, parts.month ?? 1)
    }

    private static func isSegmentName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 13, name.hasSuffix(".jsonl"), bytes[4] == UInt8(ascii: "-") else { return false }
        return bytes[0..<4].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[5..<7].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The segments that can hold records from `since` on, with the earlier ones (oldest first) to fall back on.
    func segments(since: Date) throws(JournalError) -> (earlier: [String], from: [String]) {
        let all = try segments()
        // A segment holds no record later than its month: the clock may go back, never a segment.
        let first = Self.segment(for: since)
        let split = all.firstIndex { $0 != JournalPosition.legacySegment && $0 >= first } ?? all.count
        return (Array(all[..<split]), Array(all[split...]))
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
    /// Returns the place after it.
    @discardableResult
    public func append(_ record: JournalRecord) throws -> JournalPosition {
        let (descriptor, segment, isNew) = try openSegment(for: record.ts)
        let line = (isNew ? JournalSchema.line + "\n" : "") + (try JournalCoding.encode(record)) + "\n"
        let path = path(of: segment)
        var bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw JournalError(message: "cannot write \(path): \(OutputFile.describe(errno))")
            }
            written += result
        }
        bytes.removeAll()
        guard fsync(descriptor) == 0 else {
            throw JournalError(message: "cannot fsync \(path): \(OutputFile.describe(errno))")
        }
        return JournalPosition(segment: segment, offset: Int(lseek(descriptor, 0, SEEK_END)))
    }

    /// The descriptor of the segment a record at `date` goes to, and whether it is new (empty).
    private func openSegment(for date: Date) throws -> (Int32, String, Bool) {
        if appendSegment == nil { appendSegment = try segments().last { $0 != JournalPosition.legacySegment } }
        let wanted = max(appendSegment ?? "", Self.segment(for: date))
        if appendDescriptor >= 0, descriptorSegment == wanted { return (appendDescriptor, wanted, false) }
        if appendDescriptor >= 0 { close(appendDescriptor) }
        appendDescriptor = -1
        try makeSegmentFolder()
        let descriptor = try openPrivate(path(of: wanted), O_WRONLY | O_APPEND | O_CREAT)
        appendDescriptor = descriptor
        descriptorSegment = wanted
        appendSegment = wanted
        let isNew = lseek(descriptor, 0, SEEK_END) == 0
        if isNew { syncFolder(segmentFolder) }
        return (descriptor, wanted, isNew)
    }

    private func makeSegmentFolder() throws(JournalError) {
        if mkdir(segmentFolder, 0o700) == 0 {
            syncFolder(directory)
            return
        }
        var info = stat()
        if errno == EEXIST, lstat(segmentFolder, &info) == 0, info.st_mode & S_IFMT == S_IFLNK { throw Self.openError(segmentFolder, ELOOP) }
        guard errno == EEXIST, lstat(segmentFolder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw JournalError(
                message: "cannot create \(segmentFolder) (\(OutputFile.describe(errno))); detour keeps its journal there and never follows links; "
                    + "move what is there away and run the command again")
        }
    }

    /// Makes a new file's name durable: the folder that lists it is fsynced too.
    private func syncFolder(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Cuts off a last line left half-written by a killed run, so the next append starts clean.
    ///
    /// Only the end of the last segment is read.
    public func repairTornTail() throws(JournalError) {
        guard let segment = try segments().last else { return }
        let path = path(of: segment)
        let descriptor = try openPrivate(path, O_RDWR)
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return }
        var end = Int(info.st_size)
        var byte: UInt8 = 0
        guard end > 0, pread(descriptor, &byte, 1, off_t(end - 1)) == 1, byte != UInt8(ascii: "\n") else { return }
        // Back from the end, a block at a time, to the last newline.
        var keep = 0
        var block = [UInt8](repeating: 0, count: 1 << 16)
        search: while end > 0 {
            let start = max(0, end - block.count)
            let count = block.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, end - start, off_t(start)) }
            guard count == end - start else { throw JournalError(message: "cannot read \(path): \(OutputFile.describe(errno))") }
            for index in stride(from: count - 1, through: 0, by: -1) where block[index] == UInt8(ascii: "\n") {
                keep = start + index + 1
                break search
            }
            end = start
        }
        guard ftruncate(descriptor, off_t(keep)) == 0 else {
            throw JournalError(message: "cannot repair \(path): \(OutputFile.describe(errno))")
        }
    }

    /// Every record from a place on, with the place after the last complete line.
    public func records(from position: JournalPosition = .start) throws -> (records: [JournalRecord], end: JournalPosition) {
        var records: [JournalRecord] = []
        let end = try forEachRecord(from: position) { records.append($0) }
        return (records, end)
    }

    /// The last `count` records, reading only the last segments.
    public func lastRecords(_ count: Int) throws -> [JournalRecord] {
        guard count > 0 else { return [] }
        var found: [[JournalRecord]] = []
        var total = 0
        for segment in try segments().reversed() where total < count {
            var records: [JournalRecord] = []
            _ = try read(segment, from: 0) { records.append($0) }
            found.append(records)
            total += records.count
        }
        return Array(found.reversed().joined().suffix(count))
    }

    /// Hands every record from a place on to `body`, in order, without keeping them all; returns
    /// the place after the last complete line. Segments before the place are not read.
    ///
    /// A line that cannot be read is copied to `journal.quarantine` with its line number, named in
    /// a warning, and skipped: one bad line never stops the rest of the history from counting.
    public func forEachRecord(from position: JournalPosition = .start, _ body: (JournalRecord) -> Void) throws -> JournalPosition {
        let all = try segments()
        // Another process (an operator's command between passes) may have started a newer segment.
        if let newest = all.last, newest != JournalPosition.legacySegment, let current = appendSegment, newest > current { appendSegment = newest }
        let later: ArraySlice<String>
        var end = position
        if let index = all.firstIndex(of: position.segment) {
            end.offset = try read(position.segment, from: position.offset, body)
            later = all[(index + 1)...]
        } else {
            // A segment that is not there yet (a new state folder) can only be read from its start.
            guard position.offset == 0 else { throw SnapshotMismatch(position: position, size: nil) }
            later = all[...].drop { $0 <= position.segment }
        }
        for segment in later { end = JournalPosition(segment: segment, offset: try read(segment, from: 0, body)) }
        return end
    }

    /// Hands every record of the given segments to `body`, in order; returns the place after the last.
    func forEachRecord(in segments: [String], skipping skipped: JournalRecordType? = nil, _ body: (JournalRecord) -> Void) throws -> JournalPosition {
        var end = JournalPosition.start
        for segment in segments { end = JournalPosition(segment: segment, offset: try read(segment, from: 0, skipping: skipped, body)) }
        return end
    }

    /// Reads one segment from a byte offset; returns the offset after its last complete line.
    ///
    /// Lines of the `skipped` type, in the form `encode` writes, are passed over without being decoded.
    private func read(_ segment: String, from offset: Int, skipping skipped: JournalRecordType? = nil, _ body: (JournalRecord) -> Void) throws -> Int {
        let skippedPrefix = skipped.map { Array("\",\"type\":\"\($0.name)\"".utf8) }
        let path = path(of: segment)
        // One byte before the offset too: only 0 or the start of a line is a place the journal was ever read up to.
        guard offset >= 0 else { throw SnapshotMismatch(position: JournalPosition(segment: segment, offset: offset), size: 0) }
        let start = max(offset - 1, 0)
        guard let contents = try readPrivate(path, from: start) else {
            guard offset == 0 else { throw SnapshotMismatch(position: JournalPosition(segment: segment, offset: offset), size: nil) }
            return 0
        }
        let (data, size) = contents
        guard offset <= size, offset == 0 || data.first == UInt8(ascii: "\n") else {
            throw SnapshotMismatch(position: JournalPosition(segment: segment, offset: offset), size: size)
        }
        let skip = offset - start
        // Raw bytes and memchr: iterating `Data` byte by byte costs more than decoding the lines.
        let consumed = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Int in
            guard let base = raw.baseAddress else { return 0 }
            var lineNumber = 0
            var position = skip
            var batch: [(line: Int, range: Range<Int>)] = []
            batch.reserveCapacity(Self.batchSize)
            while position < raw.count, let found = memchr(base + position, 0x0A, raw.count - position) {
                let newline = base.distance(to: UnsafeRawPointer(found))
                lineNumber += 1
                if newline > position {
                    let line = UnsafeRawBufferPointer(rebasing: raw[position..<newline])
                    if let version = JournalSchema.version(of: line) {
                        guard version <= JournalSchema.version else {
                            throw JournalError(
                                message:
                                    "\(path) was written by a newer detour (journal schema \(version)); this one reads up to schema \(JournalSchema.version); "
                                    + "upgrade detour")
                        }
                    } else if let skippedPrefix, Self.hasType(line, skippedPrefix) {
                        // Not needed by the caller: not decoded at all.
                    } else {
                        batch.append((lineNumber, position..<newline))
                    }
                }
                position = newline + 1
                if batch.count == Self.batchSize {
                    decode(batch, in: raw, segment: segment, linesBefore: offset, body)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            decode(batch, in: raw, segment: segment, linesBefore: offset, body)
            return position - skip
        }
        return offset + consumed
    }

    /// Whether a line as `encode` writes it (`{"ts":"<24 characters>","type":"…"`) has the type whose `","type":"name"` is given.
    private static func hasType(_ line: UnsafeRawBufferPointer, _ typeField: [UInt8]) -> Bool {
        // `{"ts":"` is 7 bytes and the time 24: the type field starts at byte 31.
        guard line.count > 31 + typeField.count, line[0] == UInt8(ascii: "{"), line[1] == UInt8(ascii: "\"") else { return false }
        return UnsafeRawBufferPointer(rebasing: line[31..<(31 + typeField.count)]).elementsEqual(typeField)
    }

    /// Lines decoded together: large enough to spread over the cores, small enough to bound memory.
    private static let batchSize = 8_192

    /// Decodes a batch of lines on every core (lines are independent), then hands them on in order.
    private func decode(
        _ batch: [(line: Int, range: Range<Int>)], in raw: UnsafeRawBufferPointer, segment: String, linesBefore offset: Int,
        _ body: (JournalRecord) -> Void
    ) {
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
                // Line numbers count from the segment's start; the lines before the offset are counted only now, when one is bad.
                let line = batch[index].line + linesBefore(offset, in: segment)
                quarantine(
                    line: line, segment: segment, bytes: UnsafeRawBufferPointer(rebasing: raw[batch[index].range]), reason: JournalCoding.reason(error))
            case nil: break
            }
        }
    }

    private func linesBefore(_ offset: Int, in segment: String) -> Int {
        guard offset > 0, let data = try? readPrivate(path(of: segment)) else { return 0 }
        return data.prefix(offset).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Copies an unreadable line to `journal.quarantine` (once) and says so.
    private func quarantine(line: Int, segment: String, bytes: UnsafeRawBufferPointer, reason: String) {
        let place = segment == JournalPosition.legacySegment ? "\(line)" : "\(segment):\(line)"
        let entry = Data("\(place)\t".utf8) + Data(bytes) + Data("\n".utf8)
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
            "\(path(of: segment)):\(line): unreadable journal line (\(reason)), skipped and \(kept); the rest of the journal was replayed. "
                + "If the line matters, restore it by hand; otherwise delete \(quarantinePath)")
    }

    // MARK: - Snapshot

    /// The state: the snapshot plus every journal record after it, or a full replay when the
    /// snapshot is missing, unreadable or inconsistent with the journal.
    public func loadState() throws -> DetourState {
        guard var state = try readSnapshot() else { return try rebuildState() }
        do {
            state.journalPosition = try forEachRecord(from: state.journalPosition) { state.apply($0) }
            return state
        } catch let mismatch as SnapshotMismatch {
            warn("\(snapshotPath) \(mismatch.description); rebuilt the state from \(journalDescription)")
            return try rebuildState()
        }
    }

    private struct SnapshotHistory: Decodable {
        var history: HistoryMark?
    }

    /// The snapshot, nil (with a warning when damaged) when there is none to use.
    private func readSnapshot() throws -> DetourState? {
        guard let data = try readPrivate(snapshotPath) else { return nil }
        do {
            guard JournalCoding.nestingDepth(data, limit: JournalCoding.maxDepth) <= JournalCoding.maxDepth else {
                throw JournalError(message: "nested more than \(JournalCoding.maxDepth) levels deep")
            }
            let decoder = JSONDecoder.detour
            var state = try decoder.decode(DetourState.self, from: data)
            savedHistory = nil
            if let mark = try decoder.decode(SnapshotHistory.self, from: data).history {
                let path = directory + "/" + mark.file
                guard let history = try readPrivate(path) else { throw JournalError(message: "\(path), which holds its resolved incidents, is missing") }
                let file = try decoder.decode(HistoryFile.self, from: history)
                guard file.mark == mark, file.incidents.count == mark.count, file.incidents.last?.id == mark.last else {
                    throw JournalError(message: "\(path) does not hold the resolved incidents it names")
                }
                state.prepend(file.incidents)
                savedHistory = (mark, state.historyRevision)
            }
            return state
        } catch {
            warn("\(snapshotPath) is unreadable (\(JournalCoding.reason(error))); rebuilt the state from \(journalDescription)")
            return nil
        }
    }

    /// The incidents a report from `since` on needs (nil: all of them), in a state for reading only.
    ///
    /// With a usable snapshot, that is the snapshot and what is new (every incident is in it).
    /// Without one, only the segments from `since`'s month on are replayed, and earlier ones only
    /// while a record in them names an incident opened before: a report over the last month of a
    /// ten-year journal reads a month or two. Health lines are passed over undecoded, so the
    /// state's channel health is not current; it is never saved.
    public func loadState(reportingSince since: Date?) throws -> DetourState {
        if var state = try readSnapshot() {
            do {
                state.journalPosition = try forEachRecord(from: state.journalPosition) { state.apply($0) }
                return state
            } catch let mismatch as SnapshotMismatch {
                warn("\(snapshotPath) \(mismatch.description); rebuilt the state from \(journalDescription)")
            }
        }
        var (earlier, chosen) = try since.map { try segments(since: $0) } ?? ([], try segments())
        while true {
            var state = DetourState()
            var unknown = false
            state.journalPosition = try forEachRecord(in: chosen, skipping: .channelHealth) { record in
                if let id = record.event.incidentReference, state.incident(id) == nil { unknown = true }
                state.apply(record)
            }
            guard unknown, let previous = earlier.popLast() else { return state }
            chosen.insert(previous, at: 0)
        }
    }

    /// The state from the journal alone: every segment, oldest first.
    public func rebuildState() throws -> DetourState {
        var state = DetourState()
        state.journalPosition = try forEachRecord { state.apply($0) }
        return state
    }

    /// Writes the snapshot atomically (temporary file, then rename), readable by the user only.
    ///
    /// The resolved incidents at the start go to a file of their own (`history-00000070.json`),
    /// written only when they change: a pass writes only what is current.
    public func saveSnapshot(_ state: DetourState) throws {
        let count = state.resolvedPrefix
        let mark = count == 0 ? nil : HistoryMark(count: count, last: state.incidents[count - 1].id)
        let changed = savedHistory?.mark != mark || savedHistory?.revision != state.historyRevision
        do {
            if let mark, changed {
                let file = HistoryFile(mark: mark, incidents: Array(state.incidents[..<count]))
                try OutputFile.replace(directory + "/" + mark.file, with: try JSONEncoder.detour.encode(file), mode: 0o600)
            }
            let encoder = JSONEncoder.detour
            let data = try encoder.encode(SnapshotWithHistory(state: state, history: mark))
            try OutputFile.replace(snapshotPath, with: data, mode: 0o600)
            savedHistory = mark.map { ($0, state.historyRevision) }
        } catch let error as OutputFileError {
            throw JournalError(message: error.description)
        }
        // History files the snapshot no longer names: left by an earlier count.
        guard changed else { return }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in files where name.hasPrefix("history-") && name.hasSuffix(".json") && name != mark?.file {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Encodes a state with its resolved history left to the history file.
    private struct SnapshotWithHistory: Encodable {
        var state: DetourState
        var history: HistoryMark?

        func encode(to encoder: any Encoder) throws { try state.encode(to: encoder, history: history) }
    }
}

extension JournalPosition {
    /// Before the first record.
    public static let start = JournalPosition(segment: JournalPosition.legacySegment, offset: 0)
}

extension JournalEvent {
    /// The incident a record about an existing incident names (not `incident.opened`).
    var incidentReference: String? {
        switch self {
        case .stepStarted(let event): event.incident
        case .stepFinished(let event): event.incident
        case .incidentMitigated(let event), .incidentResolved(let event), .incidentRelapsed(let event): event.incident
        case .incidentRecovering(let event): event.incident
        case .incidentApproved(let event): event.incident
        case .stepRetried(let event): event.incident
        default: nil
        }
    }
}

/// A snapshot whose journal place cannot be a place the journal was read up to.
struct SnapshotMismatch: DetourError {
    var position: JournalPosition
    /// The segment's size; nil when the segment is not there.
    var size: Int?

    var description: String {
        let place = "points at \(position)"
        guard let size else { return "\(place), which is not in the journal" }
        if position.offset < 0 { return "\(place), which cannot be" }
        if position.offset > size { return "\(place), past the segment's end (\(size) bytes)" }
        return "\(place), which is not the start of a line"
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
