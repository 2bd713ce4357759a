// swift-tools-version:6.0
import PackageDescription

/// The layers are modules of one program. In release builds the optimizer inlines across them, as it did
/// when they were one module: a live post's path to each watcher crosses Fanout, Domain and Transport, and
/// without this the burst figure fell by a third (docs/performance.md). What other layers use is `public`
/// for the same reason: package CMO would need library evolution.
let layerSettings: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))
]

let package = Package(
    name: "microblogd",
    products: [
        .executable(name: "microblogd", targets: ["microblogd"]),
        .executable(name: "microblog-bench", targets: ["microblog-bench"]),
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
        .systemLibrary(
            name: "CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .systemLibrary(
            name: "CLibURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Values and rules every layer shares: no I/O, and no other module of ours.
        .target(name: "MicroblogModel", swiftSettings: layerSettings),
        // Logging, clocks, the fair thread pool, owner-queue callbacks: no knowledge of the product.
        .target(name: "MicroblogSupport", dependencies: ["MicroblogModel", "COpenSSL"], swiftSettings: layerSettings),
        // The wire protocol: telnet, line decoding and editing, commands, renderers. Pure: no sockets.
        .target(
            name: "MicroblogProtocol", dependencies: ["MicroblogModel", "MicroblogSupport"],
            swiftSettings: layerSettings),
        // The web door's text: pages (HTML), Atom feeds, live events (SSE), twtxt, metrics. Pure: no sockets.
        .target(name: "MicroblogWeb", dependencies: ["MicroblogModel"], swiftSettings: layerSettings),
        // The store: the narrow interface the domain uses, the SQL written once over either engine, the
        // storage queue. It knows neither engine's C library.
        .target(
            name: "MicroblogStorage", dependencies: ["MicroblogModel", "MicroblogSupport"], swiftSettings: layerSettings
        ),
        // Sockets: the listener, connections with their buffers and back-pressure, TLS, io_uring sends.
        .target(
            name: "MicroblogTransport",
            dependencies: ["MicroblogModel", "MicroblogSupport", "COpenSSL", "CLibURing"], swiftSettings: layerSettings),
        // The SSH door's connections and channels, through libssh.
        .target(
            name: "MicroblogSSH",
            dependencies: ["MicroblogModel", "MicroblogSupport", "MicroblogTransport", "CLibSSH"],
            swiftSettings: layerSettings),
        // HTTP through libmicrohttpd on a Dispatch queue: requests in, responses and event streams out.
        .target(
            name: "MicroblogHTTP", dependencies: ["MicroblogSupport", "CMicroHTTPD"], swiftSettings: layerSettings),
        // The hub of live subscribers: each event rendered once per mode, sent to everyone watching.
        .target(
            name: "MicroblogFanout", dependencies: ["MicroblogModel", "MicroblogSupport", "MicroblogProtocol"],
            swiftSettings: layerSettings),
        // Accounts, posts, timelines, the social layer and community tools: sessions and the commands
        // they run, over the store and the hub. It knows no socket and no engine.
        .target(
            name: "MicroblogDomain",
            dependencies: [
                "MicroblogModel", "MicroblogSupport", "MicroblogProtocol", "MicroblogStorage", "MicroblogFanout",
                "CCrypt",
            ], swiftSettings: layerSettings),
        // The embedded engine (SQLite) and the shared one (PostgreSQL), each with only its own C module.
        .target(
            name: "MicroblogSQLite",
            dependencies: ["MicroblogModel", "MicroblogSupport", "MicroblogStorage", "CSQLite"],
            swiftSettings: layerSettings),
        .target(
            name: "MicroblogPostgres",
            dependencies: ["MicroblogModel", "MicroblogSupport", "MicroblogStorage", "CLibPQ"],
            swiftSettings: layerSettings),
        // The server: wires the layers (the doors, the domain, the store, the hub), the options, the
        // operator's subcommands.
        .target(
            name: "MicroblogServer",
            dependencies: [
                "MicroblogModel", "MicroblogSupport", "MicroblogProtocol", "MicroblogStorage", "MicroblogSQLite",
                "MicroblogPostgres", "MicroblogTransport", "MicroblogSSH", "MicroblogFanout", "MicroblogDomain",
                "MicroblogHTTP", "MicroblogWeb", "CLibSSH",
            ], swiftSettings: layerSettings),
        // Parses the options and starts the server: nothing else lives there.
        .executableTarget(
            name: "microblogd",
            dependencies: ["MicroblogSupport", "MicroblogStorage", "MicroblogServer"], swiftSettings: layerSettings),
        // What the end-to-end tests and the benchmark share: the blocking socket client, the microblogd
        // process wrapper, SplitMix64. Foundation and Glibc only, so the benchmark stays a pure client.
        .target(name: "MicroblogTestSupport"),
        .executableTarget(
            name: "microblog-bench",
            dependencies: ["CEpoll", "COpenSSL", "CLibSSH", "MicroblogTestSupport"]
        ),
        .executableTarget(
            name: "microblog-fuzz",
            dependencies: ["MicroblogModel", "MicroblogProtocol"]
        ),
        .testTarget(
            name: "MicroblogTests",
            dependencies: [
                "MicroblogModel", "MicroblogSupport", "MicroblogProtocol", "MicroblogStorage", "MicroblogSQLite",
                "MicroblogPostgres", "MicroblogTransport", "MicroblogSSH", "MicroblogFanout", "MicroblogDomain",
                "MicroblogServer", "MicroblogHTTP", "MicroblogWeb",
                "MicroblogTestSupport", "microblogd", "microblog-fuzz",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
