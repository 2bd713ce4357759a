import Dispatch
import MicroblogModel
import MicroblogSupport

/// The limits that keep one client from harming the others: token buckets by account (posts, likes and
/// follows) and by address (registrations, password checks, exports, searches), and the login delays
/// (`LoginThrottle` by address, `AccountGuard` by name). Pure state: each `take` either spends a token or
/// says how long to wait; the commands answer the refusal.
/// Confined to the server queue.
final class Limits {
    private let queue: DispatchQueue
    private let settings: MicroblogSettings
    private let log: Logger

    /// Posts (and direct messages, replies and reposts) by account id (`settings.postRate`).
    private var postBuckets: [Int64: TokenBucket] = [:]
    /// Likes and follows (and their undoing) by account id (`settings.socialRate`).
    private var socialBuckets: [Int64: TokenBucket] = [:]
    /// New accounts by peer address (`settings.registrationsPerHour`).
    private var registrationBuckets: [String: TokenBucket] = [:]
    /// Password checks by peer address (each connection also has its own share, `Session.passwordBucket`).
    private var passwordBuckets: [String: TokenBucket] = [:]
    /// `/export`s started by peer address.
    private var exportBuckets: [String: TokenBucket] = [:]
    /// Searches by peer address (each connection also has its own share, `Session.searchBucket`).
    private var searchBuckets: [String: TokenBucket] = [:]
    /// Failed logins by address, and by name.
    private var loginThrottle = LoginThrottle()
    private var accountGuard = AccountGuard()

    /// Exports one address may start: `exportBurstPerAddress` at once, then `exportsPerAddressPerHour`.
    static let exportBurstPerAddress = 3.0
    static let exportsPerAddressPerHour = 12.0

    init(queue: DispatchQueue, settings: MicroblogSettings, log: Logger) {
        self.queue = queue
        self.settings = settings
        self.log = log
        loginThrottle.freeFailures = settings.loginFreeFailures
        loginThrottle.maxDelay = settings.loginMaxDelay
        accountGuard.freeFailures = settings.loginFreeFailures
        accountGuard.retryAfter = settings.loginMaxDelay
    }

    // MARK: - By account

    /// Takes one post of `userID`'s posting rate; the seconds to wait when there is none left.
    func takePost(by userID: Int64) -> Double? {
        queue.checkConfined()
        guard settings.postRate > 0 else { return nil }
        let now = MonotonicClock.now()
        var bucket = postBuckets[userID] ?? TokenBucket(rate: settings.postRate, burst: settings.postBurst, now: now)
        let wait = bucket.take(now: now)
        postBuckets[userID] = bucket
        return wait
    }

    /// True when `userID` may post now, without taking anything (for a pipelined post).
    func mayPost(_ userID: Int64) -> Bool {
        queue.checkConfined()
        guard settings.postRate > 0, let bucket = postBuckets[userID] else { return true }
        return bucket.hasToken(now: MonotonicClock.now())
    }

    /// Takes one like or follow (or their undoing) of `userID`'s rate; the seconds to wait when none is left.
    func takeSocial(by userID: Int64) -> Double? {
        queue.checkConfined()
        guard settings.socialRate > 0 else { return nil }
        let now = MonotonicClock.now()
        var bucket =
            socialBuckets[userID] ?? TokenBucket(rate: settings.socialRate, burst: settings.socialBurst, now: now)
        let wait = bucket.take(now: now)
        socialBuckets[userID] = bucket
        return wait
    }

    /// Takes one like or follow (or their undoing) of the account's rate, each of which may notify
    /// someone; answers the refusal itself. False when refused.
    func admitSocial(by user: User, command: String, for session: Session) -> Bool {
        guard let wait = takeSocial(by: user.id) else { return true }
        session.send(
            .error(WireError(.rateLimited, "you are liking or following too fast", retryAfter: wait), command: command))
        return false
    }

    // MARK: - By address

    /// Takes one new account of the address's budget; the seconds to wait when none is left.
    func takeRegistration(from peerHost: String) -> Double? {
        queue.checkConfined()
        guard settings.registrationsPerHour > 0 else { return nil }
        let now = MonotonicClock.now()
        var bucket =
            registrationBuckets[peerHost]
            ?? TokenBucket(rate: settings.registrationsPerHour / 3600, burst: settings.registrationsPerHour, now: now)
        let wait = bucket.take(now: now)
        registrationBuckets[peerHost] = bucket
        return wait
    }

    /// Takes one `/export` of the address's budget; the seconds to wait when none is left.
    func takeExport(from peerHost: String) -> Double? {
        queue.checkConfined()
        let now = MonotonicClock.now()
        var bucket =
            exportBuckets[peerHost]
            ?? TokenBucket(rate: Self.exportsPerAddressPerHour / 3600, burst: Self.exportBurstPerAddress, now: now)
        let wait = bucket.take(now: now)
        exportBuckets[peerHost] = bucket
        return wait
    }

    /// Takes one search from the connection's share and from its address's budget, or says how long to
    /// wait. Guests and members alike: a search costs the same whoever asks.
    /// The address's share of `--search-rate` for a search without a session (the web door's): nil when
    /// it may go ahead, else the refusal.
    func takeSearch(forAddress host: String) -> WireError? {
        queue.checkConfined()
        let perMinute = settings.searchesPerMinute
        guard perMinute > 0 else { return nil }
        let now = MonotonicClock.now()
        var address = searchBuckets[host] ?? TokenBucket(rate: perMinute / 60, burst: perMinute, now: now)
        defer { searchBuckets[host] = address }
        guard let wait = address.take(now: now) else { return nil }
        log.info("searches_limited", ["peer": host, "by": "your address", "door": "web"], limitKey: "searches_limited")
        return WireError(.rateLimited, "too many searches from your address", retryAfter: wait)
    }

