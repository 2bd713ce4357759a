import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The domain's facade: what the server calls (sessions opening, input, drains, shutdown, the sweep) and
/// what the command handlers start from. State lives in its services: `Limits`, `SessionDirectory`,
/// `AccountExports`, `CommandDesk`, `Posting` (the newest post id) and `Accounts` (the hashing pool);
/// `Notifications`, `Community`, `People` and `AccountSettings` run their commands beside them.
/// Confined to the server queue (checked at its entry points in every build); storage and hashing run
/// elsewhere and report back here. `Server.init` builds and configures it on the caller's thread before
/// any of its work is scheduled, which is the one hand-over.
public final class Microblog {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    public let hub: Hub
    let log: Logger
    /// Running figures for `/stats`; the server feeds it what only the transport sees.
    public let metrics = Metrics(now: MonotonicClock.now())
    /// Figures only the server and the process know (connections, memory, files), for `/stats`.
    public var processFigures: (() -> ProcessFigures)?
    /// How to reach the encrypted doors, for the `plaintext_denied` error (e.g. "TLS on port 4243").
    public var secureDoors: [String] {
        get { accounts.secureDoors }
        set { accounts.secureDoors = newValue }
    }
    /// The community's message of the day for the greeting, prepared by `Motd` (`--motd FILE`; SIGHUP
    /// reads the file again).
    public var motd: [String] = []

    /// The token buckets and login delays.
    let limits: Limits
    /// The open sessions, who is logged in, and presence.
    let directory: SessionDirectory
    /// Waiting commands' replies and store failures.
    let desk: CommandDesk
    /// `/export`s under way.
    let exports: AccountExports
    /// Notifications, the bell and catch-up.
    let notifications: Notifications
    /// Bans, kicks, announcements, reports and invites.
    let community: Community
    /// Posts: taking them, delivering them live, listing and searching them.
    let posting: Posting
    /// An account's time zone and SSH keys.
    let accountSettings: AccountSettings
    /// Profiles, follows and mutes, away messages, direct messages.
    let people: People
    /// Registering, logging in, passwords, the password prompt and deleting an account; the hashing pool.
    let accounts: Accounts
    /// The order other nodes' announcements go out in.
    let clusterSequence = ClusterSequence()

    /// The database for logs: a file path, or a PostgreSQL location without its password.
    public var databaseName: String {
        get { desk.databaseName }
        set { desk.databaseName = newValue }
    }
    /// Pages of `/export` read from the store so far (for tests and stats).
    public var exportPagesRead: Int { exports.pagesRead }
    /// Where a `CommandReply` finished twice or dropped unfinished is reported (see `CommandDesk`).
    var replyMisuse: (CommandReply.Misuse, String?) -> Void {
        get { desk.replyMisuse }
        set { desk.replyMisuse = newValue }
    }

    /// This node's name among nodes sharing a database, and whether they do (PostgreSQL).
    public var nodeID: String {
        get { directory.nodeID }
        set { directory.nodeID = newValue }
    }
    /// Called on the server queue, before the command's reply, when a ban, its lifting or `/web` changes
    /// whether the web door hides an account (changes made on other nodes it reads within a second).
    public var onWebVisibilityChange: (_ userID: Int64, _ hidden: Bool) -> Void {
        get { accountSettings.onWebVisibilityChange }
        set {
            accountSettings.onWebVisibilityChange = newValue
            community.onWebVisibilityChange = newValue
        }
    }
    /// Several nodes share the database: this node's listener may miss announcements and catch up. Called
    /// once, before the listener starts; reads the newest post, where a catch-up starts while none was heard.
    public func joinCluster() {
        posting.catchUpsPossible = true
        noteNewestPostAtStart()
    }
    public var presenceShared: Bool {
        get { directory.presenceShared }
        set { directory.presenceShared = newValue }
    }
    public init(queue: DispatchQueue, storage: StorageWorker, settings: MicroblogSettings, log: Logger) {
        self.queue = queue
        self.hub = Hub(queue: queue)
        hub.recentCapacity = settings.greetingPosts
        self.settings = settings
        self.storage = storage
        self.log = log
        self.limits = Limits(queue: queue, settings: settings, log: log)
        self.directory = SessionDirectory(queue: queue, storage: storage, hub: hub, log: log)
        self.desk = CommandDesk(queue: queue, storage: storage, log: log)
        desk.onStorageFault = { [metrics] in metrics.storageFault() }
        self.exports = AccountExports(
            queue: queue, settings: settings, storage: storage, log: log, limits: limits, desk: desk)
        self.notifications = Notifications(queue: queue, storage: storage, directory: directory, desk: desk)
        self.community = Community(
            queue: queue, settings: settings, storage: storage, directory: directory, desk: desk, log: log)
        self.posting = Posting(
            queue: queue, settings: settings, storage: storage, hub: hub, directory: directory, limits: limits,
            desk: desk, notifications: notifications, log: log)
        self.accountSettings = AccountSettings(queue: queue, storage: storage, desk: desk, log: log)
        self.people = People(
            queue: queue, settings: settings, storage: storage, directory: directory, limits: limits, desk: desk,
            posting: posting, notifications: notifications, log: log)
        self.accounts = Accounts(
            queue: queue, settings: settings, storage: storage, hub: hub, directory: directory, limits: limits,
            desk: desk, notifications: notifications, log: log)
        storage.onCommit = { [metrics] posts, seconds in
            metrics.committed(posts: posts, seconds: seconds, now: MonotonicClock.now())
        }
        storage.onSearchIndexFailure = { [log] error in log.error("search_index_failed", ["error": "\(error)"]) }
        desk.resume = { [unowned self] session in processQueued(session) }
    }

