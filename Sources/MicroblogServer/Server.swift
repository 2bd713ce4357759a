import CLibSSH
import Dispatch
import MicroblogDomain
import MicroblogFanout
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Where and how to serve.
package struct ServerConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port: UInt16 = 4242
    package var databasePath = "microblog.db"
    package var settings = MicroblogSettings()
    /// Every connection begins with a PROXY protocol v1 header naming the client (behind HAProxy or
    /// stunnel); the client's address is then used for logs, limits and throttling.
    package var proxyProtocol = false
    /// Seconds between stats lines in the log; 0 for none.
    package var statsInterval: Double = 60
    /// Threads that send a broadcast's output when it goes to many connections at once.
    package var sendThreads = ServerConfiguration.defaultSendThreads
    /// Sends go through io_uring (`SendRing`), a batch's in one system call per send thread, when the
    /// kernel allows it (`--io-uring off`: one `send` call each).
    package var ioURing = true
    /// Connections in one flush from which the send threads share the work (fewer: one thread sends them
    /// all, since waking another costs more than it saves).
    var parallelSendThreshold = FlushScheduler.defaultParallelThreshold
    /// The TLS door, if any: a second port on the same host.
    package var tls: TLSConfiguration?
    /// The SSH door, if any: a third port on the same host.
    package var ssh: SSHConfiguration?
    /// The community's rules or message of the day for the greeting (`--motd FILE`), read at start and on
    /// SIGHUP.
    package var motdPath: String?

    package init() {}

    /// One per processor this process may use, at most 4: the sends are kernel work that scales with cores,
    /// and a second thread on the one core `taskset` allows would only switch back and forth.
    package static var defaultSendThreads: Int { min(4, ProcessSetup.usableProcessors) }
}

/// The TLS door: its port, certificate chain and key (PEM files), and how long a handshake may take.
package struct TLSConfiguration: Sendable, Equatable {
    package var port: UInt16
    package var certificatePath: String
    package var keyPath: String
    /// Seconds a client has to complete the handshake before it is closed.
    package var handshakeTimeout: Double

    package static let defaultHandshakeTimeout: Double = 10

    package init(
        port: UInt16, certificatePath: String, keyPath: String,
        handshakeTimeout: Double = TLSConfiguration.defaultHandshakeTimeout
    ) {
        self.port = port
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.handshakeTimeout = handshakeTimeout
    }
}

/// The SSH door: its port, its Ed25519 host key file (created on first start, `SSHHostKey.loadOrCreate`),
/// and how long a client has from connecting to running a shell or command.
package struct SSHConfiguration: Sendable, Equatable {
    package var port: UInt16
    package var hostKeyPath: String
    package var loginTimeout: Double

    package static let defaultLoginTimeout = 60.0

    package init(port: UInt16, hostKeyPath: String, loginTimeout: Double = Self.defaultLoginTimeout) {
        self.port = port
        self.hostKeyPath = hostKeyPath
        self.loginTimeout = loginTimeout
    }
}

