import CLibSSH
import Foundation
import Synchronization

/// The client side of SSH for the watchers, through libssh's client API: each watcher is set up with
/// blocking calls (key exchange, `none` authentication as a guest, a session channel and a shell without a
/// PTY, so the server speaks line mode as to nc) until its greeting has arrived; then the session is made
/// non-blocking and its socket (`ssh_get_fd`) goes into the watchers' epoll set, read on the same thread.
/// libssh owns the socket: `close` frees the session, which closes it.
/// Confined to the thread that owns its `Watchers`; frees every session when released.
final class SSHWatcherSessions {
    /// One watcher's libssh session and channel. Handed once from the setup thread that made it to the
    /// owner of the sessions, and used by that one thread from then on.
    struct Session: @unchecked Sendable {
        let session: ssh_session
        let channel: ssh_channel
        let fd: Int32
        /// What came after the greeting.
        let rest: [UInt8]
    }

    /// By descriptor (descriptors are small numbers).
    private var sessions: [Session?] = []
    /// Guest names handed out so far: each watcher logs in as a new name with no account (`w1`, `w2`, ...).
    private var names = 0
    /// How long a watcher's setup may take, from connecting to its greeting.
    static let setupTimeoutMilliseconds: Int32 = 30_000
    /// The line that ends the greeting (as for the plain door).
    static let greetingEnd = "new posts appear below"

    /// What one read gave.
    enum Read: Equatable {
        /// Bytes of the channel's standard output, at the start of the buffer.
        case bytes(Int)
        /// Nothing buffered in libssh and nothing on the socket.
        case nothing
        /// The server closed the channel or the connection, or SSH failed.
        case closed(String)
    }

    init() {
        _ = ssh_init()
    }

    deinit {
        for case let entry? in sessions { Self.free(entry) }
    }

    /// Sets up `count` sessions to `host`:`port` on `threads` setup threads (each setup waits on round
    /// trips, about 50 ms here, so serial setup of thousands is slow) and adopts them. Returns each
    /// session's socket, now non-blocking, and whatever came after its greeting, and the first failure if
    /// any (the sessions that were set up are adopted all the same, so they are freed with the others).
    func open(count: Int, host: String, port: UInt16, threads: Int) -> (
        opened: [(fd: Int32, rest: [UInt8])], failure: BenchError?
    ) {
        let first = names + 1
        names += count
        let results = Mutex<[Result<Session, BenchError>]>([])
        let done = DispatchGroup()
        let workers = max(1, min(threads, count))
        for worker in 0..<workers {
            done.enter()
            Thread {
                for index in stride(from: worker, to: count, by: workers) {
                    let name = "w\(first + index)"
                    let result = Result { try Self.connect(host: host, port: port, name: name) }
                        .mapError { $0 as? BenchError ?? BenchError("\($0)") }
                    results.withLock { $0.append(result) }
                    if case .failure = result { break }
                }
                done.leave()
            }.start()
        }
        done.wait()
        var opened: [(fd: Int32, rest: [UInt8])] = []
        var failure: BenchError?
        for result in results.withLock({ $0 }) {
            switch result {
            case .success(let entry):
                while sessions.count <= Int(entry.fd) { sessions.append(nil) }
                sessions[Int(entry.fd)] = entry
                opened.append((entry.fd, entry.rest))
            case .failure(let error):
                failure = failure ?? error
            }
        }
        return (opened, failure.map { BenchError("\($0) (\(opened.count) of \(count) set up)") })
    }

