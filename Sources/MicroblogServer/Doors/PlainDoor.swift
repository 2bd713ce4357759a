import Dispatch
import MicroblogModel
import MicroblogProtocol
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The plain door (telnet, nc): a session as soon as the connection is admitted, or with
/// `--proxy-protocol` once its PROXY header has named the client. A refused client is told why in one
/// error line.
///
/// Confined to the server queue.
final class PlainDoor: ConnectionDoor {
    let door = Door.plain
    let listener: Listener
    let context: DoorContext
    let connections: ConnectionTable
    /// Every connection begins with a PROXY v1 header (`ServerConfiguration.proxyProtocol`).
    private let proxyProtocol: Bool

    /// How long a connection may take to send its PROXY header.
    static let proxyHeaderTimeout: DispatchTimeInterval = .seconds(10)

    /// `listener` is bound before the database opens, so a taken port leaves no new database behind.
    init(
        listener: Listener, proxyProtocol: Bool, context: DoorContext, flusher: FlushScheduler, readBuffer: ReadBuffer
    ) {
        self.listener = listener
        self.context = context
        self.proxyProtocol = proxyProtocol
        connections = ConnectionTable(context: context, flusher: flusher, readBuffer: readBuffer)
    }

    func accept(_ accepted: Listener.Accepted) {
        // Behind a proxy every connection comes from the proxy: the client's address, and so the
        // per-address limit, is known only once the PROXY header has arrived.
        let host = proxyProtocol ? nil : accepted.peerHost
        if let refusal = context.screen(accepted, door: door, host: host, handshake: false) {
            return refuse(accepted, refusal)
        }
        let id = context.takeConnectionID()
        let connection = connections.add(accepted, id: id, host: host)
        if proxyProtocol {
            awaitProxyHeader(on: connection, id: id, accepted: accepted)
        } else {
            connections.openSession(
                on: connection, id: id, peer: accepted.peer, peerHost: accepted.peerHost, proxy: nil)
        }
        connection.start()
    }

    /// A refusal as text, wrapped to 80 columns as every text line is before the window is known.
    static func refusalText(_ error: WireError) -> [UInt8] {
        Renderer.render(.error(error, command: nil), mode: .text, now: .now(), width: TextWrapper.defaultWidth)
    }

    /// Turns a connection away with one error line. The socket is new and its buffer empty, so one
    /// non-blocking send takes the whole line.
    private func refuse(_ accepted: Listener.Accepted, _ refusal: Admission.Refusal) {
        if let error = refusal.error {
            let line = Self.refusalText(error)
            _ = line.withUnsafeBytes { Glibc.send(accepted.fd, $0.baseAddress, $0.count, SocketFlags.noSignal) }
        }
        Glibc.close(accepted.fd)
        listener.noteRefusal()
    }

    /// With `--proxy-protocol`: reads the PROXY v1 header, then admits the client it names. A
    /// connection whose first bytes are no valid header, or that sends none in time, is closed with a
    /// log line and no reply (whatever connected is not a client we can talk to).
    private func awaitProxyHeader(on connection: Connection, id: Int, accepted: Listener.Accepted) {
        final class Pending {
            var parser = ProxyHeaderParser()
            var waiting = true
        }
        let pending = Pending()
        let proxy = accepted.peer
        let log = context.log
        connection.onEvent = { [weak self, unowned connection] event in
            guard let self else { return }
            let bytes: UnsafeRawBufferPointer
            switch event {
            case .input(let input): bytes = input
            case .endOfInput:
                connection.close(reason: .peerClosed)
                return
            case .drained: return
            case .closed(let reason):
                if reason != .refused { context.microblog.metrics.disconnected(reason) }
                connections.remove(id, host: nil)
                return
            }
            guard pending.waiting else { return }
            switch pending.parser.feed(bytes) {
            case .needMore:
                return
            case .invalid(let reason):
                pending.waiting = false
                log.warn(
                    "proxy_header_invalid", ["conn": id, "proxy": proxy, "reason": reason],
                    limitKey: "proxy_header_invalid")
                connection.close(reason: .error)
            case .done(let header, let consumed):
                pending.waiting = false
                let peer = header.clientAddress ?? proxy
                let host = header.clientHost.map(SocketAddress.limitKey) ?? accepted.peerHost
                admit(
                    connection, id: id, peer: peer, host: host, proxy: proxy,
                    first: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        }
        context.queue.asyncAfterConfined(Self.proxyHeaderTimeout) { [weak self] in
            guard let connection = self?.connections[id], pending.waiting, !connection.isClosed else { return }
            pending.waiting = false
            log.warn("proxy_header_timeout", ["conn": id, "proxy": proxy], limitKey: "proxy_header_timeout")
            connection.close(reason: .error)
        }
    }

    /// The client a PROXY header named: over its address's limit, it is told so and the connection closes
    /// once the line is sent; else it counts toward its address and gets a session.
    private func admit(
        _ connection: Connection, id: Int, peer: String, host: String, proxy: String, first: UnsafeRawBufferPointer
    ) {
        if let refusal = context.check(address: host), let error = refusal.error {
            context.log.warn(
                "refused", ["conn": id, "peer": peer, "proxy": proxy, "reason": refusal.reason],
                limitKey: "refused \(refusal.reason)")
            context.microblog.metrics.refusedConnection()
            connection.write(Self.refusalText(error))
            connection.closeAfterFlush(reason: .refused)
            return
        }
        context.identified(host: host)
        connections.openSession(on: connection, id: id, peer: peer, peerHost: host, proxy: proxy, first: first)
    }
}

@available(*, unavailable) extension PlainDoor: Sendable {}
