/// Posting and reading the public timeline.
extension Microblog {
    func post(_ raw: String, for session: Session) {
        guard let user = session.user else {
            return session.send(
                .error(
                    WireError(.notLoggedIn, "log in to post: /login NAME, or /register NAME to join"),
                    command: "post"))
        }
        let text: String
        switch PostRules.validate(raw) {
        case .success(let valid): text = valid
        case .failure(let error): return session.send(.error(error, command: "post"))
        }
        if settings.postRate > 0 {
            let now = MonotonicClock.now()
            var bucket =
                postBuckets[user.id] ?? TokenBucket(rate: settings.postRate, burst: settings.postBurst, now: now)
            let wait = bucket.take(now: now)
            postBuckets[user.id] = bucket
            if let wait {
                return session.send(
                    .error(WireError(.rateLimited, "you are posting too fast", retryAfter: wait), command: "post"))
            }
        }
        if shuttingDown {
            return session.send(
                .error(WireError(.shuttingDown, "the server is shutting down; the post was not saved"), command: "post")
            )
        }
        beginWaiting(session)
        storage.submit(NewPost(authorID: user.id, text: text, createdAt: .now())) { [self] result in
            switch result {
            case .success(let post):
                session.send(
                    .ok(
                        Ack(
                            command: "post", message: "posted #\(post.id)",
                            fields: [.int("id", post.id), .string("at", UTCTime(post.createdAt).iso8601)])))
                // Only now, after the commit, does anyone else see it.
                hub.broadcast(EncodedEvent(.post(post, live: true), at: .now()), excluding: session)
            case .failure(let error):
                storageFailed(error, command: "post", for: session)
            }
            finishWaiting(session)
        }
    }

    func feed(_ query: FeedQuery, for session: Session) {
        beginWaiting(session)
        storage.perform({ store in try store.feed(query) }) { [self] result in
            switch result {
            case .success(let posts):
                let now = Timestamp.now()
                for post in posts { session.send(.post(post, live: false), now: now) }
                session.send(.ok(feedAck(query, posts)))
            case .failure(let error):
                storageFailed(error, command: "feed", for: session)
            }
            finishWaiting(session)
        }
    }

    /// The reply that ends a listing: the count, and for people where to page next.
    private func feedAck(_ query: FeedQuery, _ posts: [Post]) -> Ack {
        var fields: [Ack.Field] = [.int("count", Int64(posts.count))]
        guard let first = posts.first, let last = posts.last else {
            let message: String
            switch query {
            case .latest: message = "no posts yet; be the first"
            case .before(let id, _): message = "no posts before #\(id)"
            case .since(let id, _): message = "no posts since #\(id)"
            }
            return Ack(command: "feed", message: message, fields: fields)
        }
        fields += [.int("first", first.id), .int("last", last.id)]
        let noun = posts.count == 1 ? "post" : "posts"
        var message = "\(posts.count) \(noun), #\(first.id) to #\(last.id)"
        switch query {
        case .latest(let limit), .before(_, let limit):
            // A short page means there is nothing older.
            if posts.count == limit { message += "; older: /feed before \(first.id)" }
        case .since(_, let limit):
            if posts.count == limit { message += "; newer: /feed since \(last.id)" }
        }
        return Ack(command: "feed", message: message, fields: fields)
    }
}
