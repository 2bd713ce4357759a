import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/reply`, `/thread`, `/like`, `/unlike`, `/repost`, `/delete`: what is done with a post once posted.
extension Posting {
    static let maxThreadPosts = 200

    func reply(to id: Int64, _ raw: String, by user: User, for session: Session) {
        queue.checkConfined()
        let text: String
        switch PostRules.validate(raw) {
        case .success(let valid): text = valid
        case .failure(let error): return session.send(.error(error, command: "reply"))
        }
        desk.withPost(id, command: "reply", for: session) { [self] parent, reply in
            guard admitPost(by: user, command: "reply", for: session) else { return reply.finish() }
            // A reply to a repost answers the original.
            let target =
                parent.repostOf ?? PostReference(id: parent.id, author: parent.author, authorID: parent.authorID)
            publish(
                NewPost(authorID: user.id, text: text, createdAt: .now(), replyTo: target), command: "reply",
                reply: reply, for: session)
        }
    }

    func repost(_ id: Int64, by user: User, for session: Session) {
        queue.checkConfined()
        desk.withPost(id, command: "repost", for: session) { [self] found, reply in
            let original =
                found.repostOf ?? PostReference(id: found.id, author: found.author, authorID: found.authorID)
            storage.perform({ store in try store.hasReposted(userID: user.id, postID: original.id) }) { [self] result in
                switch result {
                case .success(true):
                    session.send(
                        .ok(
                            Ack(
                                command: "repost", message: "you already reposted #\(original.id)",
                                fields: [.int("repost_of", original.id)])))
                    reply.finish()
                case .success(false):
                    guard admitPost(by: user, command: "repost", for: session) else { return reply.finish() }
                    publish(
                        NewPost(
                            authorID: user.id, text: found.text, createdAt: .now(), entities: PostEntities(),
                            repostOf: original), command: "repost", reply: reply, for: session)
                case .failure(let error):
                    desk.storageFailed(error, command: "repost", for: session)
                    reply.finish()
                }
            }
        }
    }

    func thread(_ id: Int64, for session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "thread")
        storage.perform({ store -> [ThreadEntry] in
            // A repost's conversation is its original's.
            let target = try store.post(id: id)?.repostOf?.id ?? id
            return try store.thread(of: target, limit: Self.maxThreadPosts)
        }) { [self] result in
            switch result {
            // A deleted post still has a thread if anything answered it.
            case .success(let entries) where entries.count > 1 || entries.contains(where: { !$0.deleted }):
                let muted = session.viewer?.relations.muted ?? []
                let now = Timestamp.now()
                var shown = 0
                for entry in entries {
                    // A muted author's post keeps its place in the tree, like a deleted one.
                    let hidden = entry.deleted || muted.contains(entry.post.authorID)
                    session.send(.threadPost(entry.post, depth: entry.depth, deleted: hidden), now: now)
                    shown += 1
                }
                let noun = shown == 1 ? "post" : "posts"
                session.send(
                    .ok(
                        Ack(
                            command: "thread", message: "\(shown) \(noun) in the conversation",
                            fields: [.int("count", Int64(shown)), .int("root", entries.first?.post.id ?? id)])))
            case .success:
                session.send(.error(desk.noSuchPost(id), command: "thread"))
            case .failure(let error):
                desk.storageFailed(error, command: "thread", for: session)
            }
            reply.finish()
        }
    }

    func like(_ id: Int64, _ liked: Bool, by user: User, for session: Session) {
        queue.checkConfined()
        let command = liked ? "like" : "unlike"
        guard limits.admitSocial(by: user, command: command, for: session) else { return }
        desk.withPost(id, command: command, for: session) { [self] found, reply in
            // Likes belong to the original of a repost.
            let target = found.repostOf?.id ?? found.id
            let now = Timestamp.now()
            storage.perform({ store -> (Bool, Int) in
                let changed = try store.setLiked(postID: target, userID: user.id, liked, at: now)
                return (changed, try store.post(id: target)?.likes ?? 0)
            }) { [self] result in
                switch result {
                case .success(let (changed, likes)):
                    if changed { hub.updateRecent(likes: likes, of: target) }
                    let count = likes == 1 ? "1 like" : "\(likes) likes"
                    let message: String
                    switch (liked, changed) {
                    case (true, true):
                        message = "you like #\(target) (\(count))"
                        let author = found.repostOf?.authorID ?? found.authorID
                        if author != user.id {
                            notifications.record([
                                NewNotification(
                                    recipientID: author, kind: .like, actorID: user.id, postID: target, createdAt: now,
                                    repeatSince: settings.repeatSince(now))
                            ])
                        }
                    case (true, false): message = "you already like #\(target) (\(count))"
                    case (false, true): message = "you no longer like #\(target) (\(count))"
                    case (false, false): message = "you did not like #\(target) (\(count))"
                    }
                    session.send(
                        .ok(
                            Ack(
                                command: command, message: message,
                                fields: [.int("id", target), .int("likes", Int64(likes)), .bool("changed", changed)])))
                case .failure(let error):
                    desk.storageFailed(error, command: command, for: session)
                }
                reply.finish()
            }
        }
    }

    func delete(_ id: Int64, by user: User, for session: Session) {
        queue.checkConfined()
        desk.withPost(id, command: "delete", for: session) { [self] found, reply in
            let moderating = found.authorID != user.id
            guard !moderating || settings.isAdmin(user) else {
                session.send(.error(WireError(.forbidden, "you can only delete your own posts"), command: "delete"))
                return reply.finish()
            }
            let now = Timestamp.now()
            storage.perform({ store in
                let ids = try store.deletePost(id: id, at: now)
                if moderating {
                    try store.recordModeration(
                        by: user.id, action: "delete", userID: found.authorID, postID: id, reason: "", at: now)
                }
                return ids
            }) { [self] result in
                switch result {
                case .success(let ids):
                    if moderating {
                        log.info(
                            "moderation", ["admin": user.name, "action": "delete", "post": id, "author": found.author])
                    } else {
                        log.info("delete", ["user": user.name, "post": id])
                    }
                    session.send(
                        .ok(Ack(command: "delete", message: "deleted #\(id)", fields: [.int("id", id)])))
                    if !ids.isEmpty { hub.broadcast(EncodedEvent(.deleted(ids: ids), at: .now()), excluding: session) }
                case .failure(let error):
                    desk.storageFailed(error, command: "delete", for: session)
                }
                reply.finish()
            }
        }
    }
}
