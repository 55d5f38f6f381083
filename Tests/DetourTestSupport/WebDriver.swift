import DetourCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why a browser step failed: the WebDriver command and what chromedriver answered.
public struct WebDriverError: Error, CustomStringConvertible {
    /// What went wrong, with the command.
    public var description: String
}

/// A chromedriver process on a free 127.0.0.1 port, driving Debian's headless Chromium.
///
/// WebDriver is plain HTTP and JSON, so the tests speak it with the project's own HTTP client.
public final class ChromeDriver: @unchecked Sendable {
    // @unchecked: used from one test task at a time.
    private let process: Process
    /// Where chromedriver listens.
    public let baseURL: String
    let http = HTTPClient(maxConcurrent: 4)

    /// The chromedriver and Chromium binaries, when both are installed (`.ci/setup` installs them).
    public static var binaries: (driver: String, browser: String)? {
        let manager = FileManager.default
        guard let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first(where: manager.isExecutableFile(atPath:)),
            let browser = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first(where: manager.isExecutableFile(atPath:))
        else { return nil }
        return (driver, browser)
    }

    /// Starts chromedriver and waits until it is ready.
    public init() async throws {
        guard let binaries = Self.binaries else {
            throw WebDriverError(description: "chromedriver or chromium is not installed; run .ci/setup (apt-get install chromium chromium-driver)")
        }
        let port = try freeLoopbackPort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binaries.driver)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        baseURL = "http://127.0.0.1:\(port)"
        for _ in 0..<100 {
            if let ready = try? await call("GET", "/status")["ready"] as? Bool, ready { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw WebDriverError(description: "chromedriver did not become ready on \(baseURL)")
    }

    /// Opens a headless browser window of the given size (a phone by default: 390×844).
    public func session(width: Int = 390, height: Int = 844, language: String = "en-US") async throws -> BrowserSession {
        let options: [String: Any] = [
            "binary": Self.binaries?.browser ?? "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
                "--lang=\(language)", "--no-first-run", "--no-proxy-server",
            ],
            "prefs": ["intl.accept_languages": language],
            // Headless Chromium keeps a minimum window width of 500 px; device metrics give the page a true phone viewport.
            "mobileEmulation": ["deviceMetrics": ["width": width, "height": height, "pixelRatio": 1.0]],
        ]
        let body: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]]
        let answer = try await call("POST", "/session", body)
        guard let id = answer["sessionId"] as? String else { throw WebDriverError(description: "no session id in \(answer)") }
        return BrowserSession(driver: self, id: id)
    }

    /// Stops chromedriver and the browsers it started.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            // chromedriver ignores SIGTERM; SIGKILL it (its headless browsers die with their pipe).
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        http.shutdown()
    }

    private var stopped = false

    deinit { stop() }

    /// Sends one WebDriver command and returns its `value` as a dictionary (or wrapped under "value").
    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let request = HTTPRequest(
            method: method, url: baseURL + path, headers: [HTTPHeader("Content-Type", "application/json")], body: data.map { [UInt8]($0) },
            timeout: .seconds(60), maxBodyBytes: 64 << 20)
        let response: HTTPResponse
        switch await http.send(request) {
        case .success(let answer): response = answer
        case .failure(let failure): throw WebDriverError(description: "\(method) \(path): \(failure)")
        }
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        let value = object["value"]
        if response.status >= 400 {
            let message = (value as? [String: Any])?["message"] as? String ?? "HTTP \(response.status)"
            throw WebDriverError(description: "\(method) \(path): \(message.split(separator: "\n").first ?? "")")
        }
        if let dictionary = value as? [String: Any] { return dictionary }
        return ["value": value ?? NSNull()]
    }
}

/// One browser window: navigate, find, click, type, read, screenshot.
public final class BrowserSession: @unchecked Sendable {
    // @unchecked: used from one test task at a time.
    let driver: ChromeDriver
    /// The WebDriver session id.
    public let id: String

