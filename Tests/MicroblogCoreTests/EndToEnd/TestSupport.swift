import Dispatch
import Foundation
import MicroblogCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A failure while talking to the server, with what was received so far.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, checking it every 5 ms for at most `timeout` seconds: the one way
/// tests wait for something that happens elsewhere (another thread, process or server). Returns
/// whether it held.
@discardableResult
func waitUntil(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { return false }
        usleep(5_000)
    }
    return true
}

/// A temporary directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "microblogd-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

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
            try client.readUntil { $0.contains("welcome back") }
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

/// A blocking socket client with deadlines on every read, for end-to-end tests.
final class TestClient {
    static let defaultTimeout: Double = 10
    let fd: Int32
    private var buffer: [UInt8] = []

    /// `receiveBuffer` shrinks the socket's receive buffer (set before connecting, so the window is
    /// small from the start): a client that does not read then fills up quickly.
    init(port: UInt16, host: String = "127.0.0.1", receiveBuffer: Int32? = nil) throws {
        // CLOEXEC: servers that tests start as processes must not inherit other tests' sockets.
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw TestFailure("connect to port \(port) failed: errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends `line` with `ending` (LF, as nc does, unless told otherwise).
    func send(_ line: String, ending: String = "\n") {
        sendBytes(Array((line + ending).utf8))
    }

    func sendBytes(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Closes our sending side; the server sees end of input.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes into the buffer; false on end of stream. Throws on timeout.
    @discardableResult
    private func fill(deadline: Double) throws -> Bool {
        let remaining = deadline - Date().timeIntervalSince1970
        guard remaining > 0 else {
            throw TestFailure("timed out; unread: \(String(decoding: buffer, as: UTF8.self).debugDescription)")
        }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pollFD, 1, Int32(remaining * 1000) + 1)
        if ready == 0 {
            throw TestFailure("timed out; unread: \(String(decoding: buffer, as: UTF8.self).debugDescription)")
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer += chunk[0..<count]
        return true
    }

    /// The next line's bytes, without CR LF (or LF).
    func readLineBytes(timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Date().timeIntervalSince1970 + timeout
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 13 { line.removeLast() }
                return line
            }
            guard try fill(deadline: deadline) else {
                throw TestFailure(
                    "connection closed; unread: \(String(decoding: buffer, as: UTF8.self).debugDescription)")
            }
        }
    }

    func readLine(timeout: Double = defaultTimeout) throws -> String {
        String(decoding: try readLineBytes(timeout: timeout), as: UTF8.self)
    }

    /// Reads lines until one satisfies `predicate`; returns every line read, the match last.
    @discardableResult
    func readUntil(timeout: Double = defaultTimeout, _ predicate: (String) -> Bool) throws -> [String] {
        let deadline = Date().timeIntervalSince1970 + timeout
        var lines: [String] = []
        while true {
            let line = try readLine(timeout: max(0.001, deadline - Date().timeIntervalSince1970))
            lines.append(line)
            if predicate(line) { return lines }
        }
    }

    /// Reads bytes until the buffer holds `needle`; returns everything up to and including it.
    @discardableResult
    func readUntilBytes(_ needle: [UInt8], timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Date().timeIntervalSince1970 + timeout
        while true {
            if let range = buffer.firstRange(of: needle) {
                let taken = Array(buffer[..<range.upperBound])
                buffer.removeFirst(range.upperBound)
                return taken
            }
            guard try fill(deadline: deadline) else { throw TestFailure("connection closed before \(needle)") }
        }
    }

    /// The next line parsed as a JSON object.
    func readJSON(timeout: Double = defaultTimeout) throws -> [String: Any] {
        let line = try readLineBytes(timeout: timeout)
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
        return object
    }

    /// Reads JSON objects until one satisfies `predicate`; returns all of them, the match last.
    @discardableResult
    func readJSONUntil(timeout: Double = defaultTimeout, _ predicate: ([String: Any]) -> Bool) throws -> [[String: Any]]
    {
        let deadline = Date().timeIntervalSince1970 + timeout
        var objects: [[String: Any]] = []
        while true {
            let object = try readJSON(timeout: max(0.001, deadline - Date().timeIntervalSince1970))
            objects.append(object)
            if predicate(object) { return objects }
        }
    }

    /// Waits until the server closes the connection; returns the bytes received before.
    func readBytesUntilClosed(timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Date().timeIntervalSince1970 + timeout
        while try fill(deadline: deadline) {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Waits until the server closes the connection; returns the lines received before.
    func readUntilClosed(timeout: Double = defaultTimeout) throws -> [String] {
        let bytes = try readBytesUntilClosed(timeout: timeout)
        // Split bytes, not Characters: Swift treats CR LF as one Character.
        return bytes.split(separator: 10).map { line in
            String(decoding: line.last == 13 ? line.dropLast() : line[...], as: UTF8.self)
        }
    }

    /// Sends `line` (text mode) and returns the line that ends its reply (`* ...` or `! ...`), skipping
    /// what comes before it (items, live posts).
    @discardableResult
    func run(_ line: String) throws -> String {
        send(line)
        return try readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last ?? ""
    }

    /// Switches to JSON mode and skips everything up to the mode's `ok`.
    func switchToJSON() throws {
        send("/mode json")
        try readUntil { $0.hasPrefix("{\"type\":\"ok\",\"command\":\"mode\"") }
    }
}
