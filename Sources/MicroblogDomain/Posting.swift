import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Posting and reading posts: `/post` (and the posts pipelined behind it), committing and delivering
/// live, the listings (`/feed`, `/timeline`, `/mentions`, `/tag`, `/posts`); in `ConversationCommands.swift`
/// replies, reposts, likes, threads and deletion; in `SearchCommands.swift`, `/search`. Owns the newest post id known, so `/watch on` can say what was missed.
/// Confined to the server queue.
final class Posting {
    let queue: DispatchQueue
    let settings: MicroblogSettings
    let storage: StorageWorker
    let hub: Hub
    let directory: SessionDirectory
    let limits: Limits
    let desk: CommandDesk
    let notifications: Notifications
    let log: Logger
    /// The newest post id known (committed here, announced by another node, or shown in a greeting).
    private(set) var latestPostID: Int64 = 0
    /// Cluster catch-ups whose read is out, and the posts delivered live meanwhile (nil when none is out):
    /// a catch-up reads posts that were acknowledged before its read ran, and must not show them again.
    private var catchUpsOut = 0
    private var deliveredDuringCatchUp: Set<Int64>?
    /// Several nodes: every post up to this id has been heard through the cluster listener (its own
    /// announcement, or another's, came back; posts commit in id order across the cluster), or was
    /// there when the node started, or was read by a catch-up. A catch-up starts after it. Only what the
    /// listener hears moves it: this node's own posts, and greetings, may be newer than posts other
    /// nodes committed that the listener has not yet delivered.
    private(set) var heardThrough: Int64 = 0
    /// Posts delivered live with an id above `heardThrough` (this node's own, before their announcement
    /// came back): a catch-up from `heardThrough` reads them too, and must not show them again. Only the
    /// smallest `Self.shownAheadLimit` are kept: a catch-up reads no further. Emptied of those at or below
    /// `heardThrough` when no catch-up is out.
    private var shownAhead: Set<Int64> = []
    private var shownAheadMax: Int64 = 0
    /// Whether anyone listens for catch-ups at all (several nodes); on one node `shownAhead` stays empty.
    var catchUpsPossible = false
    /// The ids the last cluster catch-up covered: every post committed in this range was in its read (posts
    /// commit in id order across the cluster), so an announcement of one arriving after it is not news.
    private(set) var caughtUp: ClosedRange<Int64>?

    init(
        queue: DispatchQueue, settings: MicroblogSettings, storage: StorageWorker, hub: Hub,
        directory: SessionDirectory, limits: Limits,
        desk: CommandDesk, notifications: Notifications, log: Logger
    ) {
        self.queue = queue
        self.settings = settings
        self.storage = storage
        self.hub = hub
        self.directory = directory
        self.limits = limits
        self.desk = desk
        self.notifications = notifications
        self.log = log
    }

    /// Starts noting the posts delivered live, for a catch-up that is about to read (`endCatchUp`).
    func beginCatchUp() {
        queue.checkConfined()
        catchUpsOut += 1
        if deliveredDuringCatchUp == nil { deliveredDuringCatchUp = [] }
    }

    /// Remembers that a catch-up read every post in `range` (see `caughtUp`).
    func noteCaughtUp(_ range: ClosedRange<Int64>) {
        queue.checkConfined()
        caughtUp = range
    }

    /// The posts delivered live since the catch-up began, and those delivered ahead of what was heard;
    /// noting the former stops once no catch-up is out.
    func endCatchUp() -> Set<Int64> {
        queue.checkConfined()
        let delivered = (deliveredDuringCatchUp ?? []).union(shownAhead)
        catchUpsOut -= 1
        if catchUpsOut == 0 {
            deliveredDuringCatchUp = nil
            forgetShownAhead()
        }
        return delivered
    }

    /// Notes that every post up to `id` has been heard (see `heardThrough`).
    func noteHeard(_ id: Int64) {
        queue.checkConfined()
        guard id > heardThrough else { return }
        heardThrough = id
        if catchUpsOut == 0 { forgetShownAhead() }
    }

