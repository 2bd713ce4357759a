import Dispatch
import MicroblogHTTP
import MicroblogModel
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The web door (`--http-port`): HTTP through libmicrohttpd on a queue of its own. Its listener accepts on
/// the server queue and admits each connection as every door does (the total and per-address limits);
/// the socket then goes to the daemon, and comes back to the count when the daemon closes it. A refused
/// client gets a `503` or `429` it can read.
///
/// Confined to the server queue; the daemon and the site are the web queue's.
final class WebDoor: DoorListener {
    let door = Door.web
    let listener: Listener
    let context: DoorContext
    let webQueue: DispatchQueue
    /// `WebConfiguration.trustedProxies`.
    private let trustedProxies: Set<String>
    /// The daemon, the web queue's.
    private let daemon: QueueBound<HTTPDaemon>
    /// The door's own read-only connection to the store.
    private let reader: StorageReader
    /// The live streams, the server queue's; the relay hands them the hub's posts.
    private let streams: QueueBound<WebStreams>
    private let relay: WebRelay
    /// The site, the web queue's.
    private let site: QueueBound<WebSite>

    init(
        listener: Listener, configuration: WebConfiguration, reader: StorageReader, webQueue: DispatchQueue,
        context: DoorContext, flusher: FlushScheduler, readBuffer: ReadBuffer
    ) throws {
        self.listener = listener
        self.context = context
        self.webQueue = webQueue
        self.reader = reader
        trustedProxies = configuration.trustedProxies
        var configuration = configuration
        if configuration.baseURL.isEmpty { configuration.baseURL = "http://" + listener.boundAddress }
        let site = WebSite(
            queue: webQueue, configuration: configuration, reader: reader, siteName: context.settings.serverName,
            log: context.log)
        let microblog = QueueBound(context.microblog, on: context.queue)
        let serverQueue = context.queue
        site.search = { text, host, done in
            let back = OwnerCallback(on: webQueue, done)
            serverQueue.async {
                microblog.value.searchWithoutSession(text, from: host) { result in webQueue.async { back.call(result) }
                }
            }
        }
        site.passwordsNeedHTTPS = !context.settings.plaintextPasswords
        site.signIn = { name, password, host, secure, done in
            let back = OwnerCallback(on: webQueue, done)
            serverQueue.async {
                microblog.value.signInFromWeb(name: name, password: password, host: host, secure: secure) { result in
                    webQueue.async { back.call(result) }
                }
            }
        }
        site.post = { text, user, host, done in
            let back = OwnerCallback(on: webQueue, done)
            serverQueue.async {
                microblog.value.postFromWeb(text, by: user, host: host) { result in webQueue.async { back.call(result) }
                }
            }
        }
        site.signOut = { token, done in
            let back = OwnerCallback(on: webQueue, done)
            serverQueue.async {
                microblog.value.signOutFromWeb(token: token) { result in webQueue.async { back.call(result) } }
            }
        }
        let doorCounts = QueueBound<() -> [(door: String, count: Int)]>({ [] }, on: serverQueue)
        self.doorCounts = doorCounts
        site.figures = { done in
            let back = OwnerCallback(on: webQueue) { (answer: ([StatsField], [(door: String, count: Int)])) in
                done(answer.0, answer.1)
            }
            serverQueue.async {
                let doors = doorCounts.value()
                microblog.value.metricsFields { fields in
                    let answer = (fields, doors)
                    webQueue.async { back.call(answer) }
                }
            }
        }
        let streams = QueueBound(
            WebStreams(queue: serverQueue, flusher: flusher, readBuffer: readBuffer), on: serverQueue)
        self.streams = streams
        let siteBound = QueueBound(site, on: webQueue)
        self.site = siteBound
        // A stream's socket comes back from libmicrohttpd on the web queue and is served on the server
        // queue; what it missed is read on the web queue (the door's reader), and its close is counted where
        // the daemon counts its connections.
        site.adoptStream = { fd, peerHost, closed, filter, since in
            let closedBack = OwnerCallback<Void>(on: webQueue) { _ in closed() }
            serverQueue.async {
                streams.value.adopt(
                    fd: fd, peerHost: peerHost, closed: { webQueue.async { closedBack.call(()) } }, filter: filter,
                    since: since
                ) { done in
                    let back = OwnerCallback(on: serverQueue, done)
                    webQueue.async {
                        siteBound.value.missedPosts(filter, since: since ?? 0) { posts in
                            serverQueue.async { back.call(posts) }
                        }
                    }
                }
            }
        }
        site.tellStreamsHidden = { hidden in serverQueue.async { streams.value.hiddenAuthors = hidden } }
        // On the server queue, as the hub delivers: the streams at once, the pages kept on the web queue.
        relay = WebRelay { item in
            streams.value.receive(item)
            webQueue.async { siteBound.value.postsChanged() }
        }
        // Made here, before the web queue runs anything; used on it only.
        daemon = QueueBound(try HTTPDaemon(queue: webQueue, limits: configuration.limits, handler: site), on: webQueue)
    }

