import DetourSandbox
import DetourTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where `report --html`, `--metrics-file` and `statuspage --out` write: into what the operator names, never replacing it.
@Suite(.serialized)
final class OutputPathTests {
    let sandbox = SandboxServer()
    let workspace: TemporaryWorkspace

    init() throws {
        try sandbox.start()
        workspace = try TemporaryWorkspace()
        try workspace.write(
            "channels/mall.json5",
            """
            { name: "モール", kind: "mall", url: "\(sandbox.baseURL)/store/mall/",
              probes: [{ name: "item", url: "\(sandbox.baseURL)/store/mall/item" }] }
            """)
    }

    deinit { sandbox.stop() }

    func detour(_ arguments: String...) throws -> CommandResult {
        try DetourBinary.run(arguments, in: workspace.root, environment: ["DETOUR_NOW": "2026-12-02T01:00:00+09:00"])
    }

    func fileType(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    @Test func aFullDeviceIsReportedAsNoSpaceAndStaysADevice() throws {
        let report = try detour("report", "--html", "/dev/full")
        #expect(report.status == 1)
        #expect(report.stderr == "error: cannot write /dev/full: no space left on the device; free some space or write elsewhere\n")
        #expect(!report.stderr.contains("wrote"))
        #expect(fileType("/dev/full") == S_IFCHR)

        let tick = try detour("tick", "--metrics-file", "/dev/full")
        #expect(tick.status == 1, "\(tick.output)")
        #expect(tick.stderr.contains("error: cannot write the metrics file /dev/full: no space left on the device"), "\(tick.stderr)")
        #expect(fileType("/dev/full") == S_IFCHR)
    }

    @Test func aCharacterDeviceIsWrittenInPlace() throws {
        let report = try detour("report", "--html", "/dev/null")
        #expect(report.status == 0, "\(report.output)")
        #expect(fileType("/dev/null") == S_IFCHR)
    }

    @Test func aDirectoryIsNamedAsOne() throws {
        try FileManager.default.createDirectory(atPath: workspace.root + "/out", withIntermediateDirectories: true)
        let report = try detour("report", "--html", "out")
        #expect(report.status == 1)
        #expect(report.stderr.contains("cannot write \(workspace.root)/out: it is a directory; give a file name"), "\(report.stderr)")
        #expect(!report.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func aSymbolicLinkStaysALinkAndItsTargetIsReplaced() throws {
        try workspace.write("real.html", "old")
        #expect(symlink(workspace.root + "/real.html", workspace.root + "/link.html") == 0)
        let report = try detour("report", "--html", "link.html")
        #expect(report.status == 0, "\(report.output)")
        #expect(fileType(workspace.root + "/link.html") == S_IFLNK)
        #expect(try String(contentsOfFile: workspace.root + "/real.html", encoding: .utf8).contains("<html"))
    }

    @Test func aStatusPageFolderThatIsAFileIsRefused() throws {
        try workspace.write("page", "not a folder")
        let result = try detour("statuspage", "--out", "page")
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "error: cannot write the status page to \(workspace.root)/page: it is not a folder; give a folder for index.html and status.json\n")
        #expect(try String(contentsOfFile: workspace.root + "/page", encoding: .utf8) == "not a folder")
    }

    @Test func aLinkPlantedAtTheLockNeverHasItsTargetTruncated() throws {
        try workspace.write("precious.txt", "precious\n")
        try FileManager.default.createDirectory(atPath: workspace.root + "/.detour", withIntermediateDirectories: true)
        #expect(symlink(workspace.root + "/precious.txt", workspace.root + "/.detour/lock") == 0)
        let tick = try detour("tick")
        #expect(tick.status == 1)
        #expect(tick.stderr.contains("\(workspace.root)/.detour/lock is a symbolic link; detour never follows links in the state folder; remove the link"))
        #expect(try String(contentsOfFile: workspace.root + "/precious.txt", encoding: .utf8) == "precious\n")
    }
}
