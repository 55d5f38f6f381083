import CCurl
import Foundation

/// A curl call that failed, described for a person.
struct CurlError: Error {
    /// What was being done and curl's description of the failure.
    var message: String
}

/// The checks every `CURLcode` and `CURLMcode` goes through, and the once-per-process global init.
enum Curl {
    /// `curl_global_init`'s result, evaluated once per process on first use (a lazy, immutable static).
    static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Throws unless `code` is `CURLE_OK`, naming `what` in the message.
    static func check(_ code: CURLcode, _ what: @autoclosure () -> String) throws(CurlError) {
        guard code != CURLE_OK else { return }
        throw CurlError(message: "\(what()): \(String(cString: curl_easy_strerror(code)))")
    }

    /// Throws unless `code` is `CURLM_OK`, naming `what` in the message.
    static func check(_ code: CURLMcode, _ what: @autoclosure () -> String) throws(CurlError) {
        guard code != CURLM_OK else { return }
        throw CurlError(message: "\(what()): \(String(cString: curl_multi_strerror(code)))")
    }
}

/// Where the write and header callbacks collect one transfer's response.
final class ResponseSink {
    /// Body bytes kept so far.
    var body: [UInt8] = []
    /// Headers of the response currently being received.
    var headers: [HTTPHeader] = []
    /// Whether body bytes beyond `limit` arrived.
    var truncated = false
    /// Why the headers were refused (one over 16 KB), when they were.
    var headerProblem: String?
    /// Header bytes of the current response so far.
    private var headerBytes = 0
    /// The longest header line read: longer ones are refused rather than held.
    static let maxHeaderLine = 16 << 10
    /// The most header bytes of one response.
    static let maxHeaderBytes = 256 << 10
    /// Most body bytes kept.
    let limit: Int

    /// Creates an empty sink keeping at most `limit` body bytes.
    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Takes body bytes; returns false once the limit is passed so curl stops the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let room = limit - body.count
        if bytes.count <= room {
            body.append(contentsOf: bytes)
            return true
        }
        body.append(contentsOf: bytes.prefix(room))
        truncated = true
        return false
    }

    /// Takes one raw header line (curl delivers them whole, CRLF included); false stops the transfer.
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        headerBytes += bytes.count
        if bytes.count > Self.maxHeaderLine {
            let name = String(decoding: bytes.prefix(40).prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)
            headerProblem = "a response header is over 16 KB (\(ByteCount.text(Int64(bytes.count))) in \"\(name)\"); Detour reads headers up to 16 KB"
            return false
        }
        if headerBytes > Self.maxHeaderBytes {
            headerProblem = "the response headers are over 256 KB in total; Detour reads at most 256 KB of headers"
            return false
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        // Trimmed as bytes: in a Swift String "\r\n" is one Character, neither "\r" nor "\n".
        let line = String(decoding: bytes[..<end], as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line starts the next response (redirect, 100 Continue): keep only the last one's headers.
            headers.removeAll(keepingCapacity: true)
            headerBytes = bytes.count
            return true
        }
        if let first = line.first, first == " " || first == "\t" {
            // Obsolete line folding continues the previous header's value.
            if !headers.isEmpty {
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
            }
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers.append(HTTPHeader(name, value))
        return true
    }
}

/// One easy handle and everything it owns; lives on the worker thread only and frees all of it in `deinit`.
final class Transfer {
    /// The easy handle (`CURL *`).
    let easy: UnsafeMutableRawPointer
    /// Where the response goes.
    let sink: ResponseSink
    /// Whether to read the certificate chain after the transfer.
    let captureCertificate: Bool
    /// curl's CURLOPT_ERRORBUFFER.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The CURLOPT_HTTPHEADER list; must outlive the transfer.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// The address the open-socket check refused, when the request may only reach public addresses.
    private(set) var refusedAddress: String?

