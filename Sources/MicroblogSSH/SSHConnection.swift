import CLibSSH
import Dispatch
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to the SSH door. It owns the libssh session of one accepted socket and drives it from a
/// read source (and a write source while libssh holds unsent output) on the server queue: no thread per
/// connection.
///
/// libssh's message API is used rather than its callbacks: a message fetched with `ssh_message_get` is
/// ours until answered, so an authentication can wait for storage and the hashing pool while the queue
/// goes on (a callback must answer before it returns). While one waits, later messages wait behind it
/// in libssh's queue, so answers go out in order. Refused: every channel type but `session`, port forwarding (global
/// requests), X11 and agent forwarding, subsystems and environment variables. At most `maxChannels`
/// session channels at once, `maxAuthRequests` authentication requests, and `loginTimeout` to log in.
/// Every message counts against the connection's message budget (the command rate), refused ones too,
/// and so does each wakeup with input (libssh answers a re-key itself, unseen here): past it, messages
/// wait and the socket is not read until the budget allows the next one and those parsed are handled.
///
/// Its work is spread by concept: the turn of the event loop (SSHConnection+Turn.swift), the key exchange
/// (+KeyExchange), messages and their budget (+Messages), authentication (+Authentication), channel
/// requests (+Channels) and moving channel bytes (+Pump).
///
/// Confined to the server queue. libssh owns the descriptor from `init` on: `ssh_free` closes it. Its last
/// reference may be let go on another thread (an answer from the hashing pool): `deinit` touches only the
/// door's `Mutex` counter, and must stay so.
public final class SSHConnection {
    public let id: Int
    public let peer: String
    public let peerHost: String
    let session: ssh_session
    let queue: DispatchQueue
    let log: Logger
    weak var delegate: SSHConnectionDelegate?
    /// Where the key exchange's steps run (the X25519 or P-256 computation and the host key's signature):
    /// a pool shared fairly by client addresses, off the server queue. Nil: on the server queue.
    public var handshakes: FairPool?
    /// The server's one read buffer, shared with every connection: only used within one call.
    let readBuffer: ReadBuffer
    var sources: SSHSocketSources
    var keyExchange = SSHKeyExchangeState()
    var backlog: SSHMessageBacklog
    var login = SSHLoginState()
    public private(set) var channels: [SSHChannel] = []
    private(set) var finished = false
    var pumpScheduled = false
    /// The scheduled pump also reads input (a session resumed reading, a shell started).
    var inputDue = false
    /// Pumps the door's connections in batches (shared by the door's connections).
    let pumps: SSHPumpScheduler
    /// Closes the connection if no shell or command has started within the login timeout; cancelled (and
    /// so freed) once one starts, rather than held for the whole timeout as an `asyncAfter` would be.
    private var loginTimer: DispatchSourceTimer?
    /// Closes the connection 5 s after its last channel ended, unless another opens; cancelled by `finish`.
    /// Once fired with a channel open again it stays, holding the connection, until `finish` or the next
    /// time the channels run out replaces it: bounded by the connection's life.
    var channelsGoneTimer: DispatchSourceTimer?

    static let maxChannels = 2

    /// Takes `fd` (non-blocking, just accepted) into a new libssh session on `bind`, which holds the host key.
    /// On failure the descriptor is closed.
    public init(
        fd: Int32, id: Int, peer: String, peerHost: String, bind: ssh_bind, queue: DispatchQueue,
        readBuffer: ReadBuffer, pumps: SSHPumpScheduler, log: Logger, messageBudget: TokenBucket,
        delegate: SSHConnectionDelegate
    ) throws(SSHHostKeyError) {
        guard let session = ssh_new() else {
            close(fd)
            throw SSHHostKeyError("ssh_new failed")
        }
        guard ssh_bind_accept_fd(bind, session, fd) == SSH_OK else {
            let message = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
            ssh_free(session)
            close(fd)
            throw SSHHostKeyError("cannot start an SSH session: \(message)")
        }
        self.session = session
        self.id = id
        self.peer = peer
        self.peerHost = peerHost
        self.queue = queue
        self.readBuffer = readBuffer
        self.pumps = pumps
        self.log = log
        self.backlog = SSHMessageBacklog(budget: messageBudget)
        self.delegate = delegate
        sources = SSHSocketSources(fd: fd, queue: queue)
        pumps.liveConnections.withLock { $0 += 1 }
    }

    deinit { pumps.liveConnections.withLock { $0 -= 1 } }

    /// Starts the key exchange; a connection not logged in within `loginTimeout` seconds is closed.
    public func start(loginTimeout: Double) {
        ssh_set_blocking(session, 0)
        ssh_set_auth_methods(
            session,
            Int32(SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE))
        sources.read.setEventHandler { [unowned self] in readable() }
        sources.read.setCancelHandler { [self] in sourceCancelled() }
        sources.read.resume()
        // Strong, as every closure that holds the connection: a weak reference would give it a side table,
        // and every retain of it the slow path. `endLoginTimer` (at the latest in `finish`) ends the cycle.
        loginTimer = queue.timerConfined(.milliseconds(Int(loginTimeout * 1000))) { [self] in
            guard !finished, !login.sessionStarted else { return }
            log.info("ssh_login_timeout", ["conn": id, "peer": peer], limitKey: "ssh_login_timeout")
            finish()
        }
        step()
    }

    /// A shell or command has started: the login timeout no longer applies, and its timer is freed.
    func endLoginTimer() {
        loginTimer?.cancel()
        loginTimer = nil
    }

    /// Runs the write source only while libssh holds output the kernel did not take; it is made the first
    /// time it is to run (see `SSHSocketSources`).
    func setWriting(_ run: Bool) {
        if run && sources.write == nil {
            guard !finished else { return }
            let source = DispatchSource.makeWriteSource(fileDescriptor: sources.fd, queue: queue)
            source.setEventHandler { [unowned self] in step() }
            source.setCancelHandler { [self] in sourceCancelled() }
            sources.adopt(source)
        }
        sources.setWriting(run)
    }

    /// Called by each source's cancel handler: the session is released after the last.
    private func sourceCancelled() {
        if sources.sourceCancelled() { release() }
    }

    /// Ends the connection: closes its channels (and so their sessions) and cancels its sources; the last
    /// cancel handler frees the session and with it the descriptor.
    public func finish() {
        guard !finished else { return }
        finished = true
        endLoginTimer()
        channelsGoneTimer?.cancel()
        channelsGoneTimer = nil
        for channel in channels { channel.close(reason: .peerClosed) }
        sources.cancel()
    }

    func release() {
        // The pool's thread still has the session: it is released when the step returns.
        if keyExchange.inFlight {
            keyExchange.releaseWhenReturned = true
            return
        }
        login.free()
        backlog.free()
        if let event = keyExchange.event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
        }
        ssh_disconnect(session)
        ssh_free(session)
        delegate?.sshFinished(self)
    }

    /// Adds a channel the client opened and libssh accepted.
    func add(_ channel: SSHChannel) {
        channels.append(channel)
    }

    /// Forgets `channel`; false when it was not this connection's (any more).
    func remove(_ channel: SSHChannel) -> Bool {
        guard let index = channels.firstIndex(where: { $0 === channel }) else { return false }
        channels.remove(at: index)
        return true
    }

    func errorText() -> String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }

    func refuse(_ what: String) {
        log.info("ssh_refused", ["conn": id, "peer": peer, "what": what], limitKey: "ssh_refused")
    }
}

@available(*, unavailable) extension SSHConnection: Sendable {}