/// Wires the layers together: the listener and connections (transport), sessions and commands
/// (domain), the hub (fan-out) and the storage worker. Owns no logic of its own.
///
/// `@unchecked Sendable`: every mutable property is confined to `queue`, the server queue, which also
/// runs every socket source; public methods hop onto it.
package final class Server: @unchecked Sendable {
    package let queue = DispatchQueue(label: "microblogd.server")
    package let configuration: ServerConfiguration
    let log: Logger
    private let storage: StorageWorker
    private let microblog: Microblog
    private let flusher: FlushScheduler
    /// This process's name among the nodes sharing a PostgreSQL database.
    let nodeID = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    /// Where `--db` points: a SQLite file or a PostgreSQL database.
    private let databaseLocation: DatabaseLocation
    /// Hears the other nodes (PostgreSQL only).
    private let cluster: ClusterListener?
    private let readBuffer = ReadBuffer()
    private let listener: Listener
    /// The TLS door's listener and the context new TLS connections get (replaced by `reloadTLS`).
    private let tlsListener: Listener?
    private var tlsContext: TLSContext?
    /// The SSH door's listener.
    private let sshListener: Listener?
    /// The SSH door's host key, loaded or created before the database is opened.
    package let sshHostKey: SSHHostKey?
    /// Holds the host key for libssh (`ssh_bind_accept_fd`); never listened on. Freed in `deinit`.
    private let sshBind: ssh_bind?
    /// Open SSH connections by id, with the login each is settling or has settled.
    private var sshConnections: [Int: (connection: SSHConnection, login: SSHLogin)] = [:]
    private var connections: [Int: Connection] = [:]
    private var connectionsPerHost: [String: Int] = [:]
    /// TLS handshakes and SSH key exchanges each address may start (`handshakesPerMinute`).
    private var handshakeBudget: AddressBudget
    /// Where TLS handshakes run: off the server queue, fairly by address (see `Connection.handshakes`).
    private let handshakes: FairPool
    private var sweepTimer: DispatchSourceTimer?
    private var statsTimer: DispatchSourceTimer?
    private var presenceTimer: DispatchSourceTimer?
    private var nextConnectionID = 1
    private var stopping = false
    private var stopped = false
    private var stopCompletions: [@Sendable () -> Void] = []
    private var onDrained: (() -> Void)?

    /// The address the server listens on, with the real port.
    package let boundAddress: String
    package let port: UInt16
    /// The TLS door's address and port, when there is one.
    package let tlsBoundAddress: String?
    package let tlsPort: UInt16?
    /// The SSH door's address and port, when there is one.
    package let sshBoundAddress: String?
    package let sshPort: UInt16?

    /// Binds the listening socket, then opens (and if needed creates and migrates) the database, so a
    /// taken port leaves no new database file behind. Throws when either fails; accepting starts with
    /// `start`.
    package init(configuration: ServerConfiguration, log: Logger = Logger()) throws {
        self.configuration = configuration
        self.log = log
        listener = try Listener(host: configuration.host, port: configuration.port, queue: queue)
        boundAddress = listener.boundAddress
        port = Self.port(of: boundAddress)
        if let tls = configuration.tls {
            let tlsListener = try Listener(host: configuration.host, port: tls.port, queue: queue)
            self.tlsListener = tlsListener
            tlsBoundAddress = tlsListener.boundAddress
            tlsPort = Self.port(of: tlsListener.boundAddress)
            // Before the database: a bad certificate leaves no new database file behind.
            tlsContext = try TLSContext(certificatePath: tls.certificatePath, keyPath: tls.keyPath)
        } else {
            tlsListener = nil
            tlsBoundAddress = nil
            tlsPort = nil
        }
        if let ssh = configuration.ssh {
            let sshListener = try Listener(host: configuration.host, port: ssh.port, queue: queue)
            self.sshListener = sshListener
            sshBoundAddress = sshListener.boundAddress
            sshPort = Self.port(of: sshListener.boundAddress)
            // Before the database, like the TLS certificate: a bad key file leaves no new database behind.
            let hostKey = try SSHHostKey.loadOrCreate(path: ssh.hostKeyPath)
            sshHostKey = hostKey
            sshBind = try Self.makeSSHBind(hostKey)
        } else {
            sshListener = nil
            sshHostKey = nil
            sshBind = nil
            sshBoundAddress = nil
            sshPort = nil
        }
        let store: Store
        let readingStore: Store
        var clusterURI: String?
        databaseLocation = DatabaseLocation(configuration.databasePath)
        switch databaseLocation {
        case .sqlite(let path):
            store = try SQLiteStore(path: path, busyTimeoutMilliseconds: configuration.settings.busyTimeoutMilliseconds)
            // A second connection to the migrated file, for the reader (WAL: it reads while the writer commits).
            readingStore = try SQLiteStore(readingOnly: path)
        case .postgres(let uri):
            let shared = try PostgresStore(uri: uri)
            shared.nodeID = self.nodeID
            store = shared
            readingStore = try PostgresStore(readingOnly: uri)
            clusterURI = uri
        }
        self.storage = StorageWorker(
            store: store, serverQueue: queue, reader: StorageReader(store: readingStore, serverQueue: queue))
        let microblog = Microblog(queue: queue, storage: storage, settings: configuration.settings, log: log)
        self.microblog = microblog
        microblog.nodeID = nodeID
        microblog.secureDoors =
            (tlsPort.map { ["TLS on port \($0)"] } ?? []) + (sshPort.map { ["SSH on port \($0)"] } ?? [])
        microblog.databaseName = databaseLocation.redacted
        if let path = configuration.motdPath { microblog.motd = try Motd.load(path: path) }
        microblog.presenceShared = clusterURI != nil
        // Other nodes on the same PostgreSQL database announce their posts, deletions and bans.
        let node = nodeID
        let serverQueue = queue
        self.cluster = clusterURI.map { uri in
            ClusterListener(uri: uri, nodeID: node, serverQueue: serverQueue) { report in
                microblog.receiveCluster(report)
            }
        }
        self.handshakeBudget = AddressBudget(perMinute: configuration.settings.handshakesPerMinute)
        self.handshakes = FairPool(
            label: "microblogd.handshakes", ownerQueue: queue, maxConcurrent: Self.handshakeThreads)
        self.flusher = FlushScheduler(
            queue: queue, sendThreads: configuration.sendThreads,
            parallelThreshold: configuration.parallelSendThreshold,
            ioURing: configuration.ioURing)
    }

    /// Threads that run TLS handshakes: all processors but the one the server queue needs, at most 2.
    static var handshakeThreads: Int { min(2, max(1, ProcessSetup.usableProcessors - 1)) }

    /// How sends go, for the start log line: `on` (io_uring), `off` (asked for), or why io_uring is not
    /// available here.
    package var sendPath: String {
        if flusher.usesRings { return "io_uring" }
        if let reason = flusher.ringsUnavailable { return "send (\(reason))" }
        return "send"
    }

    deinit {
        if let sshBind { ssh_bind_free(sshBind) }
    }

    /// Starts accepting connections. Returns the bound address, e.g. `127.0.0.1:4242`.
    @discardableResult
    package func start() -> String {
        queue.sync {
            // libdispatch opens its timer descriptor lazily; the sweep timer opens it now, while descriptors
            // are plentiful, so the accept back-off timer works even when the process runs out of them.
            startSweeping()
            microblog.warnAboutMissingAdministrators()
            microblog.loadKnownNames()
            startStatsLines()
            cluster?.start()
            startPresence()
            let location = databaseLocation
            microblog.processFigures = { [unowned self] in
                var figures = ProcessFigures()
                figures.connections = openConnections
                figures.residentBytes = ProcessReadings.residentBytes()
                figures.openFiles = ProcessReadings.openFiles()
                figures.openFilesLimit = ProcessReadings.openFilesLimit()
                if case .sqlite(let path) = location {
                    figures.databaseBytes = ProcessReadings.fileSize(path)
                    figures.walBytes = ProcessReadings.fileSize(path + "-wal")
                }
                return figures
            }
            listener.onAccept = { [weak self] accepted in self?.accept(accepted) }
            listener.onError = { [log] message in log.error("accept", ["error": message], limitKey: "accept") }
            listener.start()
            tlsListener?.onAccept = { [weak self] accepted in self?.accept(accepted, door: .tls) }
            tlsListener?.onError = { [log] message in log.error("accept", ["error": message], limitKey: "accept") }
            tlsListener?.start()
            sshListener?.onAccept = { [weak self] accepted in self?.acceptSSH(accepted) }
            sshListener?.onError = { [log] message in log.error("accept", ["error": message], limitKey: "accept") }
            sshListener?.start()
        }
        return boundAddress
    }

    private static func port(of address: String) -> UInt16 {
        UInt16(address.split(separator: ":").last.flatMap { UInt16($0) } ?? 0)
    }

    /// Loads the TLS certificate and key again (on SIGHUP) into a new context for new connections;
    /// sessions already open keep theirs. A file that cannot be loaded is logged and the old context kept.
    package func reloadTLS() {
        queue.async { [self] in
            guard let tls = configuration.tls, !stopping else { return }
            do {
                tlsContext = try TLSContext(certificatePath: tls.certificatePath, keyPath: tls.keyPath)
                log.info("tls_reloaded", ["cert": tls.certificatePath, "key": tls.keyPath])
            } catch {
                log.error("tls_reload_failed", ["error": "\(error)"])
            }
        }
    }

    /// Reads the message of the day again (on SIGHUP); a file that cannot be read is logged and the old
    /// message kept.
    package func reloadMotd() {
        queue.async { [self] in
            guard let path = configuration.motdPath, !stopping else { return }
            do {
                microblog.motd = try Motd.load(path: path)
                log.info("motd_reloaded", ["path": path, "lines": microblog.motd.count])
            } catch {
                log.error("motd_reload_failed", ["path": path, "error": "\(error)"])
            }
        }
    }

    /// Graceful stop: no new connections or commands, in-flight posts committed and acknowledged,
    /// every session told, output flushed (for up to `flushDeadline`), then the database closed.
    /// `completion` runs on the server queue.
    package func shutdown(flushDeadline: DispatchTimeInterval = .seconds(2), completion: @escaping @Sendable () -> Void)
    {
        queue.async { [self] in
            if stopped { return completion() }
            stopCompletions.append(completion)
            guard !stopping else { return }
            stopping = true
            log.info("shutdown", ["connections": openConnections])
            listener.stop()
            tlsListener?.stop()
            sshListener?.stop()
            // Not logged in yet: nothing to say goodbye to. The others' sessions get the goodbye below.
            for (connection, _) in sshConnections.values where connection.channels.isEmpty { connection.finish() }
            sweepTimer?.cancel()
            statsTimer?.cancel()
            cluster?.stop()
            presenceTimer?.cancel()
            for connection in connections.values { connection.pauseReading() }
            // A command may wait for the database's busy timeout, and a second one behind it.
            let wait = 2 * Double(configuration.settings.busyTimeoutMilliseconds) / 1000 + 5
            microblog.stopRunningCommands(deadline: MonotonicClock.now() + wait) { [self] in
                storage.whenIdle { [self] in
                    microblog.sayGoodbyeToAll("the server is shutting down; goodbye")
                    onDrained = { [self] in
                        onDrained = nil
                        for connection in connections.values { connection.close(reason: .shutdown) }
                        for (connection, _) in sshConnections.values { connection.finish() }
                        microblog.forgetPresence()
                        storage.close { [self] in
                            log.reportEndedBursts(all: true)
                            log.info(
                                "stopped",
                                [
                                    "commits": storage.commits, "posts_committed": storage.committedPosts,
                                    "largest_commit": storage.largestBatch,
                                    "notification_commits": storage.notificationCommits,
                                    "notification_actions": storage.committedNotificationActions,
                                    "search_index_runs": storage.searchIndexRuns,
                                    "search_index_longest_lag_ms": Int(storage.searchIndexLongestLag * 1000),
                                ])
                            stopped = true
                            for done in stopCompletions { done() }
                            stopCompletions.removeAll()
                        }
                    }
                    if openConnections == 0 { onDrained?() }
                    queue.asyncAfterConfined(flushDeadline) { [self] in onDrained?() }
                }
            }
        }
    }

    /// The host a local client should dial: the listen address, or loopback when listening on all.
    package var connectHost: String {
        switch configuration.host {
        case "0.0.0.0", "": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return configuration.host
        }
    }

    /// A snapshot of the server's load, taken on the server queue.
    package struct Stats: Sendable, Equatable {
        package var connections: Int
        package var watching: Int
        package var pendingOutputBytes: Int
        package var largestPendingOutput: Int
        /// The most posts committed in one transaction so far (group commit at work).
        package var largestCommit: Int
        /// Pages of `/export` read from the store so far.
        package var exportPagesRead = 0
    }

    package func stats() -> Stats {
        queue.sync {
            let pending = connections.values.map(\.pendingOutputBytes)
            return Stats(
                connections: openConnections, watching: microblog.hub.count,
                pendingOutputBytes: pending.reduce(0, +), largestPendingOutput: pending.max() ?? 0,
                largestCommit: storage.largestBatch, exportPagesRead: microblog.exportPagesRead)
        }
    }

    /// On the SSH door: an `SSHConnection` drives libssh for the socket and asks this server (its delegate)
    /// to decide logins and to open sessions on its channels. It counts against the same limits as the
    /// other doors; a connection over a limit is closed before the key exchange (nothing can be said to an
    /// SSH client before it).
    private func acceptSSH(_ accepted: Listener.Accepted) {
        let settings = configuration.settings
        let full = settings.maxConnections > 0 && openConnections >= settings.maxConnections
        if stopping || full || perAddressLimitError(accepted.peerHost) != nil {
            if !stopping {
                log.warn(
                    "refused",
                    [
                        "peer": accepted.peer,
                        "reason": full
                            ? WireError.Code.serverFull.rawValue : WireError.Code.tooManyConnections.rawValue,
                        "door": Door.ssh.rawValue,
                    ], limitKey: "refused ssh")
                microblog.metrics.refusedConnection()
            }
            Glibc.close(accepted.fd)
            return
        }
        guard let sshBind, let ssh = configuration.ssh else {
            Glibc.close(accepted.fd)
            return
        }
        guard admitHandshake(accepted, door: .ssh) else { return }
        let id = nextConnectionID
        nextConnectionID += 1
        do {
            let connection = try SSHConnection(
                fd: accepted.fd, id: id, peer: accepted.peer, peerHost: accepted.peerHost, bind: sshBind, queue: queue,
                readBuffer: readBuffer, log: log,
                messageBudget: TokenBucket(
                    rate: settings.commandRate, burst: settings.commandBurst, now: MonotonicClock.now()),
                delegate: self)
            let login = microblog.beginSSHLogin(conn: id, peer: accepted.peer, peerHost: accepted.peerHost)
            connection.handshakes = handshakes
            sshConnections[id] = (connection, login)
            connectionsPerHost[accepted.peerHost, default: 0] += 1
            microblog.metrics.connected(count: openConnections)
            log.info(
                "ssh_connect", ["conn": id, "peer": accepted.peer, "door": Door.ssh.rawValue],
                limitKey: "ssh_connect \(accepted.peerHost)")
            connection.start(loginTimeout: ssh.loginTimeout)
        } catch {
            log.error("ssh_failed", ["peer": accepted.peer, "error": "\(error)"], limitKey: "ssh_failed")
        }
    }

    /// Connections on every door, for the limits and the figures.
    private var openConnections: Int { connections.count + sshConnections.count }

    /// An `ssh_bind` that is never listened on: it only gives libssh the host key for each accepted session.
    private static func makeSSHBind(_ hostKey: SSHHostKey) throws -> ssh_bind {
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

    private func accept(_ accepted: Listener.Accepted, door: Door = .plain) {
        let settings = configuration.settings
        if settings.maxConnections > 0 && openConnections >= settings.maxConnections {
            return refuse(
                accepted,
                WireError(.serverFull, "the server is full (\(settings.maxConnections) connections); try later"),
                door: door)
        }
        // Behind a proxy every connection comes from the proxy: the client's address, and so the
        // per-address limit, is known only once the PROXY header has arrived. The TLS door takes no
        // PROXY header.
        let proxied = configuration.proxyProtocol && door == .plain
        if !proxied, let error = perAddressLimitError(accepted.peerHost) {
            return refuse(accepted, error, door: door)
        }
        var filter: TLSFilter?
        if door == .tls {
            guard admitHandshake(accepted, door: door) else { return }
        }
        if door == .tls, let tlsContext {
            do {
                filter = try TLSFilter(context: tlsContext)
            } catch {
                log.error("tls_failed", ["peer": accepted.peer, "error": "\(error)"], limitKey: "tls_failed")
                Glibc.close(accepted.fd)
                return
            }
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = Connection(
            accepted: accepted, id: id, queue: queue, flusher: flusher, readBuffer: readBuffer, tls: filter)
        if filter != nil { connection.handshakes = handshakes }
        if settings.socketSendBuffer > 0 {
            SocketAddress.setOption(accepted.fd, SOL_SOCKET, SO_SNDBUF, Int32(clamping: settings.socketSendBuffer))
        }
        connections[id] = connection
        microblog.metrics.connected(count: openConnections)
        if door == .tls {
            awaitHandshake(on: connection, id: id, accepted: accepted)
        } else if proxied {
            awaitProxyHeader(on: connection, id: id, accepted: accepted)
        } else {
            admit(connection, id: id, peer: accepted.peer, peerHost: accepted.peerHost, proxy: nil)
        }
        connection.start()
    }

    /// Takes one handshake from the address's budget; without one the connection is closed at once, before
    /// any key exchange (a secure door can say nothing before its handshake), with a log line.
    private func admitHandshake(_ accepted: Listener.Accepted, door: Door) -> Bool {
        guard let wait = handshakeBudget.take(accepted.peerHost, now: MonotonicClock.now()) else { return true }
        log.warn(
            "refused",
            [
                "peer": accepted.peer, "reason": "handshake_budget", "door": door.rawValue,
                "retry_after": Int(wait.rounded(.up)),
            ], limitKey: "refused handshake_budget")
        microblog.metrics.refusedConnection()
        Glibc.close(accepted.fd)
        return false
    }

    /// The refusal for one more connection from `host`, if it has as many as it may.
    private func perAddressLimitError(_ host: String) -> WireError? {
        let limit = configuration.settings.maxConnectionsPerIP
        guard limit > 0, connectionsPerHost[host, default: 0] >= limit else { return nil }
        return WireError(.tooManyConnections, "too many connections from your address (\(limit)); close some first")
    }

    /// Opens a session on `connection` for the client at `peer`; `first` is input that arrived with
    /// the PROXY header.
    private func admit(
        _ connection: Connection, id: Int, peer: String, peerHost: String, proxy: String?,
        first: UnsafeRawBufferPointer? = nil, countedAlready: Bool = false
    ) {
        if !countedAlready { connectionsPerHost[peerHost, default: 0] += 1 }
        let door = connection.door
        if let proxy {
            log.info(
                "connect", ["conn": id, "peer": peer, "proxy": proxy, "door": door.rawValue],
                limitKey: "connect \(peerHost)")
        } else {
            log.info("connect", ["conn": id, "peer": peer, "door": door.rawValue], limitKey: "connect \(peerHost)")
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
                connections[id] = nil
                let remaining = (connectionsPerHost[peerHost] ?? 1) - 1
                connectionsPerHost[peerHost] = remaining > 0 ? remaining : nil
                if openConnections == 0 { onDrained?() }
            }
        }
        if let first, first.count > 0 { microblog.receive(first, for: session) }
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
                if reason != .refused { microblog.metrics.disconnected(reason) }
                connections[id] = nil
                if openConnections == 0 { onDrained?() }
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
                if let error = perAddressLimitError(host) {
                    log.warn(
                        "refused", ["conn": id, "peer": peer, "proxy": proxy, "reason": error.code.rawValue],
                        limitKey: "refused \(error.code.rawValue)")
                    microblog.metrics.refusedConnection()
                    connection.write(TextRenderer.render(.error(error, command: nil), now: .now()))
                    connection.closeAfterFlush(reason: .refused)
                    return
                }
                admit(
                    connection, id: id, peer: peer, peerHost: host, proxy: proxy,
                    first: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        }
        queue.asyncAfterConfined(Self.proxyHeaderTimeout) { [weak self, weak connection] in
            guard let self, let connection, pending.waiting, !connection.isClosed else { return }
            pending.waiting = false
            log.warn("proxy_header_timeout", ["conn": id, "proxy": proxy], limitKey: "proxy_header_timeout")
            connection.close(reason: .error)
        }
    }

    /// On the TLS door: waits for the handshake, then admits the client. A client that sends no TLS
    /// (plain text, an HTTP request), or does not finish the handshake within the configured time, is
    /// closed with a log line. The connection counts against its address's limit from the start.
    private func awaitHandshake(on connection: Connection, id: Int, accepted: Listener.Accepted) {
        final class Pending {
            var handshaking = true
        }
        let pending = Pending()
        let peer = accepted.peer
        let host = accepted.peerHost
        connectionsPerHost[host, default: 0] += 1
        connection.onHandshake = { [weak self, unowned connection] in
            guard let self, pending.handshaking else { return }
            pending.handshaking = false
            admit(connection, id: id, peer: peer, peerHost: host, proxy: nil, countedAlready: true)
        }
        connection.onTLSFailure = { [weak self] reason in
            guard let self else { return }
            let event = pending.handshaking ? "tls_handshake_failed" : "tls_error"
            pending.handshaking = false
            log.warn(event, ["conn": id, "peer": peer, "reason": reason], limitKey: event)
        }
        // Once admitted, the session's own handler replaces this one.
        connection.onEvent = { [weak self, unowned connection] event in
            guard let self else { return }
            switch event {
            case .input, .drained: break
            case .endOfInput:
                pending.handshaking = false
                log.info(
                    "tls_handshake_failed", ["conn": id, "peer": peer, "reason": "closed by the client"],
                    limitKey: "tls_handshake_failed")
                connection.close(reason: .peerClosed)
            case .closed(let reason):
                // Every handshake that does not finish leaves a line: a reset or a read error too.
                if pending.handshaking {
                    pending.handshaking = false
                    log.info(
                        "tls_handshake_failed", ["conn": id, "peer": peer, "reason": reason.rawValue],
                        limitKey: "tls_handshake_failed")
                }
                microblog.metrics.disconnected(reason)
                connections[id] = nil
                let remaining = (connectionsPerHost[host] ?? 1) - 1
                connectionsPerHost[host] = remaining > 0 ? remaining : nil
                if openConnections == 0 { onDrained?() }
            }
        }
        let timeout = configuration.tls?.handshakeTimeout ?? TLSConfiguration.defaultHandshakeTimeout
        queue.asyncAfterConfined(.milliseconds(Int(timeout * 1000))) { [weak self, weak connection] in
            guard let self, let connection, pending.handshaking, !connection.isClosed else { return }
            pending.handshaking = false
            log.warn("tls_handshake_timeout", ["conn": id, "peer": peer], limitKey: "tls_handshake_timeout")
            connection.close(reason: .error)
        }
    }

    /// How long a connection may take to send its PROXY header.
    static let proxyHeaderTimeout: DispatchTimeInterval = .seconds(10)

    /// Turns a connection away with one error line. The socket is new and its buffer empty, so one
    /// non-blocking send takes the whole line.
    /// On the TLS door no line can be read before a handshake, so the connection is just closed.
    private func refuse(_ accepted: Listener.Accepted, _ error: WireError, door: Door) {
        log.warn(
            "refused", ["peer": accepted.peer, "reason": error.code.rawValue, "door": door.rawValue],
            limitKey: "refused \(error.code.rawValue)")
        microblog.metrics.refusedConnection()
        guard door == .plain else {
            Glibc.close(accepted.fd)
            return
        }
        let line = TextRenderer.render(.error(error, command: nil), now: .now())
        _ = line.withUnsafeBytes { Glibc.send(accepted.fd, $0.baseAddress, $0.count, SocketFlags.noSignal) }
        Glibc.close(accepted.fd)
    }

    /// Runs the time-based rules about once a second.
    private func startSweeping() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.sweepInterval, repeating: Self.sweepInterval, leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in
            self?.microblog.sweep(now: MonotonicClock.now())
            self?.handshakeBudget.prune(now: MonotonicClock.now())
            self?.log.reportEndedBursts()
        }
        timer.resume()
        sweepTimer = timer
    }

    static let sweepInterval: DispatchTimeInterval = .seconds(1)

    /// Records this node's presence for the others every `Microblog.presenceInterval` (shared storage only).
    private func startPresence() {
        guard microblog.presenceShared else { return }
        microblog.publishPresence()
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = DispatchTimeInterval.milliseconds(Int(Microblog.presenceInterval * 1000))
        timer.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(200))
        timer.setEventHandler { [weak self] in self?.microblog.publishPresence() }
        timer.resume()
        presenceTimer = timer
    }

    /// Logs the `/stats` figures every `statsInterval` seconds, if any.
    private func startStatsLines() {
        let interval = configuration.statsInterval
        guard interval > 0 else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = DispatchTimeInterval.milliseconds(Int(interval * 1000))
        timer.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.microblog.logStats() }
        timer.resume()
        statsTimer = timer
    }
}