    /// Notes a post delivered live above `heardThrough`, keeping the smallest `shownAheadLimit`.
    private func noteShownAhead(_ id: Int64) {
        guard catchUpsPossible, id > heardThrough else { return }
        if shownAhead.count < Self.shownAheadLimit {
            shownAhead.insert(id)
            shownAheadMax = max(shownAheadMax, id)
        } else if id < shownAheadMax, shownAhead.insert(id).inserted {
            shownAhead.remove(shownAheadMax)
            shownAheadMax = shownAhead.max() ?? 0
        }
    }

    private func forgetShownAhead() {
        guard !shownAhead.isEmpty else { return }
        shownAhead = shownAhead.filter { $0 > heardThrough }
        shownAheadMax = shownAhead.max() ?? 0
    }

    /// A catch-up reads at most `catchUpLimit + 1` posts after `heardThrough`.
    static let shownAheadLimit = 501

    /// Remembers `id` as the newest post known, unless a newer one is.
    func noteLatest(_ id: Int64) {
        queue.checkConfined()
        latestPostID = max(latestPostID, id)
    }

    /// `/post TEXT` (or a line that is no command): checks the text, then submits it.
    func post(_ raw: String, by user: User, for session: Session) {
        queue.checkConfined()
        switch PostRules.validate(raw) {
        case .success(let text): submitPost(text, by: user, for: session)
        case .failure(let error): session.send(.error(error, command: "post"))
        }
    }

    /// Submits a post whose text `PostRules` has already checked, unless its rate or a shutdown refuses it.
    func submitPost(_ text: String, by user: User, for session: Session) {
        queue.checkConfined()
        guard admitPost(by: user, command: "post", for: session) else { return }
        // Posts are not waited for one by one: the next line, if it is a post too, goes into the
        // same group commit. Acknowledgements still come in order; any other command waits for them.
        session.postsInFlight += 1
        publish(NewPost(authorID: user.id, text: text, createdAt: .now()), command: "post", reply: nil, for: session)
    }

    /// Checks the posting rate and shutdown; answers the refusal itself.
    func admitPost(by user: User, command: String, for session: Session) -> Bool {
        guard let refusal = postRefusal(by: user.id) else { return true }
        session.send(.error(refusal, command: command))
        return false
    }

    /// Why a post by `userID` may not be taken now (its rate, a shutdown); nil when it may. Takes one
    /// post from the account's rate when it may.
    func postRefusal(by userID: Int64) -> WireError? {
        queue.checkConfined()
        if let wait = limits.takePost(by: userID) {
            return WireError(.rateLimited, "you are posting too fast", retryAfter: wait)
        }
        if desk.shuttingDown { return WireError(.shuttingDown, "the server is shutting down; the post was not saved") }
        return nil
    }

    /// What follows a committed post, whichever door it came by: live to everyone but `excluded`, and its
    /// notifications.
    func published(_ post: Post, excluding excluded: Session? = nil) {
        deliverLive(post, excluding: excluded)
        notifications.record(NewNotification.about(post))
    }

    /// Commits a post, acknowledges it, then sends it live. `reply` is the waiting command's; nil for a
    /// pipelined post, counted in `postsInFlight` instead.
    func publish(_ newPost: NewPost, command: String, reply: CommandReply?, for session: Session) {
        queue.checkConfined()
        storage.submit(newPost) { [self] result in
            switch result {
            case .success(let post):
                let message: String
                switch command {
                case "reply": message = "posted #\(post.id), a reply to #\(post.replyTo?.id ?? 0)"
                case "repost": message = "reposted #\(post.repostOf?.id ?? 0) as #\(post.id)"
                default: message = "posted #\(post.id)"
                }
                // The fields appear only in JSON mode; the time is not formatted for text clients.
                let fields: [Ack.Field] =
                    session.mode == .json
                    ? [.int("id", post.id), .string("at", UTCTime(post.createdAt).iso8601)] : [.int("id", post.id)]
                session.send(.ok(Ack(command: command, message: message, fields: fields)))
                // At debug only: a line a post cost a third of the ingest rate (49,000 to 31,000 posts/s);
                // the stats line counts posts at every level.
                if log.enabled(.debug) {
                    log.debug("post", ["conn": session.id, "user": post.author, "id": post.id, "text": post.text])
                }
                session.live.noteShown(post.id)
                // Only now, after the commit, does anyone else see it.
                published(post, excluding: session)
            case .failure(let error):
                desk.storageFailed(error, command: command, for: session)
            }
            if let reply {
                reply.finish()
            } else {
                session.postsInFlight -= 1
                if session.postsInFlight == 0 { desk.resume(session) }
            }
        }
    }

