import CCurl
import Foundation

/// An HTTP client running every transfer on one long-lived curl multi handle, owned by one worker thread.
public final class HTTPClient: Sendable {
    /// Queue and lifecycle shared with the worker thread.
    private let state: ClientState

    /// Starts the worker thread; at most `maxConcurrent` transfers are in flight, the rest wait in order.
    public init(maxConcurrent: Int = 256, userAgent: String = "detour/0.1") {
        state = ClientState()
        let initCode = Curl.globalInit
        guard initCode == CURLE_OK else {
            state.refuse("curl_global_init: \(String(cString: curl_easy_strerror(initCode)))")
            return
        }
        let worker = Thread { [state] in
            // Named from inside: on Linux, Foundation does not apply a name set before start().
            Thread.current.name = "detour-http"
            Worker.run(state: state, maxConcurrent: max(1, maxConcurrent), userAgent: userAgent)
        }
        worker.start()
    }

    deinit {
        shutdown()
    }

    /// Performs `request`; an HTTP error status is still a `.success`, only a missing response is a failure.
    ///
    /// Redirects are followed here, one hop at a time, so each hop can be checked against `redirectPolicy`.
    /// Cancelling the calling task stops the transfer at once and returns `HTTPFailure.cancelled`.
    public func send(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPFailure> {
        guard request.followRedirects else { return await sendOnce(request) }
        var follow = RedirectFollower(request)
        while true {
            let outcome = await sendOnce(follow.hop)
            switch follow.next(after: outcome) {
            case .done(let result): return result
            case .follow: continue
            }
        }
    }

    /// Performs exactly one exchange, following no redirect.
    private func sendOnce(_ request: HTTPRequest) async -> Result<HTTPResponse, HTTPFailure> {
        var request = request
        request.followRedirects = false
        let mark = CancellationMark()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if let failure = state.submit(Submission(request: request, continuation: continuation, mark: mark)) {
                    continuation.resume(returning: .failure(failure))
                }
            }
        } onCancel: { [state] in
            state.cancel(mark)
        }
    }

    /// Performs all `requests` concurrently (up to `maxConcurrent` in flight) and returns results in the same order.
    public func send(all requests: [HTTPRequest]) async -> [Result<HTTPResponse, HTTPFailure>] {
        await withTaskGroup(of: (Int, Result<HTTPResponse, HTTPFailure>).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, await self.send(request)) }
            }
            var results = [Result<HTTPResponse, HTTPFailure>?](repeating: nil, count: requests.count)
            for await (index, result) in group {
                results[index] = result
            }
            return results.map { $0! }
        }
    }

    /// Stops the worker thread and waits for it; pending and in-flight requests fail with `.other` "client shut down".
    /// Safe to call more than once.
    public func shutdown() {
        state.shutdown()
    }

    /// The error class for a curl result code.
    static func classify(_ code: CURLcode) -> HTTPErrorClass {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns
        case CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_TOO_MANY_REDIRECTS, CURLE_WEIRD_SERVER_REPLY, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
            CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3:
            return .protocolError
        default:
            return .other
        }
    }
}

/// A request waiting for the worker, with the continuation its result goes to.
struct Submission: Sendable {
    /// What to send.
    var request: HTTPRequest
    /// Resumed exactly once, by the worker or by whoever refuses the submission.
    var continuation: CheckedContinuation<Result<HTTPResponse, HTTPFailure>, Never>
    /// Set when the sending task is cancelled.
    var mark: CancellationMark
}

/// Whether the task that sent a request was cancelled; one per `send`, compared by identity.
// @unchecked Sendable: `cancelled` is only read and written while `ClientState`'s lock is held.
final class CancellationMark: @unchecked Sendable {
    /// Set once, by `ClientState.cancel`.
    var cancelled = false
}

