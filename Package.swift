// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "microblogd",
    products: [
        .executable(name: "microblogd", targets: ["microblogd"]),
        .executable(name: "microblog-bench", targets: ["microblog-bench"]),
        .library(name: "MicroblogCore", targets: ["MicroblogCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(name: "CEpoll"),
        .systemLibrary(
            name: "CCrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "MicroblogCore",
            dependencies: ["CSQLite", "CCrypt", "CLibPQ"]
        ),
        .executableTarget(
            name: "microblogd",
            dependencies: ["MicroblogCore"]
        ),
        .executableTarget(
            name: "microblog-bench",
            dependencies: ["CEpoll"]
        ),
        .executableTarget(
            name: "microblog-fuzz",
            dependencies: ["MicroblogCore"]
        ),
        .testTarget(
            name: "MicroblogCoreTests",
            dependencies: ["MicroblogCore", "microblogd", "microblog-fuzz"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
