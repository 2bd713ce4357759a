import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The name the end-to-end tests use for the blocking client.
public typealias TestClient = BlockingClient

/// A blocking IPv4 socket client with a deadline on every read, for end-to-end tests and the benchmark.
/// Deadlines are seconds since 1970 (`Date().timeIntervalSince1970`), timeouts seconds from now.
/// Not `Sendable`: used by one thread at a time; code that hands one to another thread says so at the
/// hand-over (`nonisolated(unsafe) let`).
public final class BlockingClient {
    public static let defaultTimeout: Double = 10
    public let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    /// `receiveBuffer` shrinks the socket's receive buffer (set before connecting, so the window is
    /// small from the start): a client that does not read then fills up quickly. `source`: the local
    /// address to connect from (see `connect`).
    public init(port: UInt16, host: String = "127.0.0.1", receiveBuffer: Int32? = nil, source: String? = nil) throws {
        fd = try Self.connect(host: host, port: port, receiveBuffer: receiveBuffer, source: source)
    }

    /// A client on a socket already connected, e.g. one end of a socket pair whose other end is a
    /// client program's standard input and output. The client owns it from here on.
    public init(connected fd: Int32) {
        self.fd = fd
    }

    /// A connected IPv4 TCP socket, or an error saying which call failed. Close-on-exec: servers that
    /// tests start as processes must not inherit other tests' sockets. `source`: the local address to
    /// connect from (e.g. 127.0.0.7, so that many connections to one port do not run out of local
    /// ports); its port is still the kernel's pick, made at connect time (`IP_BIND_ADDRESS_NO_PORT`).
    /// `timeout`: seconds the connect may take (Linux bounds a blocking connect by `SO_SNDTIMEO`, cleared
    /// again once connected); nil waits as long as the kernel retries, about two minutes without an answer.
    public static func connect(
        host: String, port: UInt16, receiveBuffer: Int32? = nil, source: String? = nil, timeout: Double? = nil
    ) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IP), ipBindAddressNoPort, &one, socklen_t(MemoryLayout<Int32>.size))
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, source, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(fd)
                throw TestFailure("bind to \(source) failed: errno \(code)")
            }
        }
        func setSendTimeout(_ seconds: Double) {
            var limit = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        if let timeout { setSendTimeout(timeout) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestFailure("connect to \(host):\(port) failed: errno \(code)")
        }
        if timeout != nil { setSendTimeout(0) }
        return fd
    }

    /// <linux/in.h>'s IP_BIND_ADDRESS_NO_PORT, which Glibc does not export.
    private static let ipBindAddressNoPort: Int32 = 24

    deinit { close() }

    /// Closes the socket (once; later calls do nothing).
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Closes with a TCP reset instead of a FIN.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Closes our sending side; the server sees end of input.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Sends `line` with `ending` (LF, as nc does, unless told otherwise); false if the peer is gone.
    @discardableResult
    public func send(_ line: String, ending: String = "\n") -> Bool {
        sendBytes(Array((line + ending).utf8))
    }

    /// Sends every byte, blocking while the socket is full; false if the peer is gone.
    @discardableResult
    public func sendBytes(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    private var unread: String { String(decoding: buffer, as: UTF8.self).debugDescription }

    private static func deadline(after timeout: Double) -> Double { Date().timeIntervalSince1970 + timeout }

    /// Reads more bytes into the buffer; false on end of stream. Throws at the deadline.
    private func fill(deadline: Double) throws -> Bool {
        let remaining = deadline - Date().timeIntervalSince1970
        guard remaining > 0 else { throw TestFailure("timed out; unread: \(unread)") }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pollFD, 1, Int32(remaining * 1000) + 1) == 0 { throw TestFailure("timed out; unread: \(unread)") }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer += chunk[0..<count]
        return true
    }

    /// The next line's bytes, without CR LF (or LF).
    public func readLineBytes(deadline: Double) throws -> [UInt8] {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 13 { line.removeLast() }
                return line
            }
            guard try fill(deadline: deadline) else { throw TestFailure("connection closed; unread: \(unread)") }
        }
    }

    public func readLineBytes(timeout: Double = defaultTimeout) throws -> [UInt8] {
        try readLineBytes(deadline: Self.deadline(after: timeout))
    }

    public func readLine(deadline: Double) throws -> String {
        String(decoding: try readLineBytes(deadline: deadline), as: UTF8.self)
    }

    public func readLine(timeout: Double = defaultTimeout) throws -> String {
        try readLine(deadline: Self.deadline(after: timeout))
    }

    /// Reads lines until one satisfies `predicate`; returns every line read, the match last.
    @discardableResult
    public func readUntil(deadline: Double, _ predicate: (String) -> Bool) throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try readLine(deadline: deadline)
            lines.append(line)
            if predicate(line) { return lines }
        }
    }

    @discardableResult
    public func readUntil(timeout: Double = defaultTimeout, _ predicate: (String) -> Bool) throws -> [String] {
        try readUntil(deadline: Self.deadline(after: timeout), predicate)
    }

    /// Reads bytes until the buffer holds `needle`; returns everything up to and including it.
    @discardableResult
    public func readUntilBytes(_ needle: [UInt8], timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Self.deadline(after: timeout)
        while true {
            if let range = buffer.firstRange(of: needle) {
                let taken = Array(buffer[..<range.upperBound])
                buffer.removeFirst(range.upperBound)
                return taken
            }
            guard try fill(deadline: deadline) else { throw TestFailure("connection closed before \(needle)") }
        }
    }

    /// Reads exactly `count` bytes (an HTTP body of known length).
    public func readBytes(count: Int, timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Self.deadline(after: timeout)
        while buffer.count < count {
            guard try fill(deadline: deadline) else {
                throw TestFailure("connection closed after \(buffer.count) of \(count) bytes")
            }
        }
        let taken = Array(buffer[..<count])
        buffer.removeFirst(count)
        return taken
    }

    /// The next line parsed as a JSON object.
    public func readJSON(timeout: Double = defaultTimeout) throws -> [String: Any] {
        try readJSON(deadline: Self.deadline(after: timeout))
    }

    private func readJSON(deadline: Double) throws -> [String: Any] {
        let line = try readLineBytes(deadline: deadline)
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
        }
        return object
    }

    /// Reads JSON objects until one satisfies `predicate`; returns all of them, the match last.
    @discardableResult
    public func readJSONUntil(
        timeout: Double = defaultTimeout, _ predicate: ([String: Any]) -> Bool
    ) throws -> [[String: Any]] {
        let deadline = Self.deadline(after: timeout)
        var objects: [[String: Any]] = []
        while true {
            let object = try readJSON(deadline: deadline)
            objects.append(object)
            if predicate(object) { return objects }
        }
    }

    /// Waits until the server closes the connection; returns the bytes received before.
    public func readBytesUntilClosed(timeout: Double = defaultTimeout) throws -> [UInt8] {
        let deadline = Self.deadline(after: timeout)
        while try fill(deadline: deadline) {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Waits until the server closes the connection; returns the lines received before.
    public func readUntilClosed(timeout: Double = defaultTimeout) throws -> [String] {
        let bytes = try readBytesUntilClosed(timeout: timeout)
        // Split bytes, not Characters: Swift treats CR LF as one Character.
        return bytes.split(separator: 10).map { line in
            String(decoding: line.last == 13 ? line.dropLast() : line[...], as: UTF8.self)
        }
    }

    /// Sends `line` (text mode) and returns the line that ends its reply (`* ...` or `! ...`), skipping
    /// what comes before it (items, live posts). An error is read whole (see `readWrapped`).
    @discardableResult
    public func run(_ line: String) throws -> String {
        send(line)
        let last = try readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last ?? ""
        return last.hasPrefix("! ") ? try readWrapped(error: last) : last
    }

    /// An error line that text mode wrapped at words to the terminal's width (80 columns for a client
    /// that never said its own), joined again: its continuation lines, up to the one that ends with the
    /// error's `(code)`, each added after a blank without its indentation.
    public func readWrapped(error first: String, timeout: Double = defaultTimeout) throws -> String {
        let deadline = Date().timeIntervalSince1970 + timeout
        var line = first
        while !line.contains(/\ \([a-z0-9_]+\)$/) {
            line += " " + String(try readLine(deadline: deadline).drop { $0 == " " })
        }
        return line
    }

    /// Reads lines until one, joined with the rows that continue it, satisfies `predicate`, and returns
    /// it joined (see `joined`); rows left of a line that satisfied it early stay unread.
    public func readJoined(timeout: Double = defaultTimeout, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().timeIntervalSince1970 + timeout
        var current = try readLine(deadline: deadline)
        while !predicate(current) {
            current = Self.joined([current, try readLine(deadline: deadline)]).last ?? ""
        }
        return current
    }

    /// `rows` as the lines they were before text mode wrapped them at words to the terminal's width: a
    /// row indented deeper than the line it follows continues it, and is added after a blank without its
    /// indentation. (A list's items under a heading would be joined too: use it where none are.)
    public static func joined(_ rows: [String]) -> [String] {
        var lines: [String] = []
        var lead = 0
        for row in rows {
            let indent = row.prefix { $0 == " " }.count
            if let last = lines.last, !last.isEmpty, indent > lead {
                lines[lines.count - 1] = last + " " + row.dropFirst(indent)
            } else {
                lines.append(row)
                lead = indent
            }
        }
        return lines
    }

    /// Switches to JSON mode and skips everything up to the mode's `ok`.
    public func switchToJSON() throws {
        send("/mode json")
        try readUntil { $0.hasPrefix("{\"type\":\"ok\",\"command\":\"mode\"") }
    }
}