    var boundAddress: String { listener.boundAddress }

    func start() {
        context.microblog.hub.add(relay)
        let (webQueue, siteBound) = (self.webQueue, self.site)
        // The streams at once, before the command's reply; the pages kept, and the full list read again.
        let streams = self.streams
        context.microblog.onWebVisibilityChange = { userID, hidden in
            if hidden {
                streams.value.hiddenAuthors.insert(userID)
            } else {
                streams.value.hiddenAuthors.remove(userID)
            }
            webQueue.async { siteBound.value.hiddenAuthorsChanged() }
        }
        streams.value.start()
        let site = self.site
        webQueue.async { site.value.refreshHiddenAuthors() }
        context.wire(listener) { [weak self] accepted in self?.accept(accepted) }
        listener.start()
    }

    private func accept(_ accepted: Listener.Accepted) {
        // A trusted proxy carries many clients: it is counted in the total only; each request's client is
        // named by its X-Forwarded-For (see `WebSite.client`).
        let host: String? = trustedProxies.contains(accepted.peerHost) ? nil : accepted.peerHost
        if let refusal = context.screen(accepted, door: door, host: host, handshake: false) {
            return refuse(accepted, refusal)
        }
        context.opened(host: host)
        openConnections += 1
        let queue = context.queue
        let done = OwnerCallback<Void>(on: queue) { [weak self, weak context] _ in
            self?.openConnections -= 1
            context?.closed(host: host)
        }
        let (daemon, fd) = (self.daemon, accepted.fd)
        let peerHost = accepted.peerHost
        webQueue.async {
            daemon.value.adopt(fd: fd, peerHost: peerHost) { queue.async { done.call(()) } }
        }
    }

    /// A refused connection gets a short HTTP answer before it is closed: the socket is new and its buffer
    /// empty, so one non-blocking send takes it.
    private func refuse(_ accepted: Listener.Accepted, _ refusal: Admission.Refusal) {
        var status = "429 Too Many Requests"
        if case .serverFull = refusal { status = "503 Service Unavailable" }
        let body = (refusal.error?.message ?? "try later") + "\n"
        let answer =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\nRetry-After: 10\r\n\r\n" + body
        _ = Array(answer.utf8).withUnsafeBytes {
            Glibc.send(accepted.fd, $0.baseAddress, $0.count, SocketFlags.noSignal)
        }
        Glibc.close(accepted.fd)
    }

    /// Stops accepting and closes every HTTP connection at once: a page being read is cut short, and
    /// nothing else waits on the web door (its clients reconnect to the next start).
    func stopAccepting() {
        listener.stop()
        context.microblog.hub.remove(relay)
        streams.value.stop()
        let (daemon, site) = (self.daemon, self.site)
        webQueue.async {
            site.value.stopped = true
            // The closures the door gave the site hold it (through its QueueBound): let go of them.
            site.value.adoptStream = { fd, _, closed, _, _ in
                Glibc.close(fd)
                closed()
            }
            site.value.tellStreamsHidden = { _ in }
            daemon.value.shutdown()
        }
    }

    func closeAll() {
        let daemon = self.daemon
        webQueue.sync { daemon.value.shutdown() }
        reader.close {}
    }

    var pendingOutputBytes: [Int] { streams.value.pendingOutputBytes }

    /// Connections admitted and not yet closed by the daemon.
    private(set) var openConnections = 0
    /// Every door's open connections, by door name, for `/metrics`: set by the server once its doors
    /// are made (server queue).
    var connectionsByDoor: () -> [(door: String, count: Int)] {
        get { doorCounts.value }
        set { doorCounts.value = newValue }
    }
    private let doorCounts: QueueBound<() -> [(door: String, count: Int)]>
}
