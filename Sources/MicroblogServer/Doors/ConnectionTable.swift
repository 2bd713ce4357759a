import MicroblogModel
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The open connections of a door whose sockets are `Connection`s (plain and TLS), and the session each
/// one gets once admitted: everything that is the same on both doors after the accept.
///
/// Confined to the server queue.
final class ConnectionTable {
    private let context: DoorContext
    private let flusher: FlushScheduler
    /// The server's one read buffer, shared by every connection.
    private let readBuffer: ReadBuffer
    private var connections: [Int: Connection] = [:]
    /// Connections open now.
    var count: Int { connections.count }

    /// The open connection `id`, if it is still open. Timers look connections up here rather than holding
    /// a weak reference: a weak reference gives the object a side table for good, and then every retain
    /// of it (one per flush) takes the runtime's slow path.
    subscript(id: Int) -> Connection? { connections[id] }

    init(context: DoorContext, flusher: FlushScheduler, readBuffer: ReadBuffer) {
        self.context = context
        self.flusher = flusher
        self.readBuffer = readBuffer
    }

    /// Takes an accepted socket into a new connection (with `tls`, the TLS door's), which counts from now,
    /// toward `host` too when its address is known. Its owner sets `onEvent` and starts it.
    func add(_ accepted: Listener.Accepted, id: Int, host: String?, tls: TLSFilter? = nil) -> Connection {
        let connection = Connection(
            accepted: accepted, id: id, queue: context.queue, flusher: flusher, readBuffer: readBuffer, tls: tls)
        let sendBuffer = context.settings.socketSendBuffer
        if sendBuffer > 0 { SocketAddress.setOption(accepted.fd, SOL_SOCKET, SO_SNDBUF, Int32(clamping: sendBuffer)) }
        connections[id] = connection
        context.opened(host: host)
        return connection
    }

    /// Forgets connection `id`, which has closed; `host` is the address it was counted under, if any.
    func remove(_ id: Int, host: String?) {
        connections[id] = nil
        context.closed(host: host)
    }

    /// Opens a session on `connection` for the client at `peer` (through `proxy`, when a PROXY header named
    /// it); `first` is input that arrived with the header. The connection already counts toward `peerHost`.
    func openSession(
        on connection: Connection, id: Int, peer: String, peerHost: String, proxy: String?,
        first: UnsafeRawBufferPointer? = nil
    ) {
        let microblog = context.microblog
        let door = connection.door
        if let proxy {
            context.log.info(
                "connect", ["conn": id, "peer": peer, "proxy": proxy, "door": door.rawValue],
                limitKey: "connect \(peerHost)")
        } else {
            context.log.info(
                "connect", ["conn": id, "peer": peer, "door": door.rawValue], limitKey: "connect \(peerHost)")
        }
        let session = microblog.open(id: id, peer: peer, peerHost: peerHost, door: door, output: connection)
        // One closure for everything the connection reports (see `Connection.Event`); it holds the
        // session until the connection closes.
        connection.onEvent = { [weak self, session] event in
            guard let self else { return }
            switch event {
            case .input(let bytes): microblog.receive(bytes, for: session)
            case .endOfInput: microblog.inputEnded(for: session)
            case .drained: microblog.drained(session)
            case .closed(let reason):
                microblog.closed(session, reason: reason)
                microblog.metrics.disconnected(reason)
                remove(id, host: peerHost)
            }
        }
        if let first, first.count > 0 { microblog.receive(first, for: session) }
    }

    /// Stops reading from every connection (the shutdown's first step).
    func pauseReading() {
        for connection in connections.values { connection.pauseReading() }
    }

    /// Closes every connection (the shutdown's last step).
    func closeAll() {
        for connection in connections.values { connection.close(reason: .shutdown) }
    }

    /// What each connection has yet to send.
    var pendingOutputBytes: [Int] { connections.values.map(\.pendingOutputBytes) }
}

@available(*, unavailable) extension ConnectionTable: Sendable {}
