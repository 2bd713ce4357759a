import Dispatch
import MicroblogDomain
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

/// Wires the layers together: the doors (each a `DoorListener`; they share one `Admission` through their
/// `DoorContext`), sessions and commands (domain), the hub (fan-out) and the storage worker. Owns no logic
/// of its own.
///
/// Its parts are the server queue's (`queue`, which also runs every socket source), held in a
/// `QueueBound` that checks every access; public methods hop onto the queue. What other threads read (the
/// ports, the addresses, the host key) is fixed when it is made, so `Server` is `Sendable` as it stands.
public final class Server: Sendable {
    public let queue: DispatchQueue
    public let configuration: ServerConfiguration
    let log: Logger
    private let parts: QueueBound<Parts>
    /// The address the server listens on, with the real port.
    public let boundAddress: String
    public let port: UInt16
    /// The TLS door's address and port, when there is one.
    public let tlsBoundAddress: String?
    public let tlsPort: UInt16?
    /// The SSH door's address and port, when there is one.
    public let sshBoundAddress: String?
    public let sshPort: UInt16?
    /// The web door's address and port, when there is one.
    public let webBoundAddress: String?
    public let webPort: UInt16?
    /// The SSH door's host key, loaded or created before the database was opened.
    public let sshHostKey: SSHHostKey?
    /// How sends go, for the start log line: `io_uring`, or `send` with why io_uring is not used.
    public let sendPath: String

    /// The layers the server wires, and its own state while it stops: the server queue's.
    private struct Parts {
        let storage: StorageWorker
        let microblog: Microblog
        let flusher: FlushScheduler
        /// Hears the other nodes (PostgreSQL only).
        let cluster: ClusterListener?
        /// What the doors share: admission, connection ids, the shutdown's wait for the last connection.
        let doorContext: DoorContext
        let plainDoor: PlainDoor
        let tlsDoor: TLSDoor?
        let sshDoor: SSHDoor?
        let webDoor: WebDoor?
        /// The sweep, stats and presence timers, cancelled by `shutdown`.
        var timers: [DispatchSourceTimer] = []
        var stopped = false
        var stopCompletions: [@Sendable () -> Void] = []

        /// Every door this server has.
        var doors: [any DoorListener] {
            ([plainDoor, tlsDoor, sshDoor, webDoor] as [(any DoorListener)?]).compactMap { $0 }
        }
    }

    /// A door's listening socket; a taken port is said with the door's option, which picks another.
    private static func listen(_ host: String, _ port: UInt16, option: String, queue: DispatchQueue) throws -> Listener
    {
        do {
            return try Listener(host: host, port: port, queue: queue)
        } catch TransportError.addressInUse(let address) {
            throw PortInUse(address: address, option: option)
        }
    }

    /// A door's port is taken by another program; says which option chooses another.
    struct PortInUse: Error, CustomStringConvertible {
        let address: String
        let option: String
        var description: String {
            "cannot listen on \(address): another program (perhaps another microblogd) is using it; stop it, "
                + "or choose another port with \(option) PORT (\(option) 0 picks a free one)"
        }
    }

