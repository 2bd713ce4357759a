import CLibSSH
import MicroblogDomain
import MicroblogModel
import MicroblogSSH
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The SSH door: its port, its Ed25519 host key file (created on first start, `SSHHostKey.loadOrCreate`),
/// and how long a client has from connecting to running a shell or command.
public struct SSHConfiguration: Sendable, Equatable {
    public var port: UInt16
    public var hostKeyPath: String
    public var loginTimeout: Double

    public static let defaultLoginTimeout = 60.0

    public init(port: UInt16, hostKeyPath: String, loginTimeout: Double = Self.defaultLoginTimeout) {
        self.port = port
        self.hostKeyPath = hostKeyPath
        self.loginTimeout = loginTimeout
    }
}

/// The SSH door: an `SSHConnection` drives libssh for each admitted socket and asks this door (its
/// delegate) to decide logins and to open sessions on its channels, one per shell or command. A connection
/// counts against the same limits as the other doors and takes one key exchange from its address's
/// handshake budget; a refused one is closed before the key exchange (nothing can be said to an SSH client
/// before it).
///
/// Confined to the server queue.
final class SSHDoor: DoorListener {
    let door = Door.ssh
    private let listener: Listener
    private let context: DoorContext
    private let configuration: SSHConfiguration
    let keys: Keys
    /// Where key exchanges run: off the server queue, fairly by address (see `SSHConnection.handshakes`).
    private let handshakes: FairPool
    /// The server's one read buffer, shared by every connection.
    private let readBuffer: ReadBuffer
    /// Moves the connections' channel bytes in batches, once per turn of the queue.
    private let pumps: SSHPumpScheduler
    /// Open connections by id, with the login each is settling or has settled.
    private var connections: [Int: (connection: SSHConnection, login: SSHLogin)] = [:]
    var openConnections: Int { connections.count }
    /// The door's connection objects still in memory (see `SSHPumpScheduler.liveConnections`).
    var connectionsInMemory: Int { pumps.connectionsInMemory }

    /// `listener` is bound and `keys` loaded before the database opens, like the TLS certificate, so a taken
    /// port or a bad key file leaves no new database behind.
    init(
        listener: Listener, configuration: SSHConfiguration, keys: Keys, context: DoorContext,
        readBuffer: ReadBuffer, handshakes: FairPool
    ) {
        self.listener = listener
        self.keys = keys
        self.configuration = configuration
        self.context = context
        self.readBuffer = readBuffer
        self.handshakes = handshakes
        pumps = SSHPumpScheduler(queue: context.queue)
    }

    var boundAddress: String { listener.boundAddress }

    func start() {
        context.wire(listener) { [weak self] accepted in self?.accept(accepted) }
        listener.start()
    }

    func stopAccepting() {
        listener.stop()
        // Not logged in yet: nothing to say goodbye to. The others' sessions get the server's goodbye.
        for (connection, _) in connections.values where connection.channels.isEmpty { connection.finish() }
    }

    func closeAll() {
        for (connection, _) in connections.values { connection.finish() }
    }

    /// SSH channels' output is not counted in the stats.
    var pendingOutputBytes: [Int] { [] }

    private func accept(_ accepted: Listener.Accepted) {
        if context.stopping
            || context.screen(accepted, door: door, host: accepted.peerHost, handshake: true, limitKey: "refused ssh")
                != nil
        {
            listener.refuse(accepted)
            return
        }
        let settings = context.settings
        let id = context.takeConnectionID()
        do {
            let connection = try SSHConnection(
                fd: accepted.fd, id: id, peer: accepted.peer, peerHost: accepted.peerHost, bind: keys.bind,
                queue: context.queue, readBuffer: readBuffer, pumps: pumps, log: context.log,
                messageBudget: TokenBucket(
                    rate: settings.commandRate, burst: settings.commandBurst, now: MonotonicClock.now()),
                delegate: self)
            let login = context.microblog.beginSSHLogin(conn: id, peer: accepted.peer, peerHost: accepted.peerHost)
            connection.handshakes = handshakes
            connections[id] = (connection, login)
            context.opened(host: accepted.peerHost)
            context.log.info(
                "ssh_connect", ["conn": id, "peer": accepted.peer, "door": door.rawValue],
                limitKey: "ssh_connect \(accepted.peerHost)")
            connection.start(loginTimeout: configuration.loginTimeout)
            context.holdIfHandshakesBusy(listener, door: door)
        } catch {
            context.log.error("ssh_failed", ["peer": accepted.peer, "error": "\(error)"], limitKey: "ssh_failed")
        }
    }
}

