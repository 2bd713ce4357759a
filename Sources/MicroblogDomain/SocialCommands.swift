import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Following and muting, and listings of people and of one person's posts.
extension People {
    /// A relation one account can have to another.
    enum Relation {
        case follow, mute

        func command(_ on: Bool) -> String {
            switch self {
            case .follow: return on ? "follow" : "unfollow"
            case .mute: return on ? "mute" : "unmute"
            }
        }

        func message(_ on: Bool, changed: Bool, _ name: String) -> String {
            switch (self, on, changed) {
            case (.follow, true, true): return "you now follow \(name)"
            case (.follow, true, false): return "you already follow \(name)"
            case (.follow, false, true): return "you no longer follow \(name)"
            case (.follow, false, false): return "you did not follow \(name)"
            case (.mute, true, true): return "\(name) is muted: you will not see their posts"
            case (.mute, true, false): return "\(name) was already muted"
            case (.mute, false, true): return "\(name) is no longer muted"
            case (.mute, false, false): return "\(name) was not muted"
            }
        }
    }

    /// `/follow`, `/unfollow`, `/mute`, `/unmute`.
    func change(_ relation: Relation, _ on: Bool, _ name: String, by me: User, for session: Session) {
        queue.checkConfined()
        let command = relation.command(on)
        // A follow notifies; a mute tells nobody.
        if relation == .follow { guard limits.admitSocial(by: me, command: command, for: session) else { return } }
        desk.withUser(named: name, command: command, for: session) { [self] other, reply in
            guard other.id != me.id else {
                session.send(.error(WireError(.badUsage, "you cannot \(command) yourself"), command: command))
                return reply.finish()
            }
            let now = Timestamp.now()
            storage.perform({ store in
                switch relation {
                case .follow:
                    return on
                        ? try store.follow(follower: me.id, followee: other.id, at: now)
                        : try store.unfollow(follower: me.id, followee: other.id)
                case .mute:
                    return try store.setMuted(me.id, other.id, on)
                }
            }) { [self] result in
                switch result {
                case .success(let changed):
                    if changed, let viewer = directory.viewers[me.id] {
                        switch (relation, on) {
                        case (.follow, true): viewer.relations.following.insert(other.id)
                        case (.follow, false): viewer.relations.following.remove(other.id)
                        case (.mute, true): viewer.relations.muted.insert(other.id)
                        case (.mute, false): viewer.relations.muted.remove(other.id)
                        }
                    }
                    if changed {
                        // Whom someone mutes is their private choice: only a debug log shows it.
                        if relation == .mute {
                            log.debug(command, ["user": me.name, "other": other.name])
                        } else {
                            log.info(command, ["user": me.name, "other": other.name])
                        }
                    }
                    if changed, relation == .follow, on {
                        notifications.record([
                            NewNotification(
                                recipientID: other.id, kind: .follow, actorID: me.id, postID: nil, createdAt: now,
                                repeatSince: settings.repeatSince(now))
                        ])
                    }
                    let field: Ack.Field = relation == .follow ? .bool("following", on) : .bool("muted", on)
                    session.send(
                        .ok(
                            Ack(
                                command: command, message: relation.message(on, changed: changed, other.name),
                                fields: [.string("name", other.name), field])))
                case .failure(let error):
                    desk.storageFailed(error, command: command, for: session)
                }
                reply.finish()
            }
        }
    }

    /// `/following [NAME]` and `/followers [NAME]`: NAME, or the session's own account.
    func listFollows(of name: String?, followers: Bool, for session: Session) {
        queue.checkConfined()
        let command = followers ? "followers" : "following"
        let run = { [self] (user: User, reply: CommandReply) in
            storage.perform({ store in followers ? try store.followers(user.id) : try store.following(user.id) }) {
                [self] result in
                switch result {
                case .success(let users):
                    for other in users {
                        session.send(
                            .user(
                                name: other.name, sessions: onlineSessions(other.id),
                                away: directory.awayMessages[other.id],
                                listing: .people))
                    }
                    let count = users.count
                    let message: String
                    if followers {
                        message = "\(user.name) has \(count) follower\(count == 1 ? "" : "s")"
                    } else {
                        message = "\(user.name) follows \(count) account\(count == 1 ? "" : "s")"
                    }
                    session.send(.ok(Ack(command: command, message: message, fields: [.int("count", Int64(count))])))
                case .failure(let error):
                    desk.storageFailed(error, command: command, for: session)
                }
                reply.finish()
            }
        }
        if let name {
            desk.withUser(named: name, command: command, for: session, run)
        } else if let me = session.user {
            run(me, desk.waiting(session, command: command))
        } else {
            session.send(
                .error(
                    WireError(.notLoggedIn, "name someone (/\(command) NAME), or log in to see your own"),
                    command: command))
        }
    }

    /// `/posts NAME`: one account's posts.
    func listPosts(by name: String, _ query: FeedQuery, for session: Session) {
        queue.checkConfined()
        desk.withUser(named: name, command: "posts", for: session) { [self] user, reply in
            posting.list(
                .author(user.id), query, command: "posts", pager: "/posts \(user.name)", reply: reply, for: session)
        }
    }

    /// How many sessions `userID` has open now.
    private func onlineSessions(_ userID: Int64) -> Int {
        directory.sessionsByUser[userID]?.count ?? 0
    }
}

extension People {
    static let trendingWindowHours = 24
    static let trendingCount = 10

    /// `/trending`: the most used hashtags of the last 24 hours.
    func trending(_ session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "trending")
        let since = Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(Self.trendingWindowHours) * 3_600_000)
        storage.perform({ store in try store.trendingTags(since: since, limit: Self.trendingCount) }) { [self] result in
            switch result {
            case .success(let tags):
                for entry in tags { session.send(.tag(name: entry.tag, posts: entry.posts)) }
                let message =
                    tags.isEmpty
                    ? "no hashtags in the last \(Self.trendingWindowHours) hours"
                    : "the most used hashtags of the last \(Self.trendingWindowHours) hours"
                session.send(
                    .ok(Ack(command: "trending", message: message, fields: [.int("count", Int64(tags.count))])))
            case .failure(let error):
                desk.storageFailed(error, command: "trending", for: session)
            }
            reply.finish()
        }
    }
}
