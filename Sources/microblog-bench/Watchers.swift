import CEpoll
import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Many watching connections read by one thread with epoll: each line that carries a send time
/// (`t=NANOSECONDS` in a post's text) becomes one delivery with its latency. Connections are opened
/// with plain blocking connects, then made non-blocking; behind the TLS door each then gets a TLS
/// session (`tls`), read on the same thread. Behind the SSH door libssh makes the connection and the
/// session with blocking calls up to the greeting (`ssh`), then its socket is read here like the others.
/// Behind the web door each connection asks for the live stream (`GET /events`) and its response is
/// unframed as it is read (`web`): the stream's `data:` line holds the post's text, and so its send time.
///
/// Confined to the thread that made it (the scenario's), which opens, polls and closes the watchers.
final class Watchers {
    private(set) var fds: [Int32] = []
    private let epoll: Int32
    /// The watchers' TLS sessions when they come in by the TLS door; nil on the plain door.
    let tls: TLSWatcherSessions?
    /// The watchers' SSH sessions when they come in by the SSH door; nil on the other doors.
    let ssh: SSHWatcherSessions?
    /// The watchers' HTTP responses when they watch the web door's live stream; nil on the other doors.
    let web: WebWatcherStreams?
    /// Connections the server closed (or whose TLS failed), taken off epoll; each one's first reason.
    private(set) var closed = 0
    private(set) var closeReasons: [String] = []
    /// Unfinished lines by descriptor (descriptors are small numbers), in boxes so they grow in place.
    private var buffers: [LineBuffer?] = []

    final class LineBuffer {
        var bytes: [UInt8] = []
    }
    /// Latencies in microseconds of every delivery seen, and how many deliveries.
    private(set) var latencies: [Int] = []
    private(set) var deliveries = 0

    private var chunk = [UInt8](repeating: 0, count: 65536)
    /// Reads of one TLS session per poll at most, so one busy watcher cannot hold up the others.
    private static let tlsReadsPerWakeup = 64
    /// TLS sessions for which OpenSSL holds bytes already read from the socket (see `readTLS`).
    private var tlsHoldingBytes: Set<Int32> = []
    /// Channel reads of one SSH session per poll at most, for the same reason.
    private static let sshReadsPerWakeup = 64
    /// Threads setting up SSH sessions at once.
    private static let sshSetupThreads = 16
    /// SSH sessions for which libssh holds channel bytes already read from the socket (see `readSSH`).
    private var sshHoldingBytes: Set<Int32> = []
    /// The sessions' holding sets, which make `poll` look again without waiting.
    private var holdingBytes: Set<Int32> { tlsHoldingBytes.union(sshHoldingBytes) }

    /// The server the watchers subscribe to (what they send once connected, and which line says they are
    /// subscribed).
    let kind: ServerKind
    /// Loopback source addresses the plain, TLS and web connections rotate over (127.0.0.1 to 127.0.0.250),
    /// so that tens of thousands of connections to one port do not run out of local ports.
    private static let loopbackSources = 250

    /// microblogd's plain door only: each watcher switches to JSON mode (`/mode json`) and counts as in
    /// once its answer comes, as a bot that watches would.
    let jsonMode: Bool

    init(door: Door = .plain, kind: ServerKind = .microblogd, jsonMode: Bool = false) throws {
        self.kind = kind
        self.jsonMode = jsonMode && kind == .microblogd && door == .plain
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        switch door {
        case .plain: (tls, ssh, web) = (nil, nil, nil)
        case .tls: (tls, ssh, web) = (try TLSWatcherSessions(), nil, nil)
        case .ssh: (tls, ssh, web) = (nil, SSHWatcherSessions(), nil)
        case .web: (tls, ssh, web) = (nil, nil, WebWatcherStreams())
        }
    }

    deinit {
        // libssh closes its own sockets when `ssh` frees the sessions.
        for fd in fds where !(ssh?.owns(fd: fd) ?? false) { close(fd) }
        close(epoll)
    }