extension SSHDoor {
    /// The door's host key (loaded, or created on first start, by `SSHHostKey.loadOrCreate`), and the
    /// `ssh_bind` that gives it to libssh for each accepted session (`ssh_bind_accept_fd`); never listened
    /// on, and freed with this. Immutable once made; used on the server queue.
    final class Keys {
        let hostKey: SSHHostKey
        let bind: ssh_bind

        init(path: String) throws {
            hostKey = try SSHHostKey.loadOrCreate(path: path)
            bind = try Self.makeBind(hostKey)
        }

        deinit { ssh_bind_free(bind) }

        /// An `ssh_bind` that is never listened on: it only gives libssh the host key for each accepted session.
        private static func makeBind(_ hostKey: SSHHostKey) throws -> ssh_bind {
            ssh_init()
            guard let bind = ssh_bind_new() else { throw SSHHostKeyError("ssh_bind_new failed") }
            // The bind takes ownership of the key it is given.
            let key = try hostKey.makeLibSSHKey()
            guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, UnsafeRawPointer(key)) == SSH_OK else {
                ssh_key_free(key)
                ssh_bind_free(bind)
                throw SSHHostKeyError("libssh refused the SSH host key")
            }
            // Key exchanges at a fixed, fair price, and the one host key there is (Ed25519): libssh also offers
            // 8192-bit Diffie-Hellman, which costs the server about 150 ms for a packet the client replays.
            for (option, value) in [
                (SSH_BIND_OPTIONS_KEY_EXCHANGE, SSHHostKey.keyExchanges),
                (SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, SSHHostKey.hostKeyAlgorithms),
            ] {
                guard value.withCString({ ssh_bind_options_set(bind, option, $0) }) == SSH_OK else {
                    ssh_bind_free(bind)
                    throw SSHHostKeyError("libssh refused the SSH algorithms \(value)")
                }
            }
            return bind
        }
    }
}

extension SSHDoor: SSHConnectionDelegate {
    func sshAuthenticate(_ connection: SSHConnection, _ request: SSHAuthRequest, _ answer: @escaping (Bool) -> Void) {
        guard let login = connections[connection.id]?.login else { return answer(false) }
        let microblog = context.microblog
        switch request {
        case .none(let user):
            microblog.sshGuestLogin(login, name: user, answer)
        case .password(let user, let password, let method):
            microblog.sshPasswordLogin(login, name: user, password: password, method: method, answer)
        case .publicKey(let user, let type, let key, let signed):
            microblog.sshKeyLogin(login, name: user, type: type, key: key, signed: signed, answer)
        }
    }

    func sshStart(_ connection: SSHConnection, on channel: SSHChannel, command: String?) {
        guard let login = connections[connection.id]?.login else { return channel.close(reason: .error) }
        let id = context.takeConnectionID()
        context.log.info(
            "connect", ["conn": id, "peer": connection.peer, "door": door.rawValue, "ssh": connection.id],
            limitKey: "connect \(connection.peerHost)")
        let session = context.microblog.openSSH(
            login, id: id, output: channel, terminal: channel.terminal, command: command)
        if command == nil {
            channel.onInput = { [weak self, unowned session] bytes in
                self?.context.microblog.receive(bytes, for: session)
            }
            channel.onEndOfInput = { [weak self, unowned session] in self?.context.microblog.inputEnded(for: session) }
        } else {
            // A one-shot command's lines come from the command alone: what is piped into ssh is read and
            // dropped (never posted), and its end changes nothing.
            channel.onInput = { _ in }
            channel.onEndOfInput = {}
        }
        channel.onDrained = { [weak self, unowned session] in self?.context.microblog.drained(session) }
        channel.onWindowChange = { [weak self, unowned session] columns in
            self?.context.microblog.windowChanged(session, columns: columns)
        }
        channel.exitStatus = { [unowned session] in session.runsOneCommand && session.errorsSent > 0 ? 1 : 0 }
        channel.onClose = { [weak self, session] reason in self?.context.microblog.closed(session, reason: reason) }
    }

    func sshFinished(_ connection: SSHConnection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        context.log.info(
            "ssh_disconnect", ["conn": connection.id, "peer": connection.peer],
            limitKey: "ssh_disconnect \(connection.peerHost)")
        context.microblog.metrics.disconnected(.peerClosed)
        context.closed(host: connection.peerHost)
    }
}

@available(*, unavailable) extension SSHDoor: Sendable {}
