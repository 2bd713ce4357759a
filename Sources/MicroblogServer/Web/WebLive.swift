import Dispatch
import MicroblogFanout
import MicroblogHTTP
import MicroblogModel
import MicroblogProtocol
import MicroblogSupport
import MicroblogTransport
import MicroblogWeb

/// One live item for the web door's streams: a post, or posts gone.
enum WebLiveItem: Sendable {
    case post(Post)
    case deleted([Int64])
}

/// The web door's one subscriber to the hub: every post and deletion goes on to the web queue, where the
/// streams are. One subscriber, however many pages are open, so a broadcast's walk over the sessions costs
/// the web door one visit.
///
/// Confined to the server queue (the hub's); `forward` hops to the web queue.
final class WebRelay: LiveSubscriber {
    private let forward: (WebLiveItem) -> Void

    init(forward: @escaping (WebLiveItem) -> Void) { self.forward = forward }

    var isSession: Bool { false }

    @discardableResult
    func receiveLive(_ event: EncodedEvent) -> LiveOutcome {
        switch event.message {
        case .post(let post, _): forward(.post(post))
        case .deleted(let ids): forward(.deleted(ids))
        default: return .skipped
        }
        return .delivered
    }
}

/// The open live streams of the web door (`/events`, `/@NAME/events`, `/tags/TAG/events`): each item
/// is rendered once and written to every stream that shows it. libmicrohttpd reads a stream's request and
/// sends its head, then hands the socket over (`HTTPReply.handOver`); from there a stream is a plain
/// `Connection`, sent on the same path and flushes as the terminal doors' sessions, and costs what one of
/// their connections costs. A stream opened with a post id to start from (`?since=`, or the Last-Event-ID a
/// reconnecting EventSource sends) is first sent what it missed, read from the store; items that arrive
/// meanwhile wait, so nothing is lost or sent twice.
///
/// Confined to the server queue (the hub's), where the relay hands it every post.
final class WebStreams {
    /// Which posts a stream shows. A value.
    enum Filter: Equatable, Sendable {
        case everyone
        case author(Int64)
        case tag(String)

        func shows(_ post: Post) -> Bool {
            switch self {
            case .everyone: return true
            case .author(let id): return post.authorID == id
            case .tag(let tag): return post.tags.contains(tag)
            }
        }

        var scope: PostScope {
            switch self {
            case .everyone: return .everyone
            case .author(let id): return .author(id)
            case .tag(let tag): return .tagged(tag)
            }
        }
    }

    private final class Entry {
        let connection: Connection
        let filter: Filter
        /// Set while what was missed is read: live items wait here.
        var waiting: [WebLiveItem]?
        /// The newest post id sent, so a post read and also live is sent once.
        var lastSent: Int64
        /// What the door's count is told when the stream ends.
        let closed: () -> Void

        init(connection: Connection, filter: Filter, since: Int64?, closed: @escaping () -> Void) {
            self.connection = connection
            self.filter = filter
            self.lastSent = since ?? 0
            self.closed = closed
            waiting = since == nil ? nil : []
        }
    }

    let queue: DispatchQueue
    private let flusher: FlushScheduler
    private let readBuffer: ReadBuffer
    /// A stream with more than this unsent is closed: its client is not reading, and reconnects with
    /// Last-Event-ID when it does.
    static let maxPendingBytes = 256 * 1024
    /// The most missed posts a stream is sent on connecting; beyond, it is told to reload the page.
    static let maxReplay = 200
    private var entries: [Int: Entry] = [:]
    private var nextID = 1
    /// The accounts the web door never shows (banned, or `/web off`): their live posts, and live reposts
    /// of their posts, are not sent. Kept current by the site (`WebSite.refreshHiddenAuthors`).
    var hiddenAuthors: Set<Int64> = []
    private var keepAlive: DispatchSourceTimer?
    private var stopped = false
    public private(set) var sent = 0

    init(queue: DispatchQueue, flusher: FlushScheduler, readBuffer: ReadBuffer) {
        self.queue = queue
        self.flusher = flusher
        self.readBuffer = readBuffer
    }

    var count: Int { entries.count }

    /// Bytes written to the streams and not yet sent.
    var pendingOutputBytes: [Int] { entries.values.map(\.connection.pendingOutputBytes) }