    /// Binds the listening sockets and loads the TLS certificate and the SSH host key, then opens (and if
    /// needed creates and migrates) the database, so a taken port or a bad file leaves no new database file
    /// behind. Throws when any fails; accepting starts with `start`.
    public init(configuration: ServerConfiguration, log: Logger = Logger()) throws {
        let queue = DispatchQueue(label: "microblogd.server")
        self.queue = queue
        self.configuration = configuration
        self.log = log
        let host = configuration.host
        let plainListener = try Self.listen(host, configuration.port, option: "--port", queue: queue)
        let tls = try configuration.tls.map {
            (
                configuration: $0, listener: try Self.listen(host, $0.port, option: "--tls-port", queue: queue),
                context: try TLSDoor.loadContext($0)
            )
        }
        let ssh = try configuration.ssh.map {
            (
                configuration: $0, listener: try Self.listen(host, $0.port, option: "--ssh-port", queue: queue),
                keys: try SSHDoor.Keys(path: $0.hostKeyPath)
            )
        }
        let webListener = try configuration.web.map {
            try Self.listen(host, $0.port, option: "--http-port", queue: queue)
        }
        let nodeID = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let stores = try Self.openStores(configuration, nodeID: nodeID)
        let storage = StorageWorker(
            store: stores.writing, serverQueue: queue,
            reader: StorageReader(store: stores.reading, serverQueue: queue))
        let microblog = Microblog(queue: queue, storage: storage, settings: configuration.settings, log: log)
        let flusher = FlushScheduler(
            queue: queue, sendThreads: configuration.sendThreads,
            parallelThreshold: configuration.parallelSendThreshold, ioURing: configuration.ioURing)
        let context = DoorContext(queue: queue, log: log, microblog: microblog, settings: configuration.settings)
        let readBuffer = ReadBuffer()
        // Where TLS handshakes and SSH key exchanges run: off the server queue, fairly by address.
        let handshakes = FairPool(
            label: "microblogd.handshakes", ownerQueue: queue, maxConcurrent: Self.handshakeThreads)
        context.handshakes = handshakes
        let plainDoor = PlainDoor(
            listener: plainListener, proxyProtocol: configuration.proxyProtocol, context: context, flusher: flusher,
            readBuffer: readBuffer)
        let tlsDoor = tls.map {
            TLSDoor(
                listener: $0.listener, configuration: $0.configuration, tlsContext: $0.context, context: context,
                flusher: flusher, readBuffer: readBuffer, handshakes: handshakes,
                plainPort: configuration.proxyProtocol ? nil : plainDoor.port)
        }
        let sshDoor = ssh.map {
            SSHDoor(
                listener: $0.listener, configuration: $0.configuration, keys: $0.keys, context: context,
                readBuffer: readBuffer, handshakes: handshakes)
        }
        let webDoor = try configuration.web.map { web -> WebDoor in
            // Its own queue and its own read-only connection: pages never wait behind commits or searches.
            let webQueue = DispatchQueue(label: "microblogd.web")
            return try WebDoor(
                listener: webListener!, configuration: web,
                reader: StorageReader(store: try Self.openReadingStore(configuration), serverQueue: webQueue),
                webQueue: webQueue, context: context, flusher: flusher, readBuffer: readBuffer)
        }
        microblog.nodeID = nodeID
        microblog.secureDoors =
            (tlsDoor.map { ["TLS on port \($0.port)"] } ?? []) + (sshDoor.map { ["SSH on port \($0.port)"] } ?? [])
        microblog.databaseName = DatabaseLocation(configuration.databasePath).redacted
        if let path = configuration.motdPath { microblog.motd = try Motd.load(path: path) }
        microblog.presenceShared = stores.clusterURI != nil
        if stores.clusterURI != nil { microblog.joinCluster() }
        // Other nodes on the same PostgreSQL database announce their posts, deletions and bans.
        let cluster = stores.clusterURI.map { uri in
            ClusterListener(uri: uri, nodeID: nodeID, serverQueue: queue) { report in
                microblog.receiveCluster(report)
            }
        }
        boundAddress = plainDoor.boundAddress
        port = plainDoor.port
        tlsBoundAddress = tlsDoor?.boundAddress
        tlsPort = tlsDoor?.port
        sshBoundAddress = sshDoor?.boundAddress
        sshPort = sshDoor?.port
        sshHostKey = sshDoor?.keys.hostKey
        webBoundAddress = webDoor?.boundAddress
        webPort = webDoor?.port
        sendPath =
            flusher.usesRings ? "io_uring" : flusher.ringsUnavailable.map { "send (\($0))" } ?? "send"
        parts = QueueBound(
            Parts(
                storage: storage, microblog: microblog, flusher: flusher, cluster: cluster, doorContext: context,
                plainDoor: plainDoor, tlsDoor: tlsDoor, sshDoor: sshDoor, webDoor: webDoor),
            on: queue)
    }