extension Server: SSHConnectionDelegate {
    package func sshAuthenticate(_ connection: SSHConnection, _ request: SSHAuthRequest, _ answer: @escaping (Bool) -> Void) {
        guard let login = sshConnections[connection.id]?.login else { return answer(false) }
        switch request {
        case .none(let user):
            microblog.sshGuestLogin(login, name: user, answer)
        case .password(let user, let password, let method):
            microblog.sshPasswordLogin(login, name: user, password: password, method: method, answer)
        case .publicKey(let user, let type, let key, let signed):
            microblog.sshKeyLogin(login, name: user, type: type, key: key, signed: signed, answer)
        }
    }

    package func sshStart(_ connection: SSHConnection, on channel: SSHChannel, command: String?) {
        guard let login = sshConnections[connection.id]?.login else { return channel.close(reason: .error) }
        let id = nextConnectionID
        nextConnectionID += 1
        log.info(
            "connect", ["conn": id, "peer": connection.peer, "door": Door.ssh.rawValue, "ssh": connection.id],
            limitKey: "connect \(connection.peerHost)")
        let session = microblog.openSSH(login, id: id, output: channel, terminal: channel.terminal, command: command)
        if command == nil {
            channel.onInput = { [weak self, unowned session] bytes in self?.microblog.receive(bytes, for: session) }
            channel.onEndOfInput = { [weak self, unowned session] in self?.microblog.inputEnded(for: session) }
        } else {
            // A one-shot command's lines come from the command alone: what is piped into ssh is read and
            // dropped (never posted), and its end changes nothing.
            channel.onInput = { _ in }
            channel.onEndOfInput = {}
        }
        channel.onDrained = { [weak self, unowned session] in self?.microblog.drained(session) }
        channel.onWindowChange = { [weak self, unowned session] columns in
            self?.microblog.windowChanged(session, columns: columns)
        }
        channel.exitStatus = { [unowned session] in session.runsOneCommand && session.errorsSent > 0 ? 1 : 0 }
        channel.onClose = { [weak self, session] reason in self?.microblog.closed(session, reason: reason) }
    }

    package func sshFinished(_ connection: SSHConnection) {
        guard sshConnections.removeValue(forKey: connection.id) != nil else { return }
        log.info(
            "ssh_disconnect", ["conn": connection.id, "peer": connection.peer],
            limitKey: "ssh_disconnect \(connection.peerHost)")
        microblog.metrics.disconnected(.peerClosed)
        let remaining = (connectionsPerHost[connection.peerHost] ?? 1) - 1
        connectionsPerHost[connection.peerHost] = remaining > 0 ? remaining : nil
        if openConnections == 0 { onDrained?() }
    }
}