    /// Connects to `host`:`port` as guest `name`, opens a shell and reads until the greeting's last line,
    /// then makes the session non-blocking.
    private static func connect(host: String, port: UInt16, name: String) throws -> Session {
        guard let session = ssh_new() else { throw BenchError("ssh_new failed") }
        var portNumber = UInt32(port)
        var strict: Int32 = 0
        var quiet: Int32 = 0  // SSH_LOG_NOLOG
        var processConfig = false
        ssh_options_set(session, SSH_OPTIONS_HOST, host)
        ssh_options_set(session, SSH_OPTIONS_PORT, &portNumber)
        ssh_options_set(session, SSH_OPTIONS_USER, name)
        ssh_options_set(session, SSH_OPTIONS_LOG_VERBOSITY, &quiet)
        // A throw-away host key on every run: nothing to check and nothing to remember.
        ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, "/dev/null")
        ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
        ssh_options_set(session, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict)
        // Without it, Nagle's algorithm and delayed acknowledgements cost each setup round trip 40 ms.
        var noDelay: Int32 = 1
        ssh_options_set(session, SSH_OPTIONS_NODELAY, &noDelay)
        var timeoutSeconds = Int(Self.setupTimeoutMilliseconds / 1000)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeoutSeconds)

        func fail(_ step: String, channel: ssh_channel? = nil) -> BenchError {
            let reason = String(cString: ssh_get_error(UnsafeMutableRawPointer(session)))
            if let channel { ssh_channel_free(channel) }
            ssh_disconnect(session)
            ssh_free(session)
            return BenchError("SSH \(step) failed for \(name): \(reason)")
        }
        guard ssh_connect(session) == SSH_OK else { throw fail("connect") }
        // A name with no account gets a guest session by `none` authentication: no password, no key.
        guard ssh_userauth_none(session, nil) == Int32(SSH_AUTH_SUCCESS.rawValue) else {
            throw fail("none authentication")
        }
        guard let channel = ssh_channel_new(session) else { throw fail("ssh_channel_new") }
        guard ssh_channel_open_session(channel) == SSH_OK else { throw fail("channel open", channel: channel) }
        // No pty-req: line mode, exactly like nc.
        guard ssh_channel_request_shell(channel) == SSH_OK else { throw fail("shell request", channel: channel) }

        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        let end = Array(Self.greetingEnd.utf8)
        var restStart: Int?
        while restStart == nil {
            let count = chunk.withUnsafeMutableBytes {
                ssh_channel_read_timeout(channel, $0.baseAddress, UInt32($0.count), 0, Self.setupTimeoutMilliseconds)
            }
            guard count > 0 else {
                throw fail(count == 0 ? "greeting (timed out)" : "greeting read", channel: channel)
            }
            received += chunk[0..<Int(count)]
            if let found = Self.find(end, in: received), let newline = received[found...].firstIndex(of: 10) {
                restStart = newline + 1
            }
        }
        ssh_set_blocking(session, 0)
        let fd = ssh_get_fd(session)
        guard fd >= 0 else { throw fail("ssh_get_fd", channel: channel) }
        return Session(
            session: session, channel: channel, fd: fd, rest: Array(received[(restStart ?? received.count)...]))
    }

    /// Reads what libssh has for `fd`'s channel, reading the socket if its buffer is empty.
    func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Read {
        guard Int(fd) < sessions.count, let entry = sessions[Int(fd)] else { return .closed("no SSH session") }
        let count = ssh_channel_read_nonblocking(entry.channel, buffer.baseAddress, UInt32(buffer.count), 0)
        if count > 0 { return .bytes(Int(count)) }
        if count == SSH_EOF || ssh_channel_is_eof(entry.channel) != 0 {
            return .closed("end of channel from the server")
        }
        if count < 0 {
            return .closed("SSH error: " + String(cString: ssh_get_error(UnsafeMutableRawPointer(entry.session))))
        }
        if ssh_channel_is_closed(entry.channel) != 0 { return .closed("channel closed by the server") }
        return .nothing
    }

    /// Whether libssh holds channel bytes for `fd` already taken from the socket (epoll will not report
    /// them again).
    func hasPending(fd: Int32) -> Bool {
        guard Int(fd) < sessions.count, let entry = sessions[Int(fd)] else { return false }
        return ssh_channel_poll(entry.channel, 0) > 0
    }

    /// The key exchange method and cipher of `fd`'s session,
    /// e.g. "curve25519-sha256 chacha20-poly1305@openssh.com".
    func describe(fd: Int32) -> String {
        guard Int(fd) < sessions.count, let entry = sessions[Int(fd)] else { return "none" }
        let kex = ssh_get_kex_algo(entry.session).map { String(cString: $0) } ?? "?"
        let cipher = ssh_get_cipher_in(entry.session).map { String(cString: $0) } ?? "?"
        return "\(kex) \(cipher)"
    }

    /// Ends `fd`'s session and frees it (which closes the socket).
    func close(fd: Int32) {
        guard Int(fd) < sessions.count, let entry = sessions[Int(fd)] else { return }
        sessions[Int(fd)] = nil
        Self.free(entry)
    }

    /// Whether `fd` is one of these sessions' sockets (libssh's to close, not the caller's).
    func owns(fd: Int32) -> Bool {
        Int(fd) < sessions.count && sessions[Int(fd)] != nil
    }

    private static func free(_ entry: Session) {
        ssh_channel_free(entry.channel)
        ssh_disconnect(entry.session)
        ssh_free(entry.session)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
