import Dispatch

/// What other nodes sharing the database announce, delivered here as if it had happened on this node.
extension Microblog {
    /// Handles a report of the cluster listener. Server queue only.
    public func receiveCluster(_ report: ClusterReport) {
        checkConfined()
        dispatchPrecondition(condition: .onQueue(queue))
        switch report {
        case .events(let events):
            var postIDs: [Int64] = []
            for event in events {
                switch event {
                case .posts(let ids): postIDs += ids
                case .deleted(let ids):
                    if !postIDs.isEmpty {
                        // Keep the order: posts announced before the deletion go out before it.
                        deliverRemotePosts(postIDs)
                        postIDs = []
                    }
                    hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now()))
                case .banned(let userID, let reason):
                    endSessions(of: userID, banned: reason)
                case .message(let id):
                    storage.perform({ store in try store.message(id: id) }) { [self] result in
                        if case .success(let message?) = result { deliverDirect(message) }
                    }
                }
            }
            if !postIDs.isEmpty { deliverRemotePosts(postIDs) }
        case .lost(let reason):
            log.warn("cluster_lost", ["error": reason])
        case .reconnected:
            log.info("cluster_reconnected", ["since": latestPostID])
            catchUpAfterReconnect()
        }
    }

    /// Reads posts committed by other nodes and delivers them live, oldest first.
    private func deliverRemotePosts(_ ids: [Int64]) {
        storage.perform({ store in try store.posts(ids: ids, viewer: nil) }) { [self] result in
            switch result {
            case .success(let posts):
                for post in posts.sorted(by: { $0.id < $1.id }) { deliverLive(post) }
            case .failure(let error):
                // Not delivered live; a watcher's `/feed since` still finds them.
                logStorageFault(error, command: "cluster_posts")
            }
        }
    }

    /// After the listener was cut off, delivers what other nodes committed meanwhile (after the newest
    /// post this node knows), at most `catchUpLimit`; beyond that, watchers are told what they missed.
    private func catchUpAfterReconnect() {
        let since = latestPostID
        storage.perform({ store in try store.feed(.since(id: since, limit: Self.catchUpLimit + 1)) }) { [self] result in
            guard case .success(let posts) = result else { return }
            for post in posts.prefix(Self.catchUpLimit) { deliverLive(post) }
            if posts.count > Self.catchUpLimit {
                hub.broadcast(
                    EncodedEvent(
                        .missed(count: posts.count - Self.catchUpLimit, since: posts[Self.catchUpLimit - 1].id),
                        at: .now()))
            }
        }
    }

    static let catchUpLimit = 500
}