    /// Starts the keep-alive comments: every `interval`, each stream gets one, so a proxy keeps it open
    /// and a client that left is noticed.
    func start(interval: DispatchTimeInterval = .seconds(25)) {
        queue.checkConfined()
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [unowned self] in
            let comment = Array(LiveEvents.keepAlive.utf8)
            for entry in entries.values { write(comment, to: entry) }
        }
        timer.resume()
        keepAlive = timer
    }

    /// Closes every stream (the server is stopping); streams handed over later are closed at once.
    func stop() {
        queue.checkConfined()
        stopped = true
        keepAlive?.cancel()
        keepAlive = nil
        for entry in Array(entries.values) { entry.connection.close(reason: .shutdown) }
    }

    /// A stream whose head libmicrohttpd has sent: `fd` is its socket, now ours; `closed` is called once it
    /// closes. With `since`, what it missed comes first (`replay` reads it, and calls back here).
    func adopt(
        fd: Int32, peerHost: String, closed: @escaping () -> Void, filter: Filter, since: Int64?,
        replay: (_ done: @escaping ([Post]?) -> Void) -> Void
    ) {
        queue.checkConfined()
        let id = nextID
        nextID += 1
        let connection = Connection(
            accepted: Listener.Accepted(fd: fd, peer: peerHost, peerHost: peerHost), id: id, queue: queue,
            flusher: flusher, readBuffer: readBuffer)
        let entry = Entry(connection: connection, filter: filter, since: since, closed: closed)
        // Holds `closed`, not the entry: the connection keeps this closure, and the entry the connection.
        connection.onEvent = { [weak self, unowned connection] event in
            switch event {
            case .input:
                // An EventSource sends nothing after its request, and nobody here would answer more.
                connection.close(reason: .error)
            case .endOfInput:
                connection.close(reason: .peerClosed)
            case .drained:
                break
            case .closed:
                self?.entries[id] = nil
                closed()
            }
        }
        entries[id] = entry
        connection.start()
        if stopped { return connection.close(reason: .shutdown) }
        guard since != nil else { return }
        // The entry strongly (a closed one is skipped): a weak reference would give it a side table, and
        // each delivery's retain of it the runtime's slow path. Its last release may then come on the
        // reader's thread: neither it nor its connection has a deinit that touches the queue's state.
        replay { [weak self, entry] missed in
            guard let self, !entry.connection.isClosed else { return }
            guard let missed, missed.count <= Self.maxReplay else {
                write(Array(LiveEvents.reload.utf8), to: entry)
                entry.connection.closeAfterFlush(reason: .quit)
                return
            }
            for post in missed { deliver(.post(post), to: entry, rendered: nil) }
            let waited = entry.waiting ?? []
            entry.waiting = nil
            for item in waited { deliver(item, to: entry, rendered: nil) }
        }
    }

    /// A live item, to every stream that shows it: rendered once.
    func receive(_ item: WebLiveItem) {
        queue.checkConfined()
        guard !entries.isEmpty else { return }
        if case .post(let post) = item, !hiddenAuthors.isEmpty,
            hiddenAuthors.contains(post.authorID) || post.repostOf.map({ hiddenAuthors.contains($0.authorID) }) == true
        {
            return
        }
        var item = item
        if case .post(var post) = item, let parent = post.replyTo, hiddenAuthors.contains(parent.authorID) {
            post.replyTo?.author = ""  // a reply does not name an account the web door hides
            item = .post(post)
        }
        var rendered: [UInt8]?
        for entry in entries.values {
            if entry.waiting != nil {
                entry.waiting?.append(item)
                continue
            }
            if rendered == nil {
                switch item {
                case .post(let post): rendered = Array(LiveEvents.post(post).utf8)
                case .deleted(let ids): rendered = Array(LiveEvents.deleted(ids).utf8)
                }
            }
            deliver(item, to: entry, rendered: rendered)
        }
    }

    private func deliver(_ item: WebLiveItem, to entry: Entry, rendered: [UInt8]?) {
        switch item {
        case .post(let post):
            guard entry.filter.shows(post), post.id > entry.lastSent else { return }
            entry.lastSent = post.id
            write(rendered ?? Array(LiveEvents.post(post).utf8), to: entry)
        case .deleted(let ids):
            write(rendered ?? Array(LiveEvents.deleted(ids).utf8), to: entry)
        }
    }

    private func write(_ bytes: [UInt8], to entry: Entry) {
        if entry.connection.pendingOutputBytes + bytes.count > Self.maxPendingBytes {
            // Not reading: closed, it reconnects with Last-Event-ID and is sent what it missed.
            return entry.connection.close(reason: .slowReader)
        }
        sent += 1
        entry.connection.write(bytes)
    }
}