    /// Stops the process when called off the server queue, in every build; the public entry points call it.
    @inline(__always)
    func checkConfined() {
        queue.checkConfined()
    }

    /// Logs a warning at start for each `--admin` name that no account has exactly (a look-alike that
    /// shares its name key is named too: it gets no rights).
    public func warnAboutMissingAdministrators() {
        checkConfined()
        for name in settings.admins.sorted() {
            storage.perform({ store in try store.account(named: name)?.user.name }) { [log] result in
                guard case .success(let found) = result, found != name else { return }
                if let found {
                    log.warn("admin_missing", ["name": name, "look_alike": found])
                } else {
                    log.warn("admin_missing", ["name": name])
                }
            }
        }
    }

    /// How often a node records its presence, and how old another node's may be before it counts as gone.
    public static let presenceInterval = SessionDirectory.presenceInterval

    /// Records this node's presence for the others (nothing without shared storage).
    public func publishPresence() { directory.publishPresence() }

    /// Removes this node's presence (it is stopping); queued before the store closes.
    public func forgetPresence() { directory.forgetPresence() }

    /// Starts a session on a new connection: greeting, latest posts, then the live feed.
    public func open(id: Int, peer: String, peerHost: String, door: Door = .plain, output: SessionOutput) -> Session {
        queue.checkConfined()
        let session = Session(
            id: id, peer: peer, peerHost: peerHost, door: door, output: output, settings: settings,
            now: MonotonicClock.now())
        directory.add(session)
        greet(session)
        return session
    }

    /// Forgets a session whose connection has closed.
    public func closed(_ session: Session, reason: CloseReason) {
        queue.checkConfined()
        guard !session.closed else { return }
        session.lifecycle = .closed
        hub.remove(session)
        directory.remove(session)
        exports.endExport(of: session)
        let user = session.user
        directory.signOut(session)
        session.user = user  // kept for the log line below
        log.info(
            "disconnect", ["conn": session.id, "reason": reason.rawValue, "user": session.user?.name ?? "-"],
            limitKey: "disconnect \(session.peerHost)")
    }

    /// The session's connection has sent all its pending output: report missed posts, run waiting lines.
    public func drained(_ session: Session) {
        checkConfined()
        guard !session.closed else { return }
        // An export's next page; its lines must not be interrupted by the missed-posts note.
        if exports.continueExport(of: session) || exports.isRunning(for: session) { return }
        if session.prompt == nil || session.mode == .json { session.reportMissed() }
        if session.lifecycle == .waitingForDrain {
            session.lifecycle = .ready
            processQueued(session)
        }
    }

    /// Starts a shutdown: no further line is run (posts already submitted still commit), and `done`
    /// runs once no command is in flight any more, or after `deadline`.
    public func stopRunningCommands(deadline: Double, _ done: @escaping () -> Void) {
        checkConfined()
        desk.shuttingDown = true
        if directory.sessions.values.contains(where: { $0.lifecycle.commandInFlight != nil || $0.postsInFlight > 0 })
            && MonotonicClock.now() < deadline
        {
            queue.asyncAfterConfined(.milliseconds(10)) { [self] in stopRunningCommands(deadline: deadline, done) }
        } else {
            done()
        }
    }

    /// Ends every session with a notice (for shutdown). A pending password prompt and every line
    /// received but not yet run are answered with `shutting_down`, so a client can tell what was not done.
    public func sayGoodbyeToAll(_ message: String) {
        checkConfined()
        desk.shuttingDown = true
        for session in directory.sessions.values {
            if let prompt = session.prompt {
                accounts.endPrompt(session)
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
    public func sweep(now: Double) {
        checkConfined()
        metrics.sample(deliveredTotal: hub.delivered, now: now)
        for session in directory.sessions.values where !session.closed {
            if let pending = session.pendingPrompt, settings.promptTimeout > 0,
                now - pending.started > settings.promptTimeout
            {
                accounts.timeOutPrompt(session)
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
        limits.prune(now: now)
    }
}

@available(*, unavailable) extension Microblog: Sendable {}
