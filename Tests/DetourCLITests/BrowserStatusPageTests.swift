import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

/// The public status page in a real browser (Debian's Chromium, driven over WebDriver): it fits a
/// phone, shows the outage, and a hostile channel name stays text.
@Suite(.serialized)
final class BrowserStatusPageTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        let base = sandbox.baseURL
        try workspace.write("detour.json5", #"{ timezone: "Asia/Tokyo" }"#)
        try workspace.write(
            "channels/mall.json5",
            """
            {
              name: "テストモール店 <img src=x onerror=\\"window.__injected=1\\">", kind: "mall", url: "\(base)/store/mall/",
              probes: [{ name: "item page", url: "\(base)/store/mall/item" }],
              schedule: { every: "1m", confirmEvery: "10s", failAfter: 2, recoverAfter: 2 },
            }
            """)
        try workspace.write(
            "channels/own.json5", #"{ name: "自社サイト", kind: "own-site", url: "\#(base)/store/own/", probes: [{ name: "top", url: "\#(base)/store/own/" }] }"#)
    }

    deinit { sandbox.stop() }

    func detour(_ arguments: [String], at time: String) throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-11-27T\(time)+09:00"])
    }

    @Test(.enabled(if: ChromeDriver.binaries != nil, "needs chromium and chromium-driver (.ci/setup installs them)"))
    func statusPageFitsAPhoneShowsTheOutageAndRunsNoInjectedScript() async throws {
        sandbox.setMode(.down, for: "mall")
        for time in ["10:00:00", "10:00:10", "10:00:20"] { #expect(try detour(["tick"], at: time).status == 0) }
        let written = try detour(["statuspage", "--out", "public"], at: "10:00:30")
        #expect(written.status == 0, "\(written.output)")

        let driver = try await ChromeDriver()
        defer { driver.stop() }
        let browser = try await driver.session(width: 390, height: 844)
        try await browser.open("file://\(workspace.root)/public/index.html")
        let mall = try await browser.waitForElement("[data-component=\"mall\"]")
        #expect(try await browser.text(of: mall).contains("テストモール店"))
        #expect(try await browser.execute("return document.querySelector('[data-component=\"mall\"]').dataset.status") as? String == "major_outage")
        #expect(try await browser.execute("return document.querySelector('[data-component=\"own\"]').dataset.status") as? String == "operational")
        // The hostile name is shown as text, and its handler never ran.
        #expect(try await browser.execute("return window.__injected === undefined") as? Bool == true)
        #expect(try await browser.execute("return document.querySelectorAll('img').length") as? Int == 0)
        // A phone needs no sideways scrolling.
        let overflow = try await browser.execute("return document.documentElement.scrollWidth - window.innerWidth") as? Int
        #expect(overflow.map { $0 <= 0 } == true, "page is \(overflow ?? -1) px wider than a 390 px phone")
        let shot = try await browser.screenshot(to: testArtifactsFolder() + "/statuspage-phone.png")
        #expect(FileManager.default.fileExists(atPath: shot))
        await browser.close()
    }

    @Test(.enabled(if: ChromeDriver.binaries != nil, "needs chromium and chromium-driver (.ci/setup installs them)"))
    func theAllClearBannerIsReadable() async throws {
        #expect(try detour(["tick"], at: "10:00:00").status == 0)
        #expect(try detour(["statuspage", "--out", "public"], at: "10:00:30").status == 0)
        let driver = try await ChromeDriver()
        defer { driver.stop() }
        let browser = try await driver.session()
        try await browser.open("file://\(workspace.root)/public/index.html")
        _ = try await browser.waitForElement(".banner.none")
        // White, bold and full size on green: no other rule may grey it out.
        let style =
            try await browser.execute(
                "const s = getComputedStyle(document.querySelector('.banner.none')); return [s.color, s.fontSize, s.fontWeight].join(' ')") as? String
        #expect(style == "rgb(255, 255, 255) 16px 700", "\(style ?? "")")
        await browser.close()
    }
}
