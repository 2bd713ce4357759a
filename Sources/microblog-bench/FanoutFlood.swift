import Foundation
import MicroblogTestSupport
import Synchronization

/// `fanout --flood none|tls|ssh` (issue 27): while the posts go out, one attacker address opens
/// connections to a secure door as fast as it can, and one honest client logs in by the plain door about
/// once a second; what the watchers' latency and the honest logins look like then. `none` is the calm
/// sitting: the same logins and the same server limits, no attacker.
enum FloodDoor: String, CaseIterable, Sendable {
    case none
    /// X25519 ClientHellos to the TLS door.
    case tls
    /// The SSH banner, a KEXINIT and a KEX_ECDH_INIT for curve25519-sha256 to the SSH door.
    case ssh

    /// `--flood none|tls|ssh`, or several separated by commas (`none,tls,ssh`): the runs of one sitting,
    /// in order. Nil for an unknown name or one named twice.
    static func parse(_ text: String) -> [FloodDoor]? {
        let floods = text.split(separator: ",", omittingEmptySubsequences: false).map {
            FloodDoor(rawValue: String($0))
        }
        guard !floods.isEmpty, !floods.contains(nil) else { return nil }
        let named = floods.compactMap { $0 }
        return Set(named).count == named.count ? named : nil
    }

    /// The server's arguments for a run with `--flood`, calm ones included: the load generator's lifted
    /// limits, but the handshake budget (`--handshake-rate`) at its default, since it is part of what
    /// is measured.
    static var serverLimits: [String] {
        var limits = ServerUnderTest.liftedForLoad
        if let index = limits.firstIndex(of: "--handshake-rate") { limits.removeSubrange(index...index + 1) }
        return limits
    }
}

/// One run's flood and honest logins, started when the posting starts and stopped when the deliveries
/// are in. Every thread runs on an `AttackRun`, so none outlives `maximumSeconds`.
struct FanoutFlood {
    let door: FloodDoor
    /// Attacker threads, each with one connection attempt at a time.
    var inFlight = 16
    /// The attacker threads under `SCHED_IDLE`. They share the load generator's CPU with the thread that
    /// reads the watchers and timestamps their deliveries; a real attacker's CPU is elsewhere, so by
    /// default they run only when that thread does not, so the latency measured is the server's, not
    /// the generator's. (Sittings at normal priority gave p99 ratios in the same range: see
    /// docs/performance.md.)
    var idle = true
    /// Seconds between the honest client's logins.
    static let loginInterval = 1.0
    /// Seconds the honest client waits for a greeting or a login's answer before it counts a timeout.
    static let loginTimeout = 10.0
    static let password = "bench-password"
    /// The one address the attacker connects from (the watchers use 127.0.0.1 to 127.0.0.250).
    static let attackerAddress = AttackTarget.attackerAddresses(1)[0]

    /// What a run's flood and logins came to.
    struct Report {
        var door = FloodDoor.none
        var inFlight = 0
        /// Whether the attacker threads ran under `SCHED_IDLE`.
        var idle = true
        /// From the flood's start to its stop.
        var seconds = 0.0
        /// The attacker's outcomes by name, as `HandshakeFlood` counts them.
        var attacker: [String: Int] = [:]
        /// The honest client's times, in milliseconds: from connecting to the greeting, and from sending
        /// `/login` to its answer.
        var greetings: [Double] = []
        var logins: [Double] = []
        /// Logins that did not end in a welcome, by what happened instead.
        var loginFailures: [String: Int] = [:]

        var attempts: Int { attacker.values.reduce(0, +) }
        var answered: Int { attacker.filter { HandshakeFlood.answers.contains($0.key) }.values.reduce(0, +) }
        var connectFailures: Int { attacker[HandshakeFlood.connectFailed, default: 0] }
        var timeouts: Int { attacker[HandshakeFlood.timedOut, default: 0] }
        /// Closed or reset by the server before it answered (refused at accept, or past the queue).
        var unanswered: Int { attempts - answered - connectFailures - timeouts }
        func perSecond(_ count: Int) -> Double { seconds > 0 ? Double(count) / seconds : 0 }
    }

