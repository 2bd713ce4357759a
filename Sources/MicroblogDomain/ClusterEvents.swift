import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// What other nodes sharing the database announce, delivered here as if it had happened on this node.
extension Microblog {
    /// Handles a report of the cluster listener. Server queue only.
    ///
    /// What users see goes out in the order the other nodes announced it: a read's result waits for the
    /// reads asked before it, retries included (`ClusterSequence`), and a deletion, an announcement or a
    /// like waits for them too. What ends sessions (a ban, a kick, an account deleted) and what throttles
    /// logins acts at once. After a gap, bans and deletions made meanwhile are read from the database.
    public func receiveCluster(_ report: ClusterReport) {
        checkConfined()
        switch report {
        case .events(let events):
            var postIDs: [Int64] = []
            for event in events {
                if case .posts(let ids) = event {
                    postIDs += ids
                    continue
                }
                if !postIDs.isEmpty {
                    deliverRemotePosts(postIDs)
                    postIDs = []
                }
                switch event {
                case .posts: break
                case .deleted(let ids):
                    inClusterOrder { [self] in hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now())) }
                case .banned(let userID, let reason):
                    endSessions(of: userID, .banned(reason: reason))
                case .kicked(let userID):
                    community.endSessions(of: userID, kickedBy: nil)
                case .accountDeleted(let userID):
                    endSessions(of: userID, .deleted)
                case .announcement(let from, let text):
                    inClusterOrder { [self] in community.deliverAnnouncement(from: from, text: text) }
                case .message(let id):
                    readRetrying("cluster_message", { store in try store.message(id: id) }) { [self] message in
                        if let message { people.deliverDirect(message) }
                    }
                case .loginFailed(let nameKey, let host):
                    guard settings.loginFreeFailures > 0 else { break }
                    limits.recordLoginFailure(nameKey: nameKey, host: host)
                    log.debug("login_failed_elsewhere", ["key": nameKey, "peer": host])
                case .liked(let id):
                    // Whether the post is among the newest kept is asked once the posts before it are out.
                    inClusterOrder { [self] in
                        guard hub.recentlyShows(id) else { return }
                        readRetrying("cluster_liked", { store in try store.post(id: id) }) { [self] post in
                            if let post { hub.updateRecent(likes: post.likes, of: id) }
                        }
                    }
                case .notifications(let ids):
                    readRetrying("cluster_notifications", { store in try store.notifications(ids: ids) }) {
                        [self] found in
                        for notification in found { notifications.deliverNotification(notification) }
                    }
                }
            }
            if !postIDs.isEmpty { deliverRemotePosts(postIDs) }
        case .ownPostsHeard(let through):
            inClusterOrder { [self] in posting.noteHeard(through) }
        case .lost(let reason):
            log.warn("cluster_lost", ["error": reason])
            // Announcements may be missed until the catch-up: the newest posts are read again.
            hub.forgetRecent()
        case .reconnected:
            // In its turn: once what was heard before the loss is out, the catch-up starts after it.
            inClusterOrder { [self] in
                let since = posting.heardThrough
                log.info("cluster_reconnected", ["since": since])
                catchUpAfterReconnect(since: since)
            }
            endSessionsEndedUnheard()
        }
    }

    /// The newest post id when the node joins the cluster, read before anything other nodes announce: a
    /// catch-up before this node has heard any post starts there, not at the community's first post.
    func noteNewestPostAtStart() {
        readRetrying("newest_post", { store in try store.feed(.latest(limit: 1)).last?.id ?? 0 }) { [self] id in
            posting.noteLatest(id)
            posting.noteHeard(id)
        }
    }

    /// After the listener was cut off: ends the sessions here of accounts banned or deleted meanwhile,
    /// whose announcements were not heard. Reads their standing `standingBatch` accounts at a time.
    private func endSessionsEndedUnheard() {
        func staying(_ userID: Int64) -> Bool {
            directory.sessionsByUser[userID]?.contains { !$0.lifecycle.isLeaving } == true
        }
        let ids = directory.sessionsByUser.keys.filter(staying).sorted()
        for start in stride(from: 0, to: ids.count, by: Self.standingBatch) {
            let batch = Array(ids[start..<min(start + Self.standingBatch, ids.count)])
            readRetrying("cluster_standing", { store in try store.endings(of: batch) }) { [self] endings in
                for (userID, ending) in endings.sorted(by: { $0.key < $1.key }) where staying(userID) {
                    endSessions(of: userID, ending)
                }
            }
        }
    }

    /// Ends this node's sessions of an account banned or deleted on another node.
    private func endSessions(of userID: Int64, _ ending: AccountEnding) {
        switch ending {
        case .banned(let reason): community.endSessions(of: userID, banned: reason)
        case .deleted:
            accounts.endSessions(ofDeleted: userID)
            forgetDeletedAccount(userID)
        }
    }

    static let standingBatch = 1000

    /// Reads posts committed by other nodes and delivers them live, oldest first; not those a catch-up
    /// already delivered (announced just after the listener came back, they were in its read too).
    private func deliverRemotePosts(_ ids: [Int64]) {
        readRetrying("cluster_posts", { store in try store.posts(ids: ids, viewer: nil) }) { [self] posts in
            if let newest = ids.max() { posting.noteHeard(newest) }
            for post in posts.sorted(by: { $0.id < $1.id }) where posting.caughtUp?.contains(post.id) != true {
                posting.deliverLive(post)
            }
        }
    }

    /// After the listener was cut off, delivers what other nodes committed meanwhile (after `since`, the
    /// newest post heard), at most `catchUpLimit`; beyond that, watchers are told what they missed. Posts
    /// delivered live already (this node's own, acknowledged ahead of their announcement or of the read)
    /// are not delivered again.
    private func catchUpAfterReconnect(since: Int64) {
        posting.beginCatchUp()
        readRetrying(
            "cluster_catch_up", { store in try store.feed(.since(id: since, limit: Self.catchUpLimit + 1)) },
            then: { [self] posts in
                let shown = posting.endCatchUp()
                let delivered = posts.prefix(Self.catchUpLimit)
                if let last = delivered.last { posting.noteCaughtUp((since + 1)...last.id) }
                if let newest = posts.last { posting.noteHeard(newest.id) }
                for post in delivered where !shown.contains(post.id) { posting.deliverLive(post) }
                if posts.count > Self.catchUpLimit {
                    hub.broadcast(
                        EncodedEvent(
                            .missed(count: posts.count - Self.catchUpLimit, since: posts[Self.catchUpLimit - 1].id),
                            at: .now()))
                }
            }, orGiveUp: { [self] in _ = posting.endCatchUp() })
    }

    static let catchUpLimit = 500

    /// Runs `action` once everything asked for before it, from other nodes' announcements, is out.
    private func inClusterOrder(_ action: @escaping () -> Void) {
        clusterSequence.complete(clusterSequence.take(), action)
    }

    /// Reads what another node announced, retrying while storage fails: the announcement can arrive, or
    /// the listener reconnect, before this node's own connection to a restarted database is back. Waits
    /// 0.25 s, doubling to at most 4 s, for `clusterReadPatience` seconds in all; then logs the fault and
    /// gives up (a watcher's `/feed since` still finds the posts), after calling `giveUp`. The result is
    /// delivered in its turn: after those of the reads asked before it, however often each was retried.
    private func readRetrying<T: Sendable>(
        _ what: String, _ read: @escaping @Sendable (any Store) throws -> T,
        then deliver: @escaping (T) -> Void, orGiveUp giveUp: @escaping () -> Void = {}
    ) {
        readRetrying(what, ticket: clusterSequence.take(), waited: 0, read, then: deliver, orGiveUp: giveUp)
    }

    private func readRetrying<T: Sendable>(
        _ what: String, ticket: Int, waited: Double, _ read: @escaping @Sendable (any Store) throws -> T,
        then deliver: @escaping (T) -> Void, orGiveUp giveUp: @escaping () -> Void
    ) {
        storage.perform(read) { [self] result in
            switch result {
            case .success(let value): clusterSequence.complete(ticket) { deliver(value) }
            case .failure(let error):
                let delay = min(4, max(0.25, waited))
                guard waited + delay <= Self.clusterReadPatience, !desk.shuttingDown else {
                    desk.logStorageFault(error, command: what)
                    return clusterSequence.complete(ticket, giveUp)
                }
                queue.asyncAfterConfined(.milliseconds(Int(delay * 1000))) { [self] in
                    readRetrying(what, ticket: ticket, waited: waited + delay, read, then: deliver, orGiveUp: giveUp)
                }
            }
        }
    }

    static let clusterReadPatience = 30.0
}

/// The order in which what other nodes announced goes out here: each read (or action) takes a ticket
/// when it is asked for, and runs only after every earlier ticket has, so a read that is retried, or
/// answered late, is not overtaken. Confined to the server queue.
final class ClusterSequence {
    private var nextTicket = 0
    private var nextDue = 0
    /// Finished tickets waiting for an earlier one, with what they will do.
    private var finished: [Int: () -> Void] = [:]

    /// Waiting reads and actions, for tests.
    var waiting: Int { nextTicket - nextDue }

    func take() -> Int {
        defer { nextTicket += 1 }
        return nextTicket
    }

    /// Runs `action` for `ticket` once every earlier ticket has run, then any later ones it held up.
    func complete(_ ticket: Int, _ action: @escaping () -> Void) {
        finished[ticket] = action
        while let next = finished.removeValue(forKey: nextDue) {
            nextDue += 1
            next()
        }
    }
}
