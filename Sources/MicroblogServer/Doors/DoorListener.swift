import MicroblogModel
import MicroblogTransport

/// One way in: a listening socket, what each connection accepted on it needs before a session (a PROXY
/// header, a TLS handshake, an SSH login), and the sessions it then opens. Every door checks its
/// connections against the same `Admission`, through the `DoorContext` they share. Adding a door is adding
/// a type that conforms, and a line in `Server` that makes it.
///
/// Confined to the server queue.
protocol DoorListener: AnyObject {
    /// Which door this is, for logs and sessions.
    var door: Door { get }
    /// The address it listens on, with the real port (bound before the database opens).
    var boundAddress: String { get }
    /// Starts accepting connections.
    func start()
    /// The shutdown's first step: stops accepting, lets go of connections that have no session yet, and
    /// stops reading from the others (their sessions are told goodbye next).
    func stopAccepting()
    /// The shutdown's last step: closes every connection still open.
    func closeAll()
    /// What each of its connections has yet to send, for `Server.stats`.
    var pendingOutputBytes: [Int] { get }
    /// Its connections open now, for `/metrics`.
    var openConnections: Int { get }
}

extension DoorListener {
    /// The port of `boundAddress`.
    var port: UInt16 { UInt16(boundAddress.split(separator: ":").last.flatMap { UInt16($0) } ?? 0) }
}

/// A door whose accepted sockets become `Connection`s in a `ConnectionTable` (plain and TLS): what it
/// does at start, at shutdown and for `/stats` is the same, and only `accept` differs.
///
/// Confined to the server queue.
protocol ConnectionDoor: DoorListener {
    var listener: Listener { get }
    var context: DoorContext { get }
    var connections: ConnectionTable { get }
    /// Takes one accepted socket towards a session (on the server queue).
    func accept(_ accepted: Listener.Accepted)
}

extension ConnectionDoor {
    var boundAddress: String { listener.boundAddress }

    func start() {
        context.wire(listener) { [weak self] accepted in self?.accept(accepted) }
        listener.start()
    }

    func stopAccepting() {
        listener.stop()
        connections.pauseReading()
    }

    func closeAll() { connections.closeAll() }

    var pendingOutputBytes: [Int] { connections.pendingOutputBytes }

    var openConnections: Int { connections.count }
}