    /// Sends a committed post to every session that wants it live, but `excluded` (its author's, which
    /// got the acknowledgement instead): watchers, and whoever it mentions even with the feed off.
    func deliverLive(_ post: Post, excluding excluded: Session? = nil) {
        queue.checkConfined()
        noteLatest(post.id)
        deliveredDuringCatchUp?.insert(post.id)
        noteShownAhead(post.id)
        let event = EncodedEvent(.post(post, live: true), at: .now())
        hub.broadcast(event, excluding: excluded)
        for userID in post.mentionIDs {
            for other in directory.sessionsByUser[userID] ?? [] where other !== excluded && !hub.contains(other) {
                hub.deliver(event, to: other)
            }
            if userID != post.authorID && directory.viewers[userID]?.relations.muted.contains(post.authorID) != true {
                notifications.ringBell(of: userID, excluding: excluded)
            }
        }
    }

    /// Lists posts in `scope`: the public feed, a home timeline, or one person's posts.
    /// `pager` is how the reply names the next page, e.g. `/posts alice` (default: `/COMMAND`). `reply` is
    /// the command's, when it already waits (`/posts` looked its NAME up).
    func list(
        _ scope: PostScope, _ query: FeedQuery, command: String, pager: String? = nil, reply: CommandReply? = nil,
        for session: Session
    ) {
        queue.checkConfined()
        let reply = reply ?? desk.waiting(session, command: command)
        let viewerID = session.user?.id
        // One post more than asked for tells whether another page exists.
        storage.perform({ store in try store.posts(in: scope, query.withLimit(query.limit + 1), viewer: viewerID) }) {
            [self] result in
            switch result {
            case .success(var posts):
                var more = false
                if posts.count > query.limit {
                    more = true
                    // The extra post lies beyond the page: before it for latest/before, after it for since.
                    if case .since = query { posts.removeLast() } else { posts.removeFirst() }
                }
                let now = Timestamp.now()
                for post in posts { session.send(.post(post, live: false), now: now) }
                session.send(.ok(listingAck(query, posts, more: more, command: command, pager: pager ?? "/" + command)))
            case .failure(let error):
                desk.storageFailed(error, command: command, for: session)
            }
            reply.finish()
        }
    }

    /// The reply that ends a listing: the count, and for people where to page next.
    private func listingAck(_ query: FeedQuery, _ posts: [Post], more: Bool, command: String, pager: String) -> Ack {
        var fields: [Ack.Field] = [.int("count", Int64(posts.count))]
        guard let first = posts.first, let last = posts.last else {
            let message: String
            switch query {
            case .latest: message = command == "feed" ? "no posts yet; be the first" : "no posts"
            case .before(let id, _): message = "no posts before #\(id)"
            case .since(let id, _): message = "no posts since #\(id)"
            }
            return Ack(command: command, message: message, fields: fields)
        }
        fields += [.int("first", first.id), .int("last", last.id), .bool("more", more)]
        let noun = posts.count == 1 ? "post" : "posts"
        var message = "\(posts.count) \(noun), #\(first.id) to #\(last.id)"
        if more {
            if case .since = query {
                message += "; newer: \(pager) since \(last.id)"
            } else {
                message += "; older: \(pager) before \(first.id)"
            }
        }
        return Ack(command: command, message: message, fields: fields)
    }
}

@available(*, unavailable) extension Posting: Sendable {}