    /// Registers the honest client's account (logged out again), before the posting clock starts.
    func prepare(on server: ServerUnderTest) throws -> String {
        if door == .tls && server.tlsPort == nil || door == .ssh && server.sshPort == nil {
            throw BenchError("the server has no \(door.rawValue) door to flood (--\(door.rawValue)-port)")
        }
        let name = "h\(Int(Date().timeIntervalSince1970) % 100_000)"
        let clients = try accountClients(1, on: server, prefix: name, password: Self.password, loggedOut: true)
        clients.forEach { $0.close() }
        return name + "x0"
    }

    /// Starts the attacker's threads (none for `none`) and the honest client's.
    func start(on server: ServerUnderTest, account: String, maximumSeconds: Double) -> Running {
        let run = AttackRun(maximumSeconds: maximumSeconds)
        let target = AttackTarget(
            host: server.host, port: server.port, tlsPort: server.tlsPort, sshPort: server.sshPort)
        let started = Date()
        switch door {
        case .none: break
        case .tls:
            HandshakeFlood(kind: .tlsX25519, inFlight: inFlight, addresses: 1, idle: idle).start(
                phase: 0, target: target, run: run)
        case .ssh:
            HandshakeFlood(kind: .sshCurve25519, inFlight: inFlight, addresses: 1, idle: idle).start(
                phase: 0, target: target, run: run)
        }
        let logins = LoginTimes()
        run.spawn { Self.logIn(account, target: target, run: run, into: logins) }
        return Running(flood: self, run: run, logins: logins, started: started)
    }

    /// A flood under way.
    struct Running {
        let flood: FanoutFlood
        let run: AttackRun
        let logins: LoginTimes
        let started: Date

        /// Stops every thread (waiting at most as long as an attempt may take) and reports.
        func stop() -> Report {
            let stoppedInTime = run.stop(timeout: HandshakeFlood.answerTimeout + RawConnection.connectTimeout)
            if !stoppedInTime { Progress.say("  some flood threads were still blocked when the run stopped") }
            let times = logins.snapshot
            return Report(
                door: flood.door, inFlight: flood.door == .none ? 0 : flood.inFlight, idle: flood.idle,
                seconds: Date().timeIntervalSince(started),
                attacker: run.counters, greetings: times.greetings, logins: times.logins,
                loginFailures: times.failures)
        }
    }

    /// The honest client: about once a second a new plain connection from 127.0.0.1, its greeting, then
    /// `/login`, each timed, then a close. Each waits at most `loginTimeout`.
    private static func logIn(_ account: String, target: AttackTarget, run: AttackRun, into times: LoginTimes) {
        var next = Date()
        while run.shouldRun {
            run.pause(next.timeIntervalSinceNow)
            guard run.shouldRun else { break }
            next = max(next.addingTimeInterval(loginInterval), Date())
            let connecting = DispatchTime.now().uptimeNanoseconds
            guard let client = try? BlockingClient(port: target.port, host: target.host, source: "127.0.0.1") else {
                times.fail("connect failed")
                continue
            }
            defer { client.close() }
            let soon = { Date().timeIntervalSince1970 + loginTimeout }
            guard (try? client.readUntil(deadline: soon(), { $0.contains("new posts appear below") })) != nil else {
                times.fail("no greeting")
                continue
            }
            let greeted = DispatchTime.now().uptimeNanoseconds
            client.send("/login \(account) \(password)")
            let answer = try? client.readUntil(deadline: soon()) { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last
            let answered = DispatchTime.now().uptimeNanoseconds
            guard let answer else {
                times.fail("no answer within \(Int(loginTimeout)) s")
                continue
            }
            guard answer.hasPrefix("* welcome") else {
                times.fail(String(answer.prefix(60)))
                continue
            }
            times.add(
                greeting: Double(greeted - connecting) / 1_000_000, login: Double(answered - greeted) / 1_000_000)
        }
    }
}

/// The honest client's times, written by its thread and read when the run stops.
final class LoginTimes: Sendable {
    struct Snapshot {
        var greetings: [Double] = []
        var logins: [Double] = []
        var failures: [String: Int] = [:]
    }
    private let state = Mutex(Snapshot())

    func add(greeting: Double, login: Double) {
        state.withLock {
            $0.greetings.append(greeting)
            $0.logins.append(login)
        }
    }

    func fail(_ reason: String) { state.withLock { $0.failures[reason, default: 0] += 1 } }

    var snapshot: Snapshot { state.withLock { $0 } }
}