    init(driver: ChromeDriver, id: String) {
        self.driver = driver
        self.id = id
    }

    private var path: String { "/session/\(id)" }

    /// Opens a URL and waits for the page to load.
    public func open(_ url: String) async throws { try await driver.call("POST", path + "/url", ["url": url]) }

    /// The current URL.
    public func currentURL() async throws -> String { try await driver.call("GET", path + "/url")["value"] as? String ?? "" }

    /// The page's title.
    public func title() async throws -> String { try await driver.call("GET", path + "/title")["value"] as? String ?? "" }

    /// The page's HTML as the browser has it now.
    public func source() async throws -> String { try await driver.call("GET", path + "/source")["value"] as? String ?? "" }

    /// The first element matching a CSS selector.
    public func element(_ selector: String) async throws -> String {
        let answer = try await driver.call("POST", path + "/element", ["using": "css selector", "value": selector])
        guard let reference = answer.first(where: { $0.key.hasPrefix("element-") })?.value as? String else {
            throw WebDriverError(description: "no element for \(selector)")
        }
        return reference
    }

    /// Every element matching a CSS selector.
    public func elements(_ selector: String) async throws -> [String] {
        let answer = try await driver.call("POST", path + "/elements", ["using": "css selector", "value": selector])
        let list = answer["value"] as? [[String: Any]] ?? []
        return list.compactMap { $0.first(where: { $0.key.hasPrefix("element-") })?.value as? String }
    }

    /// Waits until an element matching the selector exists; its reference.
    public func waitForElement(_ selector: String, within limit: Duration = .seconds(15)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while true {
            if let found = try? await element(selector) { return found }
            guard ContinuousClock.now < deadline else { throw WebDriverError(description: "no element for \(selector) within \(limit)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Clicks an element.
    public func click(_ element: String) async throws { try await driver.call("POST", path + "/element/\(element)/click", [:]) }

    /// Types text into an element.
    public func type(_ text: String, into element: String) async throws {
        try await driver.call("POST", path + "/element/\(element)/value", ["text": text])
    }

    /// An element's visible text.
    public func text(of element: String) async throws -> String {
        try await driver.call("GET", path + "/element/\(element)/text")["value"] as? String ?? ""
    }

    /// Runs a script in the page and returns its result.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await driver.call("POST", path + "/execute/sync", ["script": script, "args": arguments])["value"]
    }

    /// Accepts the page's `confirm()` or `alert()` dialog, if one is open.
    public func acceptDialog() async throws { try await driver.call("POST", path + "/alert/accept", [:]) }

    /// The cookies the page can see, as name → attributes (`value`, `httpOnly`, `sameSite`, `secure`).
    public func cookies() async throws -> [String: [String: Any]] {
        let list = try await driver.call("GET", path + "/cookie")["value"] as? [[String: Any]] ?? []
        var cookies: [String: [String: Any]] = [:]
        for cookie in list { if let name = cookie["name"] as? String { cookies[name] = cookie } }
        return cookies
    }

    /// Saves a PNG of the window to a path and returns the path.
    @discardableResult
    public func screenshot(to file: String) async throws -> String {
        guard let encoded = try await driver.call("GET", path + "/screenshot")["value"] as? String, let data = Data(base64Encoded: encoded) else {
            throw WebDriverError(description: "no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Closes the window and its browser.
    public func close() async { _ = try? await driver.call("DELETE", path) }
}

/// Where tests keep artefacts such as screenshots: `$DETOUR_TEST_ARTIFACTS`, or `.build/test-artifacts` in the package.
public func testArtifactsFolder() -> String {
    if let folder = ProcessInfo.processInfo.environment["DETOUR_TEST_ARTIFACTS"], !folder.isEmpty { return folder }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return package.appendingPathComponent(".build/test-artifacts").path
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
public func freeLoopbackPort() throws -> UInt16 {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw WebDriverError(description: "socket() failed") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw WebDriverError(description: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}