    func takeSearch(for session: Session) -> WireError? {
        queue.checkConfined()
        let perMinute = settings.searchesPerMinute
        guard perMinute > 0 else { return nil }
        let now = MonotonicClock.now()
        var address = searchBuckets[session.peerHost] ?? TokenBucket(rate: perMinute / 60, burst: perMinute, now: now)
        let perConnection = settings.searchesPerConnectionPerMinute
        var connection =
            session.searchBucket ?? TokenBucket(rate: perConnection / 60, burst: perConnection, now: now)
        defer { session.searchBucket = connection }
        let refusal = TokenBucket.takeShared(connection: &connection, address: &address, now: now)
        searchBuckets[session.peerHost] = address
        guard let (wait, whose) = refusal else { return nil }
        log.info(
            "searches_limited", ["conn": session.id, "peer": session.peer, "by": whose], limitKey: "searches_limited")
        return WireError(.rateLimited, "too many searches from \(whose)", retryAfter: wait)
    }

    // MARK: - Password checks

    /// The throttles and budgets a password check must pass before any hashing, for every door: failed
    /// logins are counted per address (past a few, each attempt from it must wait) and per name (see
    /// `AccountGuard`: a guarded name takes one attempt per address per `retryAfter`), and every check
    /// draws on the connection's share and its address's budget (`takePasswordCheck`). Returns the
    /// refusal to give, or nil when the check may go ahead.
    func admitPasswordCheck(
        name: String, peer: String, peerHost: String, conn: Int, connectionBucket: inout TokenBucket?
    ) -> WireError? {
        queue.checkConfined()
        let key = AccountRules.nameKey(name)
        let now = MonotonicClock.now()
        if settings.loginFreeFailures > 0,
            let wait = loginThrottle.wait(for: ["peer:" + peerHost], now: now)
                ?? accountGuard.admit(name: key, peer: peerHost, now: now)
        {
            log.info(
                "login_throttled", ["conn": conn, "peer": peer, "user": name], limitKey: "login_throttled \(peerHost)")
            return WireError(.throttled, "too many failed logins for this name or address", retryAfter: wait)
        }
        return takePasswordCheck(peer: peer, peerHost: peerHost, conn: conn, connectionBucket: &connectionBucket)
    }

    /// Takes one password check from the connection's share and from its address's budget, or says
    /// how long to wait. Hashing is the costliest thing a client can ask for, so even correct logins
    /// draw on it: one address looping `/login` and `/logout` cannot keep the cores busy.
    func takePasswordCheck(
        peer: String, peerHost: String, conn: Int, connectionBucket bucket: inout TokenBucket?
    ) -> WireError? {
        queue.checkConfined()
        let perMinute = settings.passwordChecksPerMinute
        guard perMinute > 0 else { return nil }
        let now = MonotonicClock.now()
        var address = passwordBuckets[peerHost] ?? TokenBucket(rate: perMinute / 60, burst: perMinute, now: now)
        // A connection's share starts full at its first check, as it would have been since it opened.
        let perConnection = settings.passwordChecksPerConnectionPerMinute
        var connectionBucket = bucket ?? TokenBucket(rate: perConnection / 60, burst: perConnection, now: now)
        defer { bucket = connectionBucket }
        let refusal = TokenBucket.takeShared(connection: &connectionBucket, address: &address, now: now)
        passwordBuckets[peerHost] = address
        guard let (wait, whose) = refusal else { return nil }
        log.info(
            "password_checks_limited", ["conn": conn, "peer": peer, "by": whose], limitKey: "password_checks_limited")
        return WireError(.rateLimited, "too many password checks from \(whose)", retryAfter: wait)
    }

    /// A correct password for the name from the address: the name's guard lets that address in again.
    func recordLoginSuccess(nameKey: String, peerHost: String) {
        queue.checkConfined()
        accountGuard.recordSuccess(name: nameKey, peer: peerHost)
    }

    /// Counts a failed password check for the account and the address in the login delays, whichever
    /// node it failed on.
    func recordLoginFailure(nameKey: String, host: String) {
        queue.checkConfined()
        let failedAt = MonotonicClock.now()
        loginThrottle.recordFailure(["peer:" + host], now: failedAt)
        accountGuard.recordFailure(name: nameKey, now: failedAt)
    }

    /// Forgets entries that are back to full (called about once a second by `Microblog.sweep`).
    func prune(now: Double) {
        queue.checkConfined()
        postBuckets = postBuckets.filter { !$0.value.isFull(now: now) }
        socialBuckets = socialBuckets.filter { !$0.value.isFull(now: now) }
        registrationBuckets = registrationBuckets.filter { !$0.value.isFull(now: now) }
        passwordBuckets = passwordBuckets.filter { !$0.value.isFull(now: now) }
        exportBuckets = exportBuckets.filter { !$0.value.isFull(now: now) }
        searchBuckets = searchBuckets.filter { !$0.value.isFull(now: now) }
        loginThrottle.prune(now: now)
        accountGuard.prune(now: now)
    }
}

@available(*, unavailable) extension Limits: Sendable {}
