// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Detour",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "detour", targets: ["detour"]),
        .library(name: "DetourCore", targets: ["DetourCore"]),
        .library(name: "DetourSandbox", targets: ["DetourSandbox"]),
        .library(name: "DetourServer", targets: ["DetourServer"]),
        .library(name: "DetourConsole", targets: ["DetourConsole"]),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "DetourCore", dependencies: ["CCurl"]),
        .target(name: "DetourServer"),
        .target(name: "DetourSandbox", dependencies: ["DetourServer"]),
        .target(name: "DetourConsole", dependencies: ["DetourCore", "DetourServer"]),
        .target(name: "DetourCLI", dependencies: ["DetourCore", "DetourSandbox", "DetourConsole", "DetourServer"]),
        .executableTarget(name: "detour", dependencies: ["DetourCLI"]),
        .target(
            name: "DetourTestSupport",
            dependencies: ["DetourCore", "DetourSandbox"],
            path: "Tests/DetourTestSupport"
        ),
        .testTarget(
            name: "DetourCoreTests",
            dependencies: ["DetourCore", "DetourSandbox", "DetourTestSupport"]
        ),
        .testTarget(
            name: "DetourServerTests",
            dependencies: ["DetourServer", "DetourCore", "DetourTestSupport"]
        ),
        .testTarget(
            name: "DetourCLITests",
            dependencies: ["DetourCLI", "DetourCore", "DetourSandbox", "DetourTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
