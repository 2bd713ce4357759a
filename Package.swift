// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "microblogd",
    products: [
        .executable(name: "microblogd", targets: ["microblogd"]),
        .library(name: "MicroblogCore", targets: ["MicroblogCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .target(
            name: "MicroblogCore",
            dependencies: ["CSQLite", "CCrypt"]
        ),
        .executableTarget(
            name: "microblogd",
            dependencies: ["MicroblogCore"]
        ),
        .testTarget(
            name: "MicroblogCoreTests",
            dependencies: ["MicroblogCore", "microblogd"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
