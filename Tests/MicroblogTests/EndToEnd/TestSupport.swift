import Dispatch
import Foundation
import MicroblogModel
import MicroblogServer
import MicroblogTestSupport
import Synchronization

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// A real server on 127.0.0.1, port 0, with its own database file.
final class TestServer {
    let directory: TemporaryDirectory
    let server: Server
    var port: UInt16 { server.port }
    var databasePath: String { directory.path + "/test.db" }

    /// `lineModeTelnet`: telnet clients are not offered character mode, for tests of line mode itself.
    init(
        directory: TemporaryDirectory? = nil, lineModeTelnet: Bool = false, log: Logger = .silent,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        self.directory = try directory ?? TemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.databasePath = self.directory.path + "/test.db"
        configuration.settings.characterModeOffer = !lineModeTelnet
        configure(&configuration)
        server = try Server(configuration: configuration, log: log)
        server.start()
    }

    private var stopped = false

    deinit { try? stop() }

    /// Shuts the server down gracefully and waits for it.
    func stop(timeout: Double = 10) throws {
        guard !stopped else { return }
        stopped = true
        let done = DispatchSemaphore(value: 0)
        server.shutdown { done.signal() }
        guard done.wait(timeout: .now() + timeout) == .success else { throw TestFailure("server did not stop") }
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// Waits until `condition` holds for the server's stats, polling until `timeout`.
    func waitFor(timeout: Double = 10, _ what: String, _ condition: (Server.Stats) -> Bool) throws {
        guard waitUntil(timeout: timeout, { condition(server.stats()) }) else {
            throw TestFailure("timed out waiting for \(what); stats: \(server.stats())")
        }
    }

    /// A client that has read the greeting.
    func greetedClient() throws -> TestClient {
        let client = try TestClient(port: port)
        try client.readUntil { $0.contains("new posts appear below") }
        return client
    }

    /// A client logged in as a new account, past the greeting. An administrator's account cannot be
    /// registered over the wire: it is made as the operator does (`account create`), then logged into.
    func registeredClient(_ name: String, password: String = "password1") throws -> TestClient {
        if server.configuration.settings.admins.contains(name) {
            try AccountTool.create(name: name, password: password, database: server.configuration.databasePath)
            let client = try greetedClient()
            client.send("/login \(name) \(password)")
            try client.readUntil { $0.hasPrefix("* welcome, \(name)! this is your first login") }
            return client
        }
        let client = try greetedClient()
        client.send("/register \(name) \(password)")
        try client.readUntil { $0.contains("you are registered and logged in") }
        return client
    }
}

/// Collects a server's log lines, for tests that read the log. Thread-safe: lines behind a mutex.
final class LogCapture: Sendable {
    private let captured = Mutex<[String]>([])

    func logger(_ minimum: Logger.Level = .info) -> Logger {
        Logger(minimum: minimum, sink: { [self] line in append(line) })
    }

    private func append(_ line: String) {
        captured.withLock { $0.append(line) }
    }

    var lines: [String] { captured.withLock { $0 } }

    /// Waits (polling, up to `timeout`) for a line that satisfies `predicate`, and returns it.
    @discardableResult
    func waitFor(timeout: Double = 10, _ what: String, _ predicate: (String) -> Bool) throws -> String {
        var found: String?
        guard
            waitUntil(
                timeout: timeout,
                {
                    found = lines.first(where: predicate)
                    return found != nil
                }), let found
        else {
            throw TestFailure("no log line for \(what); log:\n\(lines.suffix(20).joined(separator: "\n"))")
        }
        return found
    }
}

extension MicroblogdProcess {
    /// Every limit that would slow a test client down, lifted.
    static let unlimited = [
        "--post-rate", "0", "--command-rate", "0", "--register-rate", "0", "--max-connections-per-ip", "0",
        "--password-checks", "0", "--handshake-rate", "0",
    ]

    /// The `microblogd` built beside the tests.
    static var builtExecutable: String { Bundle.main.bundleURL.appendingPathComponent("microblogd").path }

    /// The `microblogd` built beside the tests, with `arguments` (including `--port 0`).
    convenience init(arguments: [String], launcher: [String] = [], logPath: String? = nil) throws {
        try self.init(executable: Self.builtExecutable, arguments: arguments, launcher: launcher, logPath: logPath)
    }

    /// The `microblogd` built beside the tests, on port 0 and `database`, with `arguments` (by default
    /// every limit that would slow a test client down lifted) and its log in `logPath`.
    convenience init(database: String, logPath: String, arguments: [String] = MicroblogdProcess.unlimited) throws {
        try self.init(arguments: ["--port", "0", "--db", database] + arguments, logPath: logPath)
    }
}

/// A loopback port nothing listens on just now (another process may take it before it is used).
func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw TestFailure("no free port") }
    return UInt16(bigEndian: address.sin_port)
}
