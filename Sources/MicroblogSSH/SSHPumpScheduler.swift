import Dispatch
import MicroblogSupport
import Synchronization

/// Collects SSH connections with channel bytes to move (output written, reading resumed, a close due) and
/// pumps them in later blocks of the server queue, `chunk` connections per block, as `FlushScheduler`
/// does for the other doors: a turn's writes to one channel leave as one SSH packet (one encryption, one
/// `send`), and a post to thousands of SSH watchers is one block per `chunk` of them rather than one
/// block each, so input and the next commit's posts are read in between. Confined to the server queue.
public final class SSHPumpScheduler {
    private let queue: DispatchQueue
    /// Connections to pump, in order, taken `chunk` per block.
    private var due = ChunkedBacklog<SSHConnection>(chunk: SSHPumpScheduler.chunk)
    /// Connections pumped per block of the server queue.
    static let chunk = 1024

    /// The door's `SSHConnection` objects still in memory. Each holds itself through its timers,
    /// channels and pending answers until it finishes (strongly, so that it has no side table: see
    /// `SSHChannel.connection`), so tests check that this falls back to 0 once the clients have gone. A
    /// `Mutex`: the last reference to a connection may be let go on another thread.
    let liveConnections = Mutex(0)
    /// How many of the door's `SSHConnection` objects are in memory (see `liveConnections`).
    public var connectionsInMemory: Int { liveConnections.withLock { $0 } }

    public init(queue: DispatchQueue) { self.queue = queue }

    func schedule(_ connection: SSHConnection) {
        if due.append(connection) { queue.asyncConfined { [self] in pumpDue() } }
    }

    private func pumpDue() {
        let (connections, more) = due.takeChunk()
        if more { queue.asyncConfined { [self] in pumpDue() } }
        // A pump's callbacks may schedule more connections: they go to the back of `due`.
        for connection in connections { connection.runScheduledPump() }
    }
}

@available(*, unavailable) extension SSHPumpScheduler: Sendable {}
