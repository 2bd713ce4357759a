import Dispatch
import MicroblogDomain
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

/// What every door shares: the admission figures (limits and counts over all doors), the connection ids,
/// the domain that opens sessions, the log, and the shutdown's wait for the last connection to close.
///
/// Confined to the server queue.
final class DoorContext {
    let queue: DispatchQueue
    let log: Logger
    let microblog: Microblog
    let settings: MicroblogSettings
    private(set) var admission: Admission
    /// The pool where TLS handshakes and SSH key exchanges run (set by the server): how many wait there
    /// is the handshake budget in total (`holdIfHandshakesBusy`).
    var handshakes: FairPool?

    /// Handshakes (TLS handshake steps and SSH key exchanges) waiting for or running on the handshake pool,
    /// from every address together, at which the secure doors stop accepting for a moment: the budget in
    /// total, beside each address's. The pool's threads bound the CPU handshakes take; this bounds the
    /// queue, and so how long an honest client's handshake waits behind others (a few hundred
    /// milliseconds at the pool's rate), without refusing anyone: new connections wait in the kernel's
    /// backlog, as they would at a busy server, until the queue shortens.
    static let maxHandshakesPending = 256
    /// How long a secure door stops accepting when the handshake queue is full, before it looks again.
    static let handshakesBusyPause: DispatchTimeInterval = .milliseconds(10)

    /// After a secure door took a connection: stops that door's accepting for `handshakesBusyPause` when
    /// `maxHandshakesPending` handshakes wait (logged, at most once a minute).
    func holdIfHandshakesBusy(_ listener: Listener, door: Door) {
        guard let pending = handshakes?.pending, pending >= Self.maxHandshakesPending else { return }
        log.warn("handshakes_busy", ["door": door.rawValue, "pending": pending], limitKey: "handshakes_busy")
        listener.pauseAccepting(for: Self.handshakesBusyPause)
    }
    /// Set when the shutdown begins; a door takes no new connection after.
    var stopping = false
    /// Set by the shutdown: runs each time the last connection has closed.
    var onDrained: (() -> Void)?
    private var nextID = 1

    init(queue: DispatchQueue, log: Logger, microblog: Microblog, settings: MicroblogSettings) {
        self.queue = queue
        self.log = log
        self.microblog = microblog
        self.settings = settings
        admission = Admission(
            maxConnections: settings.maxConnections, maxConnectionsPerAddress: settings.maxConnectionsPerIP,
            handshakesPerMinute: settings.handshakesPerMinute)
    }

    /// Connections open on every door.
    var openConnections: Int { admission.open }

    /// The id of a new connection (or SSH session), for the logs: one sequence over every door.
    func takeConnectionID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    /// Checks a connection just accepted on `door` (see `Admission.check`); `host` nil: its address is not
    /// known yet. A refusal is logged (`event=refused`) and counted, and returned: the door then says what
    /// it can and closes the socket. `limitKey` is what a refusal by a connection limit counts against in
    /// the log (default `refused REASON`).
    func screen(
        _ accepted: Listener.Accepted, door: Door, host: String?, handshake: Bool, limitKey: String? = nil
    ) -> Admission.Refusal? {
        guard let refusal = admission.check(host: host, handshake: handshake, now: MonotonicClock.now()) else {
            return nil
        }
        if case .handshakeBudget(let retryAfter) = refusal {
            log.warn(
                "refused",
                ["peer": accepted.peer, "reason": refusal.reason, "door": door.rawValue, "retry_after": retryAfter],
                limitKey: "refused \(refusal.reason)")
        } else {
            log.warn(
                "refused", ["peer": accepted.peer, "reason": refusal.reason, "door": door.rawValue],
                limitKey: limitKey ?? "refused \(refusal.reason)")
        }
        microblog.metrics.refusedConnection()
        return refusal
    }

    /// The refusal for one more connection from `host` once a PROXY header has named it, if it has as many
    /// as it may. Logging it is the caller's: it knows the connection.
    func check(address host: String) -> Admission.Refusal? { admission.check(address: host) }

    /// A connection came in, counted toward `host` when known.
    func opened(host: String?) {
        admission.opened(host: host)
        microblog.metrics.connected(count: admission.open)
    }

    /// A connection opened without an address now has one.
    func identified(host: String) { admission.identified(host: host) }

    /// A connection closed, counted under `host` if any; during the shutdown, the last one lets it go on.
    func closed(host: String?) {
        admission.closed(host: host)
        if admission.open == 0 { onDrained?() }
    }

    /// Forgets the addresses whose handshake budget is whole again (about once a second).
    func prune(now: Double) { admission.prune(now: now) }

    /// Sends `listener`'s accepts to `accept`, and logs its errors.
    func wire(_ listener: Listener, accept: @escaping (Listener.Accepted) -> Void) {
        listener.onAccept = accept
        listener.onError = { [log] message in log.error("accept", ["error": message], limitKey: "accept") }
    }
}

@available(*, unavailable) extension DoorContext: Sendable {}