/// The state submitters and the worker thread share.
// @unchecked Sendable: every mutable field is read and written only while `condition` is held, and the multi
// handle pointer is only used for curl_multi_wakeup (thread-safe in curl) under that lock, so it cannot race
// with the worker freeing it.
final class ClientState: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Submission] = []
    /// Marks of cancelled requests the worker has not yet dealt with.
    private var cancellations: [CancellationMark] = []
    private var stopRequested = false
    /// Set once no more submissions are accepted; the message they fail with.
    private var closedReason: String?
    private var workerFinished = false
    private var multi: UnsafeMutableRawPointer?
    private var workerThread: pthread_t?

    /// Marks the client unusable before any worker started.
    func refuse(_ reason: String) {
        condition.lock()
        closedReason = reason
        workerFinished = true
        condition.unlock()
    }

    /// Queues `submission` and wakes the worker; returns the failure instead if the client is closed or the task
    /// was cancelled.
    func submit(_ submission: Submission) -> HTTPFailure? {
        condition.lock()
        defer { condition.unlock() }
        // Checked under the lock `cancel` takes, so a cancellation is either seen here or found queued by the worker.
        if submission.mark.cancelled { return .cancelled }
        if let closedReason { return HTTPFailure(errorClass: .other, message: closedReason, timings: HTTPTimings()) }
        if stopRequested { return HTTPFailure(errorClass: .other, message: "client shut down", timings: HTTPTimings()) }
        queue.append(submission)
        // Only the first of a burst needs to wake the worker: it takes the whole queue each time it wakes.
        if queue.count == 1 { wake() }
        return nil
    }

    /// Marks a request cancelled and wakes the worker to drop it.
    func cancel(_ mark: CancellationMark) {
        condition.lock()
        defer { condition.unlock() }
        mark.cancelled = true
        cancellations.append(mark)
        wake()
    }

    /// Asks the worker to stop and, unless called on the worker thread itself, waits until it has.
    func shutdown() {
        condition.lock()
        defer { condition.unlock() }
        if !stopRequested {
            stopRequested = true
            wake()
        }
        if let workerThread, pthread_equal(workerThread, pthread_self()) != 0 { return }
        while !workerFinished { condition.wait() }
    }

    /// Worker: records the multi handle so submitters can wake it.
    func attach(multi: UnsafeMutableRawPointer) {
        condition.lock()
        self.multi = multi
        workerThread = pthread_self()
        let pending = !queue.isEmpty || stopRequested
        condition.unlock()
        // Submissions that arrived before the handle existed found nobody to wake.
        if pending { _ = try? Curl.check(curl_multi_wakeup(multi), "curl_multi_wakeup") }
    }

    /// Worker: takes everything queued, the cancellations since the last call, and whether a stop was requested.
    func take() -> (submissions: [Submission], cancellations: [CancellationMark], stop: Bool) {
        condition.lock()
        defer { condition.unlock() }
        var taken: [Submission] = []
        swap(&taken, &queue)
        var cancelled: [CancellationMark] = []
        swap(&cancelled, &cancellations)
        return (taken, cancelled, stopRequested)
    }

    /// Worker: closes to new submissions and forgets the multi handle; returns what was still queued and the
    /// message everything unfinished fails with.
    func retire(fatal: String?) -> (leftovers: [Submission], reason: String) {
        condition.lock()
        defer { condition.unlock() }
        let reason = fatal ?? "client shut down"
        closedReason = reason
        multi = nil
        let leftovers = queue
        queue = []
        return (leftovers, reason)
    }

    /// Worker: reports that it has released everything and resumed every continuation.
    func finish() {
        condition.lock()
        workerFinished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Interrupts the worker's curl_multi_poll; the caller holds the lock.
    private func wake() {
        guard let multi else { return }
        // Best effort: if it fails the worker still notices within its 1 s poll timeout.
        _ = try? Curl.check(curl_multi_wakeup(multi), "curl_multi_wakeup")
    }
}

/// The worker thread's loop; the only code that touches curl handles.
final class Worker {
    private typealias Completion = (Submission, Result<HTTPResponse, HTTPFailure>)

    private let state: ClientState
    private let multi: UnsafeMutableRawPointer
    private let maxConcurrent: Int
    private let userAgent: String
    /// Submissions not yet added to the multi handle, oldest first from `waitingHead`.
    private var waiting: [Submission] = []
    private var waitingHead = 0
    /// Transfers added to the multi handle, by easy handle.
    private var inFlight: [UnsafeMutableRawPointer: (submission: Submission, transfer: Transfer)] = [:]

    private init(state: ClientState, multi: UnsafeMutableRawPointer, maxConcurrent: Int, userAgent: String) {
        self.state = state
        self.multi = multi
        self.maxConcurrent = maxConcurrent
        self.userAgent = userAgent
    }

