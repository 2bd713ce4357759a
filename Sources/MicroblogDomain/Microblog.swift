import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The domain service: sessions, accounts, posts and the commands that act on them, and the limits
/// that keep one client from harming the others.
/// Confined to the server queue (checked at its entry points in debug builds); storage and hashing run
/// elsewhere and report back here. `Server.init` builds and configures it on the caller's thread before
/// any of its work is scheduled, which is the one hand-over.
package final class Microblog {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let hashing: FairPool
    package let hub: Hub
    let log: Logger
    /// Running figures for `/stats`; the server feeds it what only the transport sees.
    package let metrics = Metrics(now: MonotonicClock.now())
    /// This node's name among nodes sharing a database, and whether they do (PostgreSQL).
    package var nodeID = ""
    package var presenceShared = false
    /// The database for logs: a file path, or a PostgreSQL location without its password.
    package var databaseName = ""
    /// Accounts online on other nodes as of the last presence round (every 2 s), for Tab completion.
    var remoteNames: Set<String> = []
    /// Account names Tab completes after those online, by account id: the newest accounts at start, and
    /// every account logged in since (at most `maxKnownNames`, so a large site costs a bounded amount of
    /// memory), less those deleted since, here or on another node (`forgetDeletedAccount`).
    var knownNames: [Int64: String] = [:]
    static let maxKnownNames = 5000
    /// Figures only the server and the process know (connections, memory, files), for `/stats`.
    package var processFigures: (() -> ProcessFigures)?
    private(set) var sessions: [Int: Session] = [:]
    var shuttingDown = false
    /// How to reach the encrypted doors, for the `plaintext_denied` error (e.g. "TLS on port 4243").
    package var secureDoors: [String] = []
    /// The community's message of the day for the greeting, prepared by `Motd` (`--motd FILE`; SIGHUP
    /// reads the file again).
    package var motd: [String] = []
    /// The newest post id known, so `/watch on` can say what was missed.
    var latestPostID: Int64 = 0

    /// Posting limits by account id, registrations by peer address, failed logins by name and address.
    var postBuckets: [Int64: TokenBucket] = [:]
    /// Likes and follows (and their undoing) by account id (`settings.socialRate`).
    var socialBuckets: [Int64: TokenBucket] = [:]
    var registrationBuckets: [String: TokenBucket] = [:]
    /// Password checks by peer address (each connection also has its own share, `Session.passwordBucket`).
    var passwordBuckets: [String: TokenBucket] = [:]
    /// `/export`s started by peer address, those running by session id, and the accounts they export.
    var exportBuckets: [String: TokenBucket] = [:]
    var exports: [Int: ExportStream] = [:]
    var exportingAccounts: Set<Int64> = []
    /// Pages of `/export` read from the store so far (for tests and stats).
    package internal(set) var exportPagesRead = 0
    /// Searches by peer address (each connection also has its own share, `Session.searchBucket`).
    var searchBuckets: [String: TokenBucket] = [:]
    var loginThrottle = LoginThrottle()
    var accountGuard = AccountGuard()
    /// Where a `CommandReply` finished twice or dropped unfinished is reported: an assertion failure,
    /// unless a test wants to see the release-build path.
    var replyMisuse: (CommandReply.Misuse, String?) -> Void = CommandReply.assertion

    package init(queue: DispatchQueue, storage: StorageWorker, settings: MicroblogSettings, log: Logger) {
        self.queue = queue
        self.hub = Hub(queue: queue)
        hub.recentCapacity = settings.greetingPosts
        self.settings = settings
        self.storage = storage
        self.log = log
        self.hashing = FairPool(
            label: "microblogd.hashing", ownerQueue: queue, maxConcurrent: settings.hashingConcurrency)
        loginThrottle.freeFailures = settings.loginFreeFailures
        loginThrottle.maxDelay = settings.loginMaxDelay
        accountGuard.freeFailures = settings.loginFreeFailures
        accountGuard.retryAfter = settings.loginMaxDelay
        storage.onCommit = { [metrics] posts, seconds in
            metrics.committed(posts: posts, seconds: seconds, now: MonotonicClock.now())
        }
        storage.onSearchIndexFailure = { [log] error in log.error("search_index_failed", ["error": "\(error)"]) }
    }

    /// Logged-in sessions per account, for presence and for delivering what is addressed to someone.
    private(set) var sessionsByUser: [Int64: [Session]] = [:]

    /// `/away` messages of accounts with a session open.
    var awayMessages: [Int64: String] = [:]

    /// The shared relations of each account with a session open.
    private(set) var viewers: [Int64: Viewer] = [:]

    /// Logs `session` in as `user`, with the live-feed choice `watch` (the account's remembered one)
    /// and its `relations` as just read (which replace any held, being as new or newer).
    func signIn(
        _ session: Session, as user: User, keptApart: Bool = false, watch: WatchSetting, relations: ViewerRelations
    ) {
        // A login that finishes after its connection closed must not leave the session behind as online.
        guard !session.closed else { return }
        session.user = user
        sessionsByUser[user.id, default: []].append(session)
        if knownNames.count < Self.maxKnownNames { knownNames[user.id] = user.name }
        let viewer = viewers[user.id] ?? Viewer(userID: user.id, keptApart: keptApart)
        viewers[user.id] = viewer
        viewer.relations = relations
        session.viewer = viewer
        setWatch(watch, for: session)
    }

    func signOut(_ session: Session) {
        guard let user = session.user else { return }
        session.user = nil
        session.viewer = nil
        let remaining = (sessionsByUser[user.id] ?? []).filter { $0 !== session }
        sessionsByUser[user.id] = remaining.isEmpty ? nil : remaining
        if remaining.isEmpty {
            viewers[user.id] = nil
            awayMessages[user.id] = nil
            let now = Timestamp.now()
            storage.perform({ store in try store.setLastSeen(user.id, now) }) { _ in }
        }
    }

    /// Applies a live-feed choice: the session joins the hub unless it wants nothing.
    func setWatch(_ watch: WatchSetting, for session: Session) {
        session.watch = watch
        if !watch.isSilent && session.lifecycle != .greeting && !session.closed && !session.runsOneCommand {
            hub.add(session)
        } else {
            hub.remove(session)
        }
    }

    /// Traps in debug builds when called off the server queue; the public entry points call it.
    @inline(__always)
    func checkConfined() {
        #if DEBUG
            dispatchPrecondition(condition: .onQueue(queue))
        #endif
    }

    /// Starts a session on a new connection: greeting, latest posts, then the live feed.
    package func open(id: Int, peer: String, peerHost: String, door: Door = .plain, output: SessionOutput) -> Session {
        dispatchPrecondition(condition: .onQueue(queue))
        let session = Session(
            id: id, peer: peer, peerHost: peerHost, door: door, output: output, settings: settings,
            now: MonotonicClock.now())
        sessions[id] = session
        greet(session)
        return session
    }

    /// Counts a session opened by a door's own path (`openSSH`) among the open ones.
    func track(_ session: Session) {
        sessions[session.id] = session
    }

    /// Forgets a session whose connection has closed.
    package func closed(_ session: Session, reason: CloseReason) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !session.closed else { return }
        session.lifecycle = .closed
        hub.remove(session)
        sessions[session.id] = nil
        endExport(of: session)
        let user = session.user
        signOut(session)
        session.user = user  // kept for the log line below
        log.info(
            "disconnect", ["conn": session.id, "reason": reason.rawValue, "user": session.user?.name ?? "-"],
            limitKey: "disconnect \(session.peerHost)")
    }

    /// The session's connection has sent all its pending output: report missed posts, run waiting lines.
    package func drained(_ session: Session) {
        checkConfined()
        guard !session.closed else { return }
        // An export's next page; its lines must not be interrupted by the missed-posts note.
        if continueExport(of: session) || exports[session.id] != nil { return }
        if session.prompt == nil || session.mode == .json { session.reportMissed() }
        if session.lifecycle == .waitingForDrain {
            session.lifecycle = .ready
            processQueued(session)
        }
    }

    /// Starts a shutdown: no further line is run (posts already submitted still commit), and `done`
    /// runs once no command is in flight any more, or after `deadline`.
    package func stopRunningCommands(deadline: Double, _ done: @escaping () -> Void) {
        checkConfined()
        shuttingDown = true
        if sessions.values.contains(where: { $0.lifecycle.commandInFlight != nil || $0.postsInFlight > 0 })
            && MonotonicClock.now() < deadline
        {
            queue.asyncAfterConfined(.milliseconds(10)) { [self] in stopRunningCommands(deadline: deadline, done) }
        } else {
            done()
        }
    }

    /// Ends every session with a notice (for shutdown). A pending password prompt and every line
    /// received but not yet run are answered with `shutting_down`, so a client can tell what was not done.
    package func sayGoodbyeToAll(_ message: String) {
        checkConfined()
        shuttingDown = true
        for session in sessions.values {
            if let prompt = session.prompt {
                endPrompt(session)
                session.send(.error(shuttingDownError, command: prompt.command))
            }
            if let command = session.lifecycle.commandInFlight {
                // Still waiting (the database is stuck): answer it now; its late result is not sent.
                session.send(.error(shuttingDownError, command: command))
            }
            session.startLeaving()
            while let input = session.dequeue() {
                if case .line(let bytes) = input, bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                // Every error names the command it answers (a post's is "post"); only a line that names
                // none (too long, not UTF-8, an unknown command) gets an error without one.
                var command: String?
                if case .line(let bytes) = input, let line = String(validating: bytes, as: UTF8.self) {
                    command = CommandParser.commandName(of: line)
                }
                session.send(.error(shuttingDownError, command: command))
            }
            session.send(.bye(reason: "shutdown", message: message))
            session.lifecycle = .saidGoodbye
            session.output.closeAfterFlush(reason: .shutdown)
        }
    }

    private var shuttingDownError: WireError {
        WireError(.shuttingDown, "the server is shutting down; that was not done")
    }

    /// Runs the time-based rules; called about once a second. Password prompts time out, sessions
    /// that neither watch nor send are closed after `idleTimeout`, connections stuck at their output
    /// limit for `slowReaderTimeout` are closed, and stale limit entries are forgotten.
    package func sweep(now: Double) {
        checkConfined()
        metrics.sample(deliveredTotal: hub.delivered, now: now)
        for session in sessions.values where !session.closed {
            if let pending = session.pendingPrompt, settings.promptTimeout > 0,
                now - pending.started > settings.promptTimeout
            {
                timeOutPrompt(session)
            }
            if settings.idleTimeout > 0, session.watch.isSilent, session.isIdle, session.prompt == nil,
                now - session.lastInput > settings.idleTimeout
            {
                log.info("idle", ["conn": session.id, "user": session.user?.name ?? "-"])
                session.startLeaving()
                session.send(
                    .bye(
                        reason: "idle",
                        message: "closing: nothing sent for \(Int(settings.idleTimeout)) s and the live feed is off"))
                session.output.closeAfterFlush(reason: .idle)
            }
            // Held back by its reader: at the output limit, or waiting for output that went out only in part
            // (a session waits for all of it to drain before it reads on).
            let heldBack = session.isOutputFull || session.lifecycle == .waitingForDrain
            if heldBack, let stalled = session.output.stalledSince,
                settings.slowReaderTimeout > 0, now - stalled > settings.slowReaderTimeout
            {
                log.warn(
                    "slow_reader",
                    [
                        "conn": session.id, "user": session.user?.name ?? "-",
                        "pending": session.output.pendingOutputBytes,
                    ], limitKey: "slow_reader")
                session.output.close(reason: .slowReader)
            }
        }
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

@available(*, unavailable) extension Microblog: Sendable {}
