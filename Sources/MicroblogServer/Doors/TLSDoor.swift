import Dispatch
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The TLS door: its port, certificate chain and key (PEM files), and how long a handshake may take.
public struct TLSConfiguration: Sendable, Equatable {
    public var port: UInt16
    public var certificatePath: String
    public var keyPath: String
    /// Seconds a client has to complete the handshake before it is closed.
    public var handshakeTimeout: Double

    public static let defaultHandshakeTimeout: Double = 10

    public init(
        port: UInt16, certificatePath: String, keyPath: String,
        handshakeTimeout: Double = TLSConfiguration.defaultHandshakeTimeout
    ) {
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.handshakeTimeout = handshakeTimeout
    }
}

/// The TLS door: each admitted connection takes one handshake from its address's budget, and gets a
/// session once the handshake is done. It takes no PROXY header, and nothing can be said to a client
/// before its handshake, so a refused one is just closed. A client that plainly speaks no TLS (its first
/// byte is text, or telnet's IAC) is told in one line of plain text how to connect (`plainTextAnswer`).
///
/// Confined to the server queue.
final class TLSDoor: ConnectionDoor {
    let door = Door.tls
    let listener: Listener
    let context: DoorContext
    let connections: ConnectionTable
    private let configuration: TLSConfiguration
    /// What new connections get; replaced by `reload`.
    private var tlsContext: TLSContext
    /// Where handshakes run: off the server queue, fairly by address (see `Connection.handshakes`).
    private let handshakes: FairPool
    /// What a client that speaks plain text here is told (see `plainTextAnswer`); one closure for all.
    private let answer: (String) -> [UInt8]

    /// `listener` is bound and `tlsContext` loaded (`loadContext`) before the database opens, so a taken
    /// port or a bad certificate leaves no new database file behind.
    init(
        listener: Listener, configuration: TLSConfiguration, tlsContext: TLSContext, context: DoorContext,
        flusher: FlushScheduler, readBuffer: ReadBuffer, handshakes: FairPool, plainPort: UInt16?
    ) {
        self.listener = listener
        answer = { local in Self.plainTextAnswer(local: local, plainPort: plainPort) }
        self.tlsContext = tlsContext
        self.configuration = configuration
        self.context = context
        self.handshakes = handshakes
        connections = ConnectionTable(context: context, flusher: flusher, readBuffer: readBuffer)
    }

    /// The certificate chain and key `configuration` names, loaded.
    static func loadContext(_ configuration: TLSConfiguration) throws -> TLSContext {
        try TLSContext(certificatePath: configuration.certificatePath, keyPath: configuration.keyPath)
    }

    /// Loads the certificate and key again into a new context for new connections; those already open
    /// keep theirs. A file that cannot be loaded is logged and the old context kept.
    func reload() {
        do {
            tlsContext = try Self.loadContext(configuration)
            context.log.info("tls_reloaded", ["cert": configuration.certificatePath, "key": configuration.keyPath])
        } catch {
            context.log.error("tls_reload_failed", ["error": "\(error)"])
        }
    }

    func accept(_ accepted: Listener.Accepted) {
        if context.screen(accepted, door: door, host: accepted.peerHost, handshake: true) != nil {
            listener.refuse(accepted)
            return
        }
        let filter: TLSFilter
        do {
            filter = try TLSFilter(context: tlsContext, plainTextAnswer: answer)
        } catch {
            context.log.error("tls_failed", ["peer": accepted.peer, "error": "\(error)"], limitKey: "tls_failed")
            Glibc.close(accepted.fd)
            return
        }
        let id = context.takeConnectionID()
        let connection = connections.add(accepted, id: id, host: accepted.peerHost, tls: filter)
        connection.handshakes = handshakes
        awaitHandshake(on: connection, id: id, accepted: accepted)
        connection.start()
        context.holdIfHandshakesBusy(listener, door: door)
    }

    /// The line for a client that speaks plain text to the TLS port at `local` (`127.0.0.1:4243`, as the
    /// client dialled it): the TLS command the server prints at start, and the plain port when it takes
    /// plain text (`plainPort`; nil behind `--proxy-protocol`, where only the proxy may speak to it).
    /// Each on a line of its own, so it fits 80 columns whatever the address (and a command is never cut).
    static func plainTextAnswer(local: String, plainPort: UInt16?) -> [UInt8] {
        var host = String(local[..<(local.lastIndex(of: ":") ?? local.endIndex)])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var text = "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect \(local)\r\n"
        if let plainPort { text += "* or in plain text:\r\n  telnet \(host) \(plainPort)\r\n" }
        return Array(text.utf8)
    }

    /// Waits for the handshake, then opens the session. A client that sends no TLS (plain text, an HTTP
    /// request), or does not finish the handshake within the configured time, is closed with a log line.
    /// The connection counts against its address's limit from the start.
    private func awaitHandshake(on connection: Connection, id: Int, accepted: Listener.Accepted) {
        final class Pending {
            var handshaking = true
            /// Closes the connection if the handshake is still under way when it fires.
            var timeout: DispatchSourceTimer?
            /// The handshake is over, one way or another: the timer and what it holds go now, not when
            /// it would have fired, as an `asyncAfter` block would.
            func end() {
                handshaking = false
                timeout?.cancel()
                timeout = nil
            }
        }
        let pending = Pending()
        let peer = accepted.peer
        let host = accepted.peerHost
        let log = context.log
        connection.onHandshake = { [weak self, unowned connection] in
            guard let self, pending.handshaking else { return }
            pending.end()
            connections.openSession(on: connection, id: id, peer: peer, peerHost: host, proxy: nil)
        }
        connection.onTLSFailure = { reason in
            let event = pending.handshaking ? "tls_handshake_failed" : "tls_error"
            pending.end()
            log.warn(event, ["conn": id, "peer": peer, "reason": reason], limitKey: event)
        }
        // Once the session opens, its own handler replaces this one.
        connection.onEvent = { [weak self, unowned connection] event in
            guard let self else { return }
            switch event {
            case .input, .drained: break
            case .endOfInput:
                pending.end()
                log.info(
                    "tls_handshake_failed", ["conn": id, "peer": peer, "reason": "closed by the client"],
                    limitKey: "tls_handshake_failed")
                connection.close(reason: .peerClosed)
            case .closed(let reason):
                // Every handshake that does not finish leaves a line: a reset or a read error too.
                if pending.handshaking {
                    pending.end()
                    log.info(
                        "tls_handshake_failed", ["conn": id, "peer": peer, "reason": reason.rawValue],
                        limitKey: "tls_handshake_failed")
                }
                context.microblog.metrics.disconnected(reason)
                connections.remove(id, host: host)
            }
        }
        let timeout = DispatchTimeInterval.milliseconds(Int(configuration.handshakeTimeout * 1000))
        pending.timeout = context.queue.timerConfined(timeout) { [weak self] in
            let handshaking = pending.handshaking
            pending.end()
            guard let connection = self?.connections[id], handshaking, !connection.isClosed else { return }
            log.warn("tls_handshake_timeout", ["conn": id, "peer": peer], limitKey: "tls_handshake_timeout")
            connection.close(reason: .error)
        }
    }
}

@available(*, unavailable) extension TLSDoor: Sendable {}
