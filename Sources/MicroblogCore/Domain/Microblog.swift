import Dispatch

/// Limits and settings of the domain, with their documented defaults.
public struct MicroblogSettings: Sendable {
    /// Longest input line in bytes, without its terminator.
    public var maxLineBytes = 4096
    /// Posts shown on connect.
    public var greetingPosts = 10
    /// Lines a session may have waiting behind a command in flight before the server stops reading
    /// from it (the kernel's buffers then push back on the client).
    public var maxQueuedLines = 256
    /// Password hashes computed at once; more wait their turn.
    public var hashingConcurrency = 2
    public var serverName = "microblogd"
    public var version = "0.1.0"

    public init() {}
}

/// The domain service: sessions, accounts, posts and the commands that act on them.
/// Confined to the server queue; storage and hashing run elsewhere and report back here.
public final class Microblog {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let hashing: HashingPool
    let hub = Hub()
    let log: Logger
    private(set) var sessions: [Int: Session] = [:]
    var shuttingDown = false

    public init(queue: DispatchQueue, storage: StorageWorker, settings: MicroblogSettings, log: Logger) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.log = log
        self.hashing = HashingPool(ownerQueue: queue, maxConcurrent: settings.hashingConcurrency)
    }

    public var sessionCount: Int { sessions.count }

    /// Starts a session on a new connection: greeting, latest posts, then the live feed.
    public func open(id: Int, peer: String, output: SessionOutput) -> Session {
        dispatchPrecondition(condition: .onQueue(queue))
        let session = Session(id: id, peer: peer, output: output, maxLineBytes: settings.maxLineBytes)
        sessions[id] = session
        greet(session)
        return session
    }

    /// Forgets a session whose connection has closed.
    public func closed(_ session: Session, reason: CloseReason) {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !session.closed else { return }
        session.closed = true
        hub.remove(session)
        sessions[session.id] = nil
        log.info("disconnect", ["conn": session.id, "reason": reason.rawValue, "user": session.user?.name ?? "-"])
    }

    /// Ends every session with a notice (for shutdown).
    public func sayGoodbyeToAll(_ message: String) {
        shuttingDown = true
        for session in sessions.values {
            session.send(.bye(reason: "shutdown", message: message))
            session.output.closeAfterFlush(reason: .shutdown)
        }
    }
}