    /// Opens `count` connections and waits (up to `timeout`) until each has read its greeting (behind
    /// TLS the greeting comes after the handshake, so every handshake has then completed; on the web door
    /// the greeting is the stream's `retry:` line). `oneAtATime`:
    /// each connection is greeted before the next is opened, so the server never has more than one
    /// handshake in flight; otherwise they are opened as fast as the server accepts them.
    func open(count: Int, host: String, port: UInt16, timeout: Double, oneAtATime: Bool = false) throws {
        let deadline = Date().timeIntervalSince1970 + timeout
        var opened = Set<Int32>()
        var greeted = Set<Int32>()
        let kind = kind
        let watchesWeb = web != nil
        let jsonMode = jsonMode
        let onLine: (Int32, String) -> Void = { fd, line in
            let subscribed =
                watchesWeb
                ? WebWatcherStreams.isOpen(line)
                : jsonMode ? line.contains(#""command":"mode""#) : kind.isSubscribed(line)
            if subscribed && opened.contains(fd) { greeted.insert(fd) }
        }
        let setupStarted = Date().timeIntervalSince1970
        // SSH sessions are set up (blocking, up to the greeting) before the loop, on setup threads unless
        // one at a time is asked for; the loop then only adds their sockets.
        var sshOpened: [(fd: Int32, rest: [UInt8])] = []
        var sshFailure: Error?
        if let ssh {
            (sshOpened, sshFailure) = ssh.open(
                count: count, host: host, port: port, threads: oneAtATime ? 1 : Self.sshSetupThreads)
        }
        for index in 0..<(ssh == nil ? count : sshOpened.count) {
            let fd: Int32
            var early: [UInt8] = []
            if ssh != nil {
                (fd, early) = sshOpened[index]
                greeted.insert(fd)
                // libssh may already hold channel bytes read with the greeting: look once without waiting.
                sshHoldingBytes.insert(fd)
            } else {
                fd = try connectPlain(host: host, port: port, index: index)
                if kind.subscribedOnConnect { greeted.insert(fd) }
            }
            watch(fd, early: early)
            opened.insert(fd)
            if let tls {
                try tls.attach(fd: fd)
                // Handshakes progress while the rest connect: the server closes one not finished within
                // its handshake timeout.
                poll(timeoutMilliseconds: 0, onLine: onLine)
            }
            while oneAtATime && !greeted.contains(fd) && closed == 0 && Date().timeIntervalSince1970 < deadline {
                poll(timeoutMilliseconds: 10, onLine: onLine)
            }
            if index > 0 && index % 1000 == 0 { Progress.say("  \(index) connections open") }
        }
        if let sshFailure { throw sshFailure }
        // Each greeting ends with the line about new posts; wait for all of them.
        while greeted.count < opened.count {
            guard Date().timeIntervalSince1970 < deadline, closed == 0 else {
                throw BenchError(
                    "only \(greeted.count) of \(opened.count) connections were greeted"
                        + (closed > 0 ? "; \(closed) closed, e.g. \(closeReasons.first ?? "")" : ""))
            }
            poll(timeoutMilliseconds: 100, onLine: onLine)
        }
        reportSetUp(opened, since: setupStarted)
    }

    /// One plain connection, from the next loopback source address in turn, its subscription request
    /// (or on the web door its `GET /events`) sent; then non-blocking.
    private func connectPlain(host: String, port: UInt16, index: Int) throws -> Int32 {
        let source = host.hasPrefix("127.") ? "127.0.0.\(1 + fds.count % Self.loopbackSources)" : nil
        let fd: Int32
        do { fd = try BlockingClient.connect(host: host, port: port, source: source) } catch {
            throw BenchError("\(error) after \(index) connections")
        }
        let request =
            web != nil
            ? WebWatcherStreams.request(host: host, port: port)
            : jsonMode ? Array("/mode json\r\n".utf8) : kind.subscribeRequest
        web?.attach(fd: fd)
        if !request.isEmpty {
            // Blocking still, and the socket is new and empty: the request goes out whole.
            _ = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    /// Adds `fd` to epoll with a line buffer that starts with `early` (bytes read before it came here).
    private func watch(_ fd: Int32, early: [UInt8]) {
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: fd))
        epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        fds.append(fd)
        while buffers.count <= Int(fd) { buffers.append(nil) }
        buffers[Int(fd)] = LineBuffer()
        buffers[Int(fd)]?.bytes = early
    }

    /// Says how the TLS handshakes or SSH set-ups of the connections `opened` went.
    private func reportSetUp(_ opened: Set<Int32>, since setupStarted: Double) {
        if let tls, let first = opened.first, !opened.contains(where: { !tls.isEstablished(fd: $0) }) {
            Progress.say("  \(opened.count) TLS handshakes complete (\(tls.describe(fd: first)))")
        }
        if let ssh, let first = opened.first {
            Progress.say(
                "  \(opened.count) SSH sessions set up in "
                    + String(format: "%.1f s", Date().timeIntervalSince1970 - setupStarted)
                    + " (\(ssh.describe(fd: first)))")
        }
    }

    /// Ends the sending side of every connection and waits (at most `timeout` seconds) until the server
    /// has closed each in turn, so what it frees on a close is freed; whether it did.
    @discardableResult
    func closeAndAwaitServer(timeout: Double) -> Bool {
        // libssh's sockets too: it still owns and closes them, but the server sees the end of input.
        for fd in fds { shutdown(fd, Int32(SHUT_WR)) }
        let deadline = Date().timeIntervalSince1970 + timeout
        while closed < fds.count && Date().timeIntervalSince1970 < deadline {
            poll(timeoutMilliseconds: 10)
        }
        return closed >= fds.count
    }

    /// Drops the deliveries counted so far (those in the greetings), so only what follows counts.
    func forgetDeliveries() {
        deliveries = 0
        latencies.removeAll()
    }

    /// Reads whatever is ready (waiting at most `timeoutMilliseconds`), recording deliveries.
    @discardableResult
    func poll(timeoutMilliseconds: Int32) -> Int {
        poll(timeoutMilliseconds: timeoutMilliseconds, onLine: nil)
    }

    @discardableResult
    private func poll(timeoutMilliseconds: Int32, onLine: ((Int32, String) -> Void)?) -> Int {
        if let tls, !tls.wantingWrite.isEmpty {
            for (fd, reason) in tls.retryWrites() { drop(fd, reason: reason) }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        // Sessions whose read-ahead bytes OpenSSL still holds are served now, without waiting: epoll
        // does not report those bytes again.
        let holding = holdingBytes
        let ready = epoll_wait(epoll, &events, Int32(events.count), holding.isEmpty ? timeoutMilliseconds : 0)
        var fds = (0..<max(0, Int(ready))).map { events[$0].data.fd }
        if !holding.isEmpty { fds += holding.subtracting(fds) }
        guard !fds.isEmpty else { return 0 }
        let now = Self.nowNanoseconds()
        for fd in fds {
            guard Int(fd) < buffers.count, let buffer = buffers[Int(fd)] else { continue }
            if let tls {
                readTLS(fd, tls: tls, into: buffer, now: now, onLine: onLine)
                continue
            }
            if let ssh {
                readSSH(fd, ssh: ssh, into: buffer, now: now, onLine: onLine)
                continue
            }
            if let web {
                // One read per ready socket, as below; the response's framing is taken off in place.
                switch chunk.withUnsafeMutableBytes({ web.read(fd: fd, into: $0) }) {
                case .bytes(let count): take(count, into: buffer, fd: fd, now: now, onLine: onLine)
                case .nothing: break
                case .closed(let reason): drop(fd, reason: reason)
                }
                continue
            }
            // One read per ready socket: epoll is level-triggered, so anything left is reported again,
            // and a second read that finds nothing would double the generator's system calls.
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { drop(fd, reason: "closed by the server") }
            guard count > 0 else { continue }
            take(count, into: buffer, fd: fd, now: now, onLine: onLine)
        }
        return fds.count
    }

    /// Reads `fd`'s TLS session: one record per read, up to `tlsReadsPerWakeup` while OpenSSL holds more
    /// (it reads ahead, so one read from the socket may bring many small records); a session still
    /// holding bytes after that is remembered in `tlsHoldingBytes` for the next poll.
    private func readTLS(
        _ fd: Int32, tls: TLSWatcherSessions, into buffer: LineBuffer, now: Int, onLine: ((Int32, String) -> Void)?
    ) {
        var reads = 0
        repeat {
            let read = chunk.withUnsafeMutableBytes { tls.read(fd: fd, into: $0) }
            switch read {
            case .bytes(let count): take(count, into: buffer, fd: fd, now: now, onLine: onLine)
            case .nothing: break
            case .closed(let reason): drop(fd, reason: reason)
            }
            guard case .bytes = read else { break }
            reads += 1
        } while reads < Self.tlsReadsPerWakeup && tls.hasPending(fd: fd)
        if buffers[Int(fd)] != nil && tls.hasPending(fd: fd) {
            tlsHoldingBytes.insert(fd)
        } else {
            tlsHoldingBytes.remove(fd)
        }
    }

    /// Reads `fd`'s SSH channel until libssh has nothing left (`ssh_channel_read_nonblocking` reads the
    /// socket when its own buffer is empty, so "nothing" means both are), up to `sshReadsPerWakeup`
    /// reads; a session that still holds channel bytes after that is remembered in `sshHoldingBytes`.
    private func readSSH(
        _ fd: Int32, ssh: SSHWatcherSessions, into buffer: LineBuffer, now: Int, onLine: ((Int32, String) -> Void)?
    ) {
        var reads = 0
        while reads < Self.sshReadsPerWakeup {
            let read = chunk.withUnsafeMutableBytes { ssh.read(fd: fd, into: $0) }
            guard case .bytes(let count) = read else {
                if case .closed(let reason) = read { drop(fd, reason: reason) }
                break
            }
            take(count, into: buffer, fd: fd, now: now, onLine: onLine)
            reads += 1
        }
        if buffers[Int(fd)] != nil && reads == Self.sshReadsPerWakeup && ssh.hasPending(fd: fd) {
            sshHoldingBytes.insert(fd)
        } else {
            sshHoldingBytes.remove(fd)
        }
    }

    /// Scans the first `count` bytes of `chunk` after what `buffer` holds of `fd`'s unfinished line.
    private func take(
        _ count: Int, into buffer: LineBuffer, fd: Int32, now: Int, onLine: ((Int32, String) -> Void)?
    ) {
        // Lines are scanned in place; only an unfinished tail is kept, so the common case (whole
        // lines in one read) allocates nothing.
        if buffer.bytes.isEmpty {
            chunk.withUnsafeBytes { raw in
                let rest = scanLines(
                    UnsafeRawBufferPointer(rebasing: raw[0..<count]), fd: fd, now: now, onLine: onLine)
                if rest < count { buffer.bytes.append(contentsOf: raw[rest..<count]) }
            }
        } else {
            buffer.bytes.append(contentsOf: chunk[0..<count])
            let rest = buffer.bytes.withUnsafeBytes { scanLines($0, fd: fd, now: now, onLine: onLine) }
            buffer.bytes.removeFirst(rest)
        }
    }

    /// Takes a connection the server closed off epoll (level-triggered, its end of stream would be
    /// reported forever), counting it.
    private func drop(_ fd: Int32, reason: String) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        buffers[Int(fd)] = nil
        tlsHoldingBytes.remove(fd)
        sshHoldingBytes.remove(fd)
        web?.detach(fd: fd)
        closed += 1
        if closeReasons.count < 5 { closeReasons.append(reason) }
    }

    /// Records a delivery for each whole line in `bytes` that carries a send time (see `DeliveryLines`);
    /// returns where the unfinished tail begins.
    private func scanLines(
        _ bytes: UnsafeRawBufferPointer, fd: Int32, now: Int, onLine: ((Int32, String) -> Void)?
    ) -> Int {
        DeliveryLines.scan(bytes) { line, sent in
            if let sent {
                deliveries += 1
                latencies.append(max(0, (now - sent) / 1000))
            }
            onLine?(fd, String(decoding: line, as: UTF8.self))
        }
    }

    static func nowNanoseconds() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int(spec.tv_sec) * 1_000_000_000 + Int(spec.tv_nsec)
    }
}

/// Percentiles of latencies in microseconds.
struct Percentiles {
    let p50, p90, p99, max: Double  // milliseconds

    init(_ micros: [Int]) {
        let sorted = micros.sorted()
        func at(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[Swift.min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
        }
        p50 = at(0.5)
        p90 = at(0.9)
        p99 = at(0.99)
        max = Double(sorted.last ?? 0) / 1000
    }
}

@available(*, unavailable) extension Watchers: Sendable {}