    /// The store `--db` names (a SQLite file or a PostgreSQL database), a second connection for reading,
    /// and the URI the cluster listener needs when the database is shared.
    private static func openStores(
        _ configuration: ServerConfiguration, nodeID: String
    ) throws -> (writing: Store, reading: Store, clusterURI: String?) {
        switch DatabaseLocation(configuration.databasePath) {
        case .sqlite(let path):
            let store = try SQLiteStore(
                path: path, busyTimeoutMilliseconds: configuration.settings.busyTimeoutMilliseconds)
            // A second connection to the migrated file, for the reader (WAL: it reads while the writer commits).
            return (store, try openReadingStore(configuration), nil)
        case .postgres(let uri):
            let shared = try PostgresStore(uri: uri)
            shared.nodeID = nodeID
            return (shared, try openReadingStore(configuration), uri)
        }
    }

    /// A read-only connection to the database `--db` names, once the writing one has migrated it: for the
    /// storage reader and for the web door.
    private static func openReadingStore(_ configuration: ServerConfiguration) throws -> Store {
        switch DatabaseLocation(configuration.databasePath) {
        case .sqlite(let path): return try SQLiteStore(readingOnly: path)
        case .postgres(let uri): return try PostgresStore(readingOnly: uri)
        }
    }

    /// Threads that run TLS handshakes: all processors but the one the server queue needs, at most 2.
    static var handshakeThreads: Int { min(2, max(1, ProcessSetup.usableProcessors - 1)) }

    /// Starts accepting connections. Returns the bound address, e.g. `127.0.0.1:4242`.
    @discardableResult
    public func start() -> String {
        queue.sync {
            let (microblog, doorContext) = (parts.value.microblog, parts.value.doorContext)
            // libdispatch opens its timer descriptor lazily; the sweep timer opens it now, while descriptors
            // are plentiful, so the accept back-off timer works even when the process runs out of them.
            startSweeping()
            microblog.warnAboutMissingAdministrators()
            microblog.loadKnownNames()
            startStatsLines()
            parts.value.cluster?.start()
            startPresence()
            let location = DatabaseLocation(configuration.databasePath)
            microblog.processFigures = {
                var figures = ProcessFigures()
                figures.connections = doorContext.openConnections
                figures.residentBytes = ProcessReadings.residentBytes()
                figures.openFiles = ProcessReadings.openFiles()
                figures.openFilesLimit = ProcessReadings.openFilesLimit()
                if case .sqlite(let path) = location {
                    figures.databaseBytes = ProcessReadings.fileSize(path)
                    figures.walBytes = ProcessReadings.fileSize(path + "-wal")
                }
                return figures
            }
            let doors = parts.value.doors
            parts.value.webDoor?.connectionsByDoor = {
                doors.map { (door: $0.door.rawValue, count: $0.openConnections) }
            }
            for door in doors { door.start() }
        }
        return boundAddress
    }

    /// Loads the TLS certificate and key again (on SIGHUP) into a new context for new connections;
    /// sessions already open keep theirs. A file that cannot be loaded is logged and the old context kept.
    public func reloadTLS() {
        queue.async { [self] in if !parts.value.doorContext.stopping { parts.value.tlsDoor?.reload() } }
    }

