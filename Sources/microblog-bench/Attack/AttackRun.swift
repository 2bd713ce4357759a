import Foundation
import MicroblogTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where the attacked server listens, as the attack threads need it (a value they may share).
struct AttackTarget: Sendable {
    let host: String
    let port: UInt16
    let tlsPort: UInt16?
    let sshPort: UInt16?

    /// The attacker's source addresses: `count` of 127.0.10.1, 127.0.10.2, ... (the probe is on 127.0.0.1).
    static func attackerAddresses(_ count: Int) -> [String] {
        (1...max(1, count)).map { "127.0.10.\($0)" }
    }
}

/// One attack phase's threads: they loop while `shouldRun` (until `stop` or the hard deadline, so no loop
/// outlives the phase however the server answers), and count what happened by name in `counters`.
/// Shared by the attack threads and the harness; its state is behind a mutex.
final class AttackRun: Sendable {
    private let stopped = Mutex(false)
    private let counts = Mutex<[String: Int]>([:])
    private let threads = DispatchGroup()
    /// No attack thread runs past this, whatever `stop` does.
    let hardDeadline: Date

    init(maximumSeconds: Double) {
        hardDeadline = Date().addingTimeInterval(maximumSeconds)
    }

    var shouldRun: Bool { !stopped.withLock { $0 } && Date() < hardDeadline }

    /// Adds `amount` to the counter `name`.
    func count(_ name: String, _ amount: Int = 1) {
        counts.withLock { $0[name, default: 0] += amount }
    }

    var counters: [String: Int] { counts.withLock { $0 } }

    /// Runs `body` on a thread of its own, counted until it returns; with `idle`, under `SCHED_IDLE`.
    func spawn(idle: Bool = false, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            if idle { CPUAffinity.makeThisThreadIdle() }
            body()
            threads.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Asks every thread to stop and waits up to `timeout` seconds for them; false if some are still
    /// blocked (in a connect or a libssh call) when it gives up.
    @discardableResult
    func stop(timeout: Double = 20) -> Bool {
        stopped.withLock { $0 = true }
        return threads.wait(timeout: .now() + timeout) == .success
    }

    /// Sleeps `seconds` unless the run stops first.
    func pause(_ seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        while shouldRun && Date() < until { usleep(20_000) }
    }
}

/// A raw TCP connection for the handshake floods: connect from a source address, send bytes, read
/// whatever comes with a deadline, and close with a reset (as a cheap attacker would: no TIME_WAIT).
/// Used by one thread; closes its descriptor when released.
final class RawConnection {
    let fd: Int32
    private var closed = false
    /// Seconds a connect may take: a listener whose backlog is full drops SYNs, and the kernel would
    /// retry for minutes, past the end of an attack phase.
    static let connectTimeout = 5.0

    init(target: AttackTarget, port: UInt16, source: String) throws {
        fd = try BlockingClient.connect(host: target.host, port: port, source: source, timeout: Self.connectTimeout)
    }

    deinit { reset() }

    /// Sends every byte; false if the peer is gone.
    func send(_ bytes: [UInt8]) -> Bool {
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

    /// What one read gave.
    enum Read {
        case bytes([UInt8])
        case closed
        case timedOut
    }

    /// Waits until `deadline` for bytes (at most 64 KiB), the peer's close, or nothing.
    func read(deadline: Date) -> Read {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { return .timedOut }
        var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pollFD, 1, Int32(remaining * 1000) + 1) <= 0 { return .timedOut }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? .bytes(Array(chunk[0..<count])) : .closed
    }

    /// Closes with a TCP reset (once).
    func reset() {
        guard !closed else { return }
        closed = true
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
    }
}
