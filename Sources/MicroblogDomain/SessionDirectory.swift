import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// Who is connected: the open sessions, the logged-in ones by account with the `Viewer` they share and
/// their `/away` messages, the names Tab completes, and (in `Presence.swift`) presence shared with the
/// other nodes of a PostgreSQL cluster.
/// Confined to the server queue.
final class SessionDirectory {
    let queue: DispatchQueue
    let storage: StorageWorker
    let hub: Hub
    let log: Logger

    /// This node's name among nodes sharing a database, and whether they do (PostgreSQL).
    var nodeID = ""
    var presenceShared = false
    /// Every open session, by connection id.
    private(set) var sessions: [Int: Session] = [:]
    /// Logged-in sessions per account, for presence and for delivering what is addressed to someone.
    private(set) var sessionsByUser: [Int64: [Session]] = [:]
    /// `/away` messages of accounts with a session open.
    var awayMessages: [Int64: String] = [:]
    /// The shared relations of each account with a session open.
    private(set) var viewers: [Int64: Viewer] = [:]
    /// Accounts online on other nodes as of the last presence round (every 2 s), for Tab completion.
    var remoteNames: Set<String> = []
    /// Account names Tab completes after those online, by account id: the newest accounts at start, and
    /// every account logged in since (at most `maxKnownNames`, so a large site costs a bounded amount of
    /// memory), less those deleted since, here or on another node (`forgetName`).
    private(set) var knownNames: [Int64: String] = [:]
    static let maxKnownNames = 5000

    init(queue: DispatchQueue, storage: StorageWorker, hub: Hub, log: Logger) {
        self.queue = queue
        self.storage = storage
        self.hub = hub
        self.log = log
    }

    /// Counts `session` among the open ones.
    func add(_ session: Session) {
        queue.checkConfined()
        sessions[session.id] = session
    }

    /// Forgets a session whose connection has closed.
    func remove(_ session: Session) {
        queue.checkConfined()
        sessions[session.id] = nil
    }

    /// Logs `session` in as `user`, with the live-feed choice `watch` (the account's remembered one)
    /// and its `relations` as just read (which replace any held, being as new or newer).
    func signIn(
        _ session: Session, as user: User, keptApart: Bool = false, watch: WatchSetting, relations: ViewerRelations
    ) {
        queue.checkConfined()
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
        queue.checkConfined()
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
        queue.checkConfined()
        session.watch = watch
        if !watch.isSilent && session.lifecycle != .greeting && !session.closed && !session.runsOneCommand {
            hub.add(session)
        } else {
            hub.remove(session)
        }
    }

    /// Remembers account names for Tab completion (the newest accounts, read at start), up to `maxKnownNames`.
    func rememberNames(_ users: [User]) {
        queue.checkConfined()
        for user in users where knownNames.count < Self.maxKnownNames { knownNames[user.id] = user.name }
    }

    /// A deleted account (here or on another node) is no longer offered by Tab.
    func forgetName(_ userID: Int64) {
        queue.checkConfined()
        knownNames[userID] = nil
    }
}

@available(*, unavailable) extension SessionDirectory: Sendable {}
