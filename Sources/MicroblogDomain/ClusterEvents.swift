import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// What other nodes sharing the database announce, delivered here as if it had happened on this node.
extension Microblog {
    /// Handles a report of the cluster listener. Server queue only.
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
                    // Keep the other node's order where a read stands between: reads on the storage queue
                    // answer in the order asked, so posts announced before a notification (a mention's)
                    // or a message go out before it. What needs no read (a deletion) goes out at once;
                    // a post deleted meanwhile is not found by its read, so is never shown.
                    deliverRemotePosts(postIDs)
                    postIDs = []
                }
                switch event {
                case .posts: break
                case .deleted(let ids):
                    hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now()))
                case .banned(let userID, let reason):
                    community.endSessions(of: userID, banned: reason)
                case .kicked(let userID):
                    community.endSessions(of: userID, kickedBy: nil)
                case .accountDeleted(let userID):
                    accounts.endSessions(ofDeleted: userID)
                    forgetDeletedAccount(userID)
                case .announcement(let from, let text):
                    community.deliverAnnouncement(from: from, text: text)
                case .message(let id):
                    storage.perform({ store in try store.message(id: id) }) { [self] result in
                        if case .success(let message?) = result { people.deliverDirect(message) }
                    }
                case .loginFailed(let nameKey, let host):
                    guard settings.loginFreeFailures > 0 else { break }
                    limits.recordLoginFailure(nameKey: nameKey, host: host)
                    log.debug("login_failed_elsewhere", ["key": nameKey, "peer": host])
                case .liked(let id) where hub.recentlyShows(id):
                    readRetrying("cluster_liked", { store in try store.post(id: id) }) { [self] post in
                        if let post { hub.updateRecent(likes: post.likes, of: id) }
                    }
                case .liked:
                    break
                case .notifications(let ids):
                    readRetrying("cluster_notifications", { store in try store.notifications(ids: ids) }) {
                        [self] found in
                        for notification in found { notifications.deliverNotification(notification) }
                    }
                }
            }
            if !postIDs.isEmpty { deliverRemotePosts(postIDs) }
        case .lost(let reason):
            log.warn("cluster_lost", ["error": reason])
            // Announcements may be missed until the catch-up: the newest posts are read again.
            hub.forgetRecent()
        case .reconnected:
            log.info("cluster_reconnected", ["since": posting.latestPostID])
            catchUpAfterReconnect()
        }
    }

    /// Reads posts committed by other nodes and delivers them live, oldest first; not those a catch-up
    /// already delivered (announced just after the listener came back, they were in its read too).
    private func deliverRemotePosts(_ ids: [Int64]) {
        readRetrying("cluster_posts", { store in try store.posts(ids: ids, viewer: nil) }) { [self] posts in
            for post in posts.sorted(by: { $0.id < $1.id }) where posting.caughtUp?.contains(post.id) != true {
                posting.deliverLive(post)
            }
        }
    }

    /// After the listener was cut off, delivers what other nodes committed meanwhile (after the newest
    /// post this node knows), at most `catchUpLimit`; beyond that, watchers are told what they missed.
    /// Posts delivered live while the read was out (this node's own, acknowledged as their commits ended
    /// ahead of the read) are not delivered again.
    private func catchUpAfterReconnect() {
        let since = posting.latestPostID
        posting.beginCatchUp()
        readRetrying(
            "cluster_catch_up", { store in try store.feed(.since(id: since, limit: Self.catchUpLimit + 1)) },
            then: { [self] posts in
                let shown = posting.endCatchUp()
                let delivered = posts.prefix(Self.catchUpLimit)
                if let last = delivered.last { posting.noteCaughtUp((since + 1)...last.id) }
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

    /// Reads what another node announced, retrying while storage fails: the announcement can arrive, or
    /// the listener reconnect, before this node's own connection to a restarted database is back. Waits
    /// 0.25 s, doubling to at most 4 s, for `clusterReadPatience` seconds in all; then logs the fault and
    /// gives up (a watcher's `/feed since` still finds the posts), after calling `giveUp`.
    private func readRetrying<T: Sendable>(
        _ what: String, waited: Double = 0, _ read: @escaping @Sendable (any Store) throws -> T,
        then deliver: @escaping (T) -> Void, orGiveUp giveUp: @escaping () -> Void = {}
    ) {
        storage.perform(read) { [self] result in
            switch result {
            case .success(let value): deliver(value)
            case .failure(let error):
                let delay = min(4, max(0.25, waited))
                guard waited + delay <= Self.clusterReadPatience, !desk.shuttingDown else {
                    giveUp()
                    return desk.logStorageFault(error, command: what)
                }
                queue.asyncAfterConfined(.milliseconds(Int(delay * 1000))) { [self] in
                    readRetrying(what, waited: waited + delay, read, then: deliver, orGiveUp: giveUp)
                }
            }
        }
    }

    static let clusterReadPatience = 30.0
}
