import Dispatch
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// Hears the other nodes sharing a PostgreSQL database: a connection of its own that LISTENs on the
/// cluster channel, read by a Dispatch source on its socket, never on the server queue.
///
/// Its state is confined to its own serial queue (a `QueueBound`, checked on every access); reports are
/// delivered on the server queue (an `OwnerCallback`). When the connection drops it reconnects every
/// second, then reports `reconnected` so the node can catch up by id.
public final class ClusterListener: Sendable {
    /// What changes as the listener connects and drops: `queue`'s alone.
    private struct State {
        var connection: PostgresConnection?
        var source: DispatchSourceRead?
        /// `start` made its first attempt: a connection after it is a reconnection.
        var started = false
        var stopped = false
    }

    private let queue: DispatchQueue
    private let state: QueueBound<State>
    private let uri: String
    private let nodeID: String
    private let serverQueue: DispatchQueue
    private let report: OwnerCallback<ClusterReport>

    static let retryInterval: DispatchTimeInterval = .seconds(1)

    /// `report` runs on `serverQueue`, which must be the queue this is created on.
    public init(uri: String, nodeID: String, serverQueue: DispatchQueue, report: @escaping (ClusterReport) -> Void) {
        let queue = DispatchQueue(label: "microblogd.cluster")
        self.queue = queue
        self.state = QueueBound(State(), on: queue)
        self.uri = uri
        self.nodeID = nodeID
        self.serverQueue = serverQueue
        self.report = OwnerCallback(on: serverQueue, report)
    }

    /// Connects and listens; returns once the first attempt is done, so a node that starts hears
    /// everything committed after it is listening.
    public func start() {
        queue.sync {
            connect()
            state.value.started = true
        }
    }

    public func stop() {
        queue.sync {
            state.value.stopped = true
            drop()
        }
    }

    private func connect() {
        guard !state.value.stopped else { return }
        do {
            let connection = try PostgresConnection(uri: uri)
            try connection.listen(try connection.clusterChannel())
            let source = DispatchSource.makeReadSource(fileDescriptor: connection.socket, queue: queue)
            source.setEventHandler { [weak self] in self?.readable() }
            // The descriptor belongs to the connection: close it only once the source lets go of it.
            source.setCancelHandler { connection.close() }
            source.resume()
            state.withValue { state in
                state.connection = connection
                state.source = source
            }
            // Not on the first attempt: what was committed before it, the node read at start. After a
            // first attempt that failed, as after a connection lost, what came meanwhile is caught up.
            if state.value.started { send(.reconnected) }
        } catch {
            retry()
        }
    }

    private func readable() {
        guard let connection = state.value.connection else { return }
        do {
            let notes = try connection.notifications()
            var events: [ClusterEvent] = []
            var ownPostsThrough: Int64?
            for note in notes {
                guard let (node, event) = ClusterEvent.parse(note.payload) else { continue }
                if node != nodeID {
                    events.append(event)
                } else if case .posts(let ids) = event, let newest = ids.max() {
                    ownPostsThrough = max(ownPostsThrough ?? newest, newest)
                }
            }
            // What arrived with the connection's end is still delivered, before the loss is reported.
            if !events.isEmpty { send(.events(events)) }
            if let ownPostsThrough { send(.ownPostsHeard(through: ownPostsThrough)) }
            guard connection.isConnected else { throw StoreError.closed }
        } catch {
            drop()
            send(.lost("\(error)"))
            retry()
        }
    }

    private func drop() {
        state.withValue { state in
            if let source = state.source {
                source.cancel()  // its cancel handler closes the connection
            } else {
                state.connection?.close()
            }
            state.source = nil
            state.connection = nil
        }
    }

    private func retry() {
        guard !state.value.stopped else { return }
        queue.asyncAfter(deadline: .now() + Self.retryInterval) { [weak self] in self?.connect() }
    }

    private func send(_ value: ClusterReport) {
        let report = self.report
        serverQueue.async { report.call(value) }
    }
}
