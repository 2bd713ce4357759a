import Dispatch
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// Hears the other nodes sharing a PostgreSQL database: a connection of its own that LISTENs on the
/// cluster channel, read by a Dispatch source on its socket, never on the server queue.
///
/// Confined to its own serial queue; reports are delivered on the server queue. When the connection
/// drops it reconnects every second, then reports `reconnected` so the node can catch up by id.
/// `@unchecked Sendable`: its mutable state is touched only on `queue`, and `report` only ever runs on
/// the server queue (it is an `OwnerCallback`).
package final class ClusterListener: @unchecked Sendable {
    private let queue = DispatchQueue(label: "microblogd.cluster")
    private let uri: String
    private let nodeID: String
    private let serverQueue: DispatchQueue
    private let report: OwnerCallback<ClusterReport>
    private var connection: PostgresConnection?
    private var source: DispatchSourceRead?
    private var everConnected = false
    private var stopped = false

    static let retryInterval: DispatchTimeInterval = .seconds(1)

    /// `report` runs on `serverQueue`, which must be the queue this is created on.
    package init(uri: String, nodeID: String, serverQueue: DispatchQueue, report: @escaping (ClusterReport) -> Void) {
        self.uri = uri
        self.nodeID = nodeID
        self.serverQueue = serverQueue
        self.report = OwnerCallback(on: serverQueue, report)
    }

    /// Connects and listens; returns once the first attempt is done, so a node that starts hears
    /// everything committed after it is listening.
    package func start() {
        queue.sync { connect() }
    }

    package func stop() {
        queue.sync {
            stopped = true
            drop()
        }
    }

    private func connect() {
        guard !stopped else { return }
        do {
            let connection = try PostgresConnection(uri: uri)
            try connection.listen(try connection.clusterChannel())
            let source = DispatchSource.makeReadSource(fileDescriptor: connection.socket, queue: queue)
            source.setEventHandler { [weak self] in self?.readable() }
            // The descriptor belongs to the connection: close it only once the source lets go of it.
            source.setCancelHandler { connection.close() }
            source.resume()
            self.connection = connection
            self.source = source
            if everConnected { send(.reconnected) }
            everConnected = true
        } catch {
            retry()
        }
    }

    private func readable() {
        guard let connection else { return }
        do {
            let notes = try connection.notifications()
            guard connection.isConnected else { throw StoreError.closed }
            let events = notes.compactMap { note -> ClusterEvent? in
                guard let (node, event) = ClusterEvent.parse(note.payload), node != nodeID else { return nil }
                return event
            }
            if !events.isEmpty { send(.events(events)) }
        } catch {
            drop()
            send(.lost("\(error)"))
            retry()
        }
    }

    private func drop() {
        if let source {
            source.cancel()  // its cancel handler closes the connection
        } else {
            connection?.close()
        }
        source = nil
        connection = nil
    }

    private func retry() {
        guard !stopped else { return }
        queue.asyncAfter(deadline: .now() + Self.retryInterval) { [weak self] in self?.connect() }
    }

    private func send(_ value: ClusterReport) {
        let report = self.report
        serverQueue.async { report.call(value) }
    }
}