    /// Reads the message of the day again (on SIGHUP); a file that cannot be read is logged and the old
    /// message kept.
    public func reloadMotd() {
        queue.async { [self] in
            let microblog = parts.value.microblog
            guard let path = configuration.motdPath, !parts.value.doorContext.stopping else { return }
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
    public func shutdown(flushDeadline: DispatchTimeInterval = .seconds(2), completion: @escaping @Sendable () -> Void)
    {
        queue.async { [self] in
            if parts.value.stopped { return completion() }
            parts.value.stopCompletions.append(completion)
            let (storage, microblog, doorContext, doors) = (
                parts.value.storage, parts.value.microblog, parts.value.doorContext, parts.value.doors
            )
            guard !doorContext.stopping else { return }
            doorContext.stopping = true
            log.info("shutdown", ["connections": doorContext.openConnections])
            for door in doors { door.stopAccepting() }
            for timer in parts.value.timers { timer.cancel() }
            parts.value.cluster?.stop()
            // A command may wait for the database's busy timeout, and a second one behind it.
            let wait = 2 * Double(configuration.settings.busyTimeoutMilliseconds) / 1000 + 5
            microblog.stopRunningCommands(deadline: MonotonicClock.now() + wait) { [self] in
                storage.whenIdle { [self] in
                    microblog.sayGoodbyeToAll("the server is shutting down; goodbye")
                    doorContext.onDrained = { [self] in
                        doorContext.onDrained = nil
                        for door in doors { door.closeAll() }
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
                            parts.value.stopped = true
                            for done in parts.value.stopCompletions { done() }
                            parts.value.stopCompletions.removeAll()
                        }
                    }
                    if doorContext.openConnections == 0 { doorContext.onDrained?() }
                    queue.asyncAfterConfined(flushDeadline) { doorContext.onDrained?() }
                }
            }
        }
    }

    /// The host a local client should dial (see `ServerConfiguration.connectHost`).
    public var connectHost: String { configuration.connectHost }

    /// A snapshot of the server's load, taken on the server queue.
    public func stats() -> Stats {
        queue.sync {
            let (storage, microblog, doorContext) = (
                parts.value.storage, parts.value.microblog, parts.value.doorContext
            )
            let pending = parts.value.doors.flatMap(\.pendingOutputBytes)
            return Stats(
                connections: doorContext.openConnections, watching: microblog.hub.count,
                pendingOutputBytes: pending.reduce(0, +), largestPendingOutput: pending.max() ?? 0,
                largestCommit: storage.largestBatch, exportPagesRead: microblog.exportPagesRead,
                sshConnectionsInMemory: parts.value.sshDoor?.connectionsInMemory ?? 0)
        }
    }

    /// Runs the time-based rules about once a second.
    private func startSweeping() {
        repeatEvery(Self.sweepInterval, leeway: .milliseconds(100)) { [weak self] in
            guard let self else { return }
            parts.value.microblog.sweep(now: MonotonicClock.now())
            parts.value.doorContext.prune(now: MonotonicClock.now())
            log.reportEndedBursts()
        }
    }

    static let sweepInterval: DispatchTimeInterval = .seconds(1)

    /// Records this node's presence for the others every `Microblog.presenceInterval` (shared storage only).
    private func startPresence() {
        let microblog = parts.value.microblog
        guard microblog.presenceShared else { return }
        microblog.publishPresence()
        let period = DispatchTimeInterval.milliseconds(Int(Microblog.presenceInterval * 1000))
        repeatEvery(period, leeway: .milliseconds(200)) { [weak self] in self?.parts.value.microblog.publishPresence() }
    }

    /// Logs the `/stats` figures every `statsInterval` seconds, if any.
    private func startStatsLines() {
        let interval = configuration.statsInterval
        guard interval > 0 else { return }
        let period = DispatchTimeInterval.milliseconds(Int(interval * 1000))
        repeatEvery(period, leeway: .milliseconds(100)) { [weak self] in self?.parts.value.microblog.logStats() }
    }

    /// Runs `handler` on the server queue every `period` from now until `shutdown`.
    private func repeatEvery(
        _ period: DispatchTimeInterval, leeway: DispatchTimeInterval, _ handler: @escaping @Sendable () -> Void
    ) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + period, repeating: period, leeway: leeway)
        timer.setEventHandler(handler: handler)
        timer.resume()
        parts.value.timers.append(timer)
    }
}