    /// Wraps a fresh easy handle; takes ownership of it.
    init(easy: UnsafeMutableRawPointer, request: HTTPRequest) {
        self.easy = easy
        self.sink = ResponseSink(limit: request.maxBodyBytes)
        self.captureCertificate = request.captureCertificate
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        // The handle must already be out of the multi handle; the header list may only go after the handle.
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Sets every option `request` needs.
    func configure(_ request: HTTPRequest, userAgent: String) throws(CurlError) {
        let timeoutMS = Self.milliseconds(request.timeout)
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_USERAGENT, userAgent)
        try set(CURLOPT_TIMEOUT_MS, timeoutMS)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(timeoutMS, 10_000))
        try set(CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        try set(CURLOPT_MAXREDIRS, max(0, request.maxRedirects))
        if request.freshConnection {
            try set(CURLOPT_FRESH_CONNECT, 1)
            try set(CURLOPT_FORBID_REUSE, 1)
        }
        // Empty means every encoding this curl can decode; the body arrives decoded.
        try set(CURLOPT_ACCEPT_ENCODING, "")
        if request.captureCertificate { try set(CURLOPT_CERTINFO, 1) }
        if let caBundlePath = request.caBundlePath { try set(CURLOPT_CAINFO, caBundlePath) }

        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        try Curl.check(
            detour_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let sink = Unmanaged<ResponseSink>.fromOpaque(user!).takeUnretainedValue()
                let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
                // Returning short makes curl stop with CURLE_WRITE_ERROR, which `outcome` reads as truncation.
                return sink.receiveBody(bytes) ? size * count : 0
            }, "CURLOPT_WRITEFUNCTION")
        try set(CURLOPT_WRITEDATA, pointer: sinkPointer)
        try Curl.check(
            detour_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                let sink = Unmanaged<ResponseSink>.fromOpaque(user!).takeUnretainedValue()
                // Returning short makes curl stop with CURLE_WRITE_ERROR; `outcome` reports `headerProblem`.
                return sink.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
            }, "CURLOPT_HEADERFUNCTION")
        try set(CURLOPT_HEADERDATA, pointer: sinkPointer)

        try configureMethod(request)
        try configureHeaders(request)
        if request.publicAddressesOnly { try configureAddressCheck() }
    }

    /// Refuses, before connecting, every address that is not public; a new connection each time, so a kept-alive
    /// one opened without the check cannot be reused.
    private func configureAddressCheck() throws(CurlError) {
        try set(CURLOPT_FRESH_CONNECT, 1)
        try Curl.check(
            detour_easy_setopt_opensocket(easy) { client, _, address in
                let transfer = Unmanaged<Transfer>.fromOpaque(client!).takeUnretainedValue()
                guard let address else { return CURL_SOCKET_BAD }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
                let readable = detour_sockaddr_text(address, &text, socklen_t(text.count)) == 0
                let shown = readable ? String(cString: text) : "an address of family \(address.pointee.family)"
                guard readable, AddressScope.of(shown) == .public else {
                    transfer.refusedAddress = shown
                    return CURL_SOCKET_BAD
                }
                return detour_open_socket(address)
            }, "CURLOPT_OPENSOCKETFUNCTION")
        // Unretained: the transfer owns the easy handle, so it outlives every callback.
        try set(CURLOPT_OPENSOCKETDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
    }

    /// Chooses the method and attaches the body.
    private func configureMethod(_ request: HTTPRequest) throws(CurlError) {
        let method = request.method.uppercased()
        switch method {
        case "GET":
            if let body = request.body {
                try set(CURLOPT_CUSTOMREQUEST, method)
                try setBody(body)
            }
        case "HEAD":
            try set(CURLOPT_NOBODY, 1)
        case "POST":
            // curl's own POST rather than CUSTOMREQUEST, so a 301/302/303 is followed with GET as browsers do.
            try setBody(request.body ?? [])
        case "PUT", "PATCH":
            try set(CURLOPT_CUSTOMREQUEST, method)
            // Always a body, so an empty one still says Content-Length: 0.
            try setBody(request.body ?? [])
        default:
            try set(CURLOPT_CUSTOMREQUEST, method)
            if let body = request.body { try setBody(body) }
        }
    }

    /// Copies `body` into curl as the request body.
    private func setBody(_ body: [UInt8]) throws(CurlError) {
        // The size must be set first, or COPYPOSTFIELDS would stop at the first zero byte.
        try Curl.check(
            detour_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
            "CURLOPT_POSTFIELDSIZE_LARGE")
        let code = body.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else {
                return detour_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
            }
            return detour_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base))
        }
        try Curl.check(code, "CURLOPT_COPYPOSTFIELDS")
    }

    /// Builds the CURLOPT_HTTPHEADER list.
    private func configureHeaders(_ request: HTTPRequest) throws(CurlError) {
        // The last line of defence: a CR or LF would end the header early and start one the caller never wrote.
        if let problem = request.headers.lazy.compactMap(\.injectionProblem).first {
            throw CurlError(message: problem + ", so the request was not sent")
        }
        var lines = request.headers.map { header in
            // "Name:" would delete curl's header of that name; "Name;" sends it empty, which is what was asked.
            header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
        }
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            // curl 7.x sends "Expect: 100-continue" for bodies over 1 KiB and then waits up to a second for servers that never answer it.
            lines.append("Expect:")
        }
        guard !lines.isEmpty else { return }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw CurlError(message: "curl_slist_append: out of memory")
            }
            headerList = appended
        }
        try Curl.check(detour_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
    }

    /// Sets a `long` option.
    private func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try Curl.check(detour_easy_setopt_long(easy, option, value), "curl option \(option.rawValue)")
    }

    /// Sets a string option; curl copies the string.
    private func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        try Curl.check(detour_easy_setopt_string(easy, option, value), "curl option \(option.rawValue)")
    }

    /// Sets a pointer option.
    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(CurlError) {
        try Curl.check(detour_easy_setopt_pointer(easy, option, pointer), "curl option \(option.rawValue)")
    }

    /// `duration` in whole milliseconds, at least 1 because curl reads 0 as "no limit".
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64(Int.max / 1000 - 1) else { return Int.max / 1000 }
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// The result of the finished transfer, given curl's code for it.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, HTTPFailure> {
        let timings = readTimings()
        if let problem = sink.headerProblem {
            return .failure(HTTPFailure(errorClass: .protocolError, message: problem, timings: timings))
        }
        if code == CURLE_OUT_OF_MEMORY, sink.body.isEmpty {
            // libcurl buffers a header line whole and gives up past 100 KB with "Out of memory", before
            // the header callback sees it; a real allocation failure this early is far less likely.
            return .failure(
                HTTPFailure(
                    errorClass: .protocolError, message: "a response header is over 16 KB (over 100 KB); Detour reads headers up to 16 KB",
                    timings: timings))
        }
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && sink.truncated) else {
            let buffered = String(cString: errorBuffer)
            let message = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
            var errorClass = HTTPClient.classify(code)
            if code == CURLE_UNSUPPORTED_PROTOCOL, timings.connect > .zero {
                // Past connecting, this is a server that answered in something other than HTTP (curl: "HTTP/0.9").
                errorClass = .protocolError
            }
            if let refusedAddress, code == CURLE_COULDNT_CONNECT {
                var failure = HTTPFailure(errorClass: .other, message: "refused to connect to \(refusedAddress)", timings: timings)
                failure.refusedAddress = refusedAddress
                return .failure(failure)
            }
            return .failure(HTTPFailure(errorClass: errorClass, message: message, timings: timings))
        }
        var response = HTTPResponse(
            status: infoLong(CURLINFO_RESPONSE_CODE),
            headers: sink.headers,
            body: sink.body,
            bodyTruncated: sink.truncated,
            effectiveURL: infoString(CURLINFO_EFFECTIVE_URL),
            redirectCount: infoLong(CURLINFO_REDIRECT_COUNT),
            timings: timings,
            certificateExpiry: captureCertificate ? leafCertificateExpiry() : nil
        )
        response.primaryAddress = infoString(CURLINFO_PRIMARY_IP)
        response.redirectURL = infoString(CURLINFO_REDIRECT_URL)
        return .success(response)
    }

    /// curl's cumulative phase times.
    private func readTimings() -> HTTPTimings {
        HTTPTimings(
            dns: infoMicroseconds(CURLINFO_NAMELOOKUP_TIME_T),
            connect: infoMicroseconds(CURLINFO_CONNECT_TIME_T),
            tls: infoMicroseconds(CURLINFO_APPCONNECT_TIME_T),
            firstByte: infoMicroseconds(CURLINFO_STARTTRANSFER_TIME_T),
            total: infoMicroseconds(CURLINFO_TOTAL_TIME_T)
        )
    }

    /// The leaf certificate's "Expire date", if curl collected the chain.
    private func leafCertificateExpiry() -> Date? {
        var raw: UnsafeMutableRawPointer?
        guard (try? Curl.check(detour_easy_getinfo_pointer(easy, CURLINFO_CERTINFO, &raw), "CURLINFO_CERTINFO")) != nil,
            let info = raw?.assumingMemoryBound(to: curl_certinfo.self).pointee,
            info.num_of_certs > 0, let chain = info.certinfo
        else { return nil }
        var node = chain[0]
        while let entry = node {
            if let data = entry.pointee.data {
                let field = String(cString: data)
                if field.hasPrefix("Expire date:") {
                    return Self.parseCertificateDate(String(field.dropFirst("Expire date:".count)))
                }
            }
            node = entry.pointee.next
        }
        return nil
    }

    /// Parses OpenSSL's ASN1_TIME_print form, `Jan 18 23:59:59 2027 GMT` (day space-padded, optional fraction).
    static func parseCertificateDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard parts.count == 5, parts[4] == "GMT",
            let month = months.firstIndex(of: String(parts[0])),
            let day = Int32(parts[1]), let year = Int32(parts[3])
        else { return nil }
        let clock = parts[2].split(separator: ":")
        guard clock.count == 3, let hour = Int32(clock[0]), let minute = Int32(clock[1]),
            let second = Int32(clock[2].prefix(while: { $0 != "." }))
        else { return nil }
        var fields = tm()
        fields.tm_year = year - 1900
        fields.tm_mon = Int32(month)
        fields.tm_mday = day
        fields.tm_hour = hour
        fields.tm_min = minute
        fields.tm_sec = second
        return Date(timeIntervalSince1970: TimeInterval(timegm(&fields)))
    }

    /// A `long` info value, 0 if curl has none.
    private func infoLong(_ info: CURLINFO) -> Int {
        var value = 0
        return (try? Curl.check(detour_easy_getinfo_long(easy, info, &value), "curl info \(info.rawValue)")) != nil ? value : 0
    }

    /// A string info value, empty if curl has none.
    private func infoString(_ info: CURLINFO) -> String {
        var value: UnsafeMutablePointer<CChar>?
        guard (try? Curl.check(detour_easy_getinfo_string(easy, info, &value), "curl info \(info.rawValue)")) != nil,
            let value
        else { return "" }
        return String(cString: value)
    }

    /// A `curl_off_t` microseconds info value as a duration, zero if curl has none.
    private func infoMicroseconds(_ info: CURLINFO) -> Duration {
        var value: curl_off_t = 0
        guard (try? Curl.check(detour_easy_getinfo_off_t(easy, info, &value), "curl info \(info.rawValue)")) != nil
        else { return .zero }
        return .microseconds(Int64(value))
    }
}