    /// Runs on the worker thread until shutdown, then frees every handle.
    static func run(state: ClientState, maxConcurrent: Int, userAgent: String) {
        guard let multi = curl_multi_init() else {
            let (leftovers, reason) = state.retire(fatal: "curl_multi_init failed")
            fail(leftovers, reason)
            state.finish()
            return
        }
        // Bounds idle kept-alive sockets when requests allow connection reuse.
        _ = try? Curl.check(detour_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConcurrent), "CURLMOPT_MAXCONNECTS")
        let worker = Worker(state: state, multi: multi, maxConcurrent: maxConcurrent, userAgent: userAgent)
        state.attach(multi: multi)
        let fatal = worker.loop()
        worker.tearDown(fatal: fatal)
        state.finish()
    }

    /// The transfer loop; returns a message if curl's multi handle broke, nil on a requested stop.
    private func loop() -> String? {
        while true {
            let (incoming, cancellations, stop) = state.take()
            // Appended before stopping so tear-down fails these too instead of dropping their continuations.
            waiting.append(contentsOf: incoming)
            if stop { return nil }
            var completed: [Completion] = []
            drop(cancellations, into: &completed)
            startWaiting(into: &completed)
            do {
                var running: Int32 = 0
                try Curl.check(curl_multi_perform(multi, &running), "curl_multi_perform")
                collectFinished(into: &completed)
            } catch {
                Self.resume(completed)
                return error.message
            }
            Self.resume(completed)
            // Slots freed while others wait: go round again at once instead of sleeping.
            let timeout: Int32 = hasWaiting && inFlight.count < maxConcurrent ? 0 : 1000
            do {
                try Curl.check(curl_multi_poll(multi, nil, 0, timeout, nil), "curl_multi_poll")
            } catch {
                return error.message
            }
        }
    }

    private var hasWaiting: Bool { waitingHead < waiting.count }

    /// Adds waiting submissions to the multi handle while there is room.
    private func startWaiting(into completed: inout [Completion]) {
        while inFlight.count < maxConcurrent, hasWaiting {
            let submission = waiting[waitingHead]
            waitingHead += 1
            start(submission, into: &completed)
        }
        // Drop the consumed prefix once it dominates, keeping pops amortised O(1).
        if waitingHead > 64, waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
    }

    /// Creates, configures and adds one easy handle; a setup failure completes the submission at once.
    private func start(_ submission: Submission, into completed: inout [Completion]) {
        guard let easy = curl_easy_init() else {
            completed.append((submission, Self.failure("curl_easy_init failed")))
            return
        }
        let transfer = Transfer(easy: easy, request: submission.request)
        do {
            try transfer.configure(submission.request, userAgent: userAgent)
            try Curl.check(curl_multi_add_handle(multi, easy), "curl_multi_add_handle")
            inFlight[easy] = (submission, transfer)
        } catch {
            completed.append((submission, Self.failure(error.message)))
        }
    }

    /// Takes cancelled requests out of the queue or off the multi handle; each fails with `HTTPFailure.cancelled`.
    private func drop(_ cancellations: [CancellationMark], into completed: inout [Completion]) {
        guard !cancellations.isEmpty else { return }
        let marks = Set(cancellations.map(ObjectIdentifier.init))
        for (easy, entry) in inFlight where marks.contains(ObjectIdentifier(entry.submission.mark)) {
            _ = try? Curl.check(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle")
            inFlight[easy] = nil
            completed.append((entry.submission, .failure(.cancelled)))
        }
        let pending = waiting[waitingHead...]
        guard pending.contains(where: { marks.contains(ObjectIdentifier($0.mark)) }) else { return }
        var kept: [Submission] = []
        for submission in pending {
            if marks.contains(ObjectIdentifier(submission.mark)) {
                completed.append((submission, .failure(.cancelled)))
            } else {
                kept.append(submission)
            }
        }
        waiting = kept
        waitingHead = 0
    }

    /// Moves every finished transfer out of the multi handle, with its result.
    private func collectFinished(into completed: inout [Completion]) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            // The message is invalid once its handle is removed, so read it first.
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            guard let (submission, transfer) = inFlight.removeValue(forKey: easy) else { continue }
            let result = transfer.outcome(code)
            _ = try? Curl.check(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle")
            completed.append((submission, result))
        }
    }

    /// Fails everything unfinished and frees every handle, the multi handle last.
    private func tearDown(fatal: String?) {
        // Retire first so no submitter can wake the multi handle once it is freed.
        let (leftovers, reason) = state.retire(fatal: fatal)
        var unfinished = Array(waiting[waitingHead...])
        waiting = []
        for (easy, entry) in inFlight {
            _ = try? Curl.check(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle")
            unfinished.append(entry.submission)
        }
        inFlight.removeAll()
        _ = try? Curl.check(curl_multi_cleanup(multi), "curl_multi_cleanup")
        Self.fail(unfinished + leftovers, reason)
    }

    /// Resumes each continuation with its result; called with no lock held.
    private static func resume(_ completed: [Completion]) {
        for (submission, result) in completed {
            submission.continuation.resume(returning: result)
        }
    }

    /// Resumes each continuation with an `.other` failure.
    private static func fail(_ submissions: [Submission], _ message: String) {
        for submission in submissions {
            submission.continuation.resume(returning: failure(message))
        }
    }

    /// An `.other` failure that never reached the network.
    private static func failure(_ message: String) -> Result<HTTPResponse, HTTPFailure> {
        .failure(HTTPFailure(errorClass: .other, message: message, timings: HTTPTimings()))
    }
}
