import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// What happened while you were away: a summary on login, and `/catchup`.
extension Notifications {
    static let catchUpPosts = 50

    /// Right after a login's `ok`: one line (JSON `catchup`) if anything happened; the session waits
    /// until it is sent, so it comes before the next reply.
    func summarizeAbsence(of user: User, since: Timestamp, for session: Session, _ reply: CommandReply) {
        queue.checkConfined()
        storage.perform({ store in try store.catchUp(of: user.id, since: since, limit: Self.catchUpPosts) }) {
            [self] result in
            switch result {
            case .success(let summary) where !summary.isEmpty:
                session.send(.catchUp(summary))
            case .success:
                break
            case .failure(let error):
                desk.logStorageFault(error, command: "catchup", conn: session.id)
            }
            reply.finish()
        }
    }

    /// `/catchup`: new followers, then the new posts of people you follow and mentions of you (oldest
    /// first, at most 50 of each), since you were last seen before this login.
    func catchUp(_ user: User, for session: Session) {
        queue.checkConfined()
        guard let since = session.catchUpSince else {
            return session.send(
                .ok(
                    Ack(
                        command: "catchup",
                        message: "nothing to catch up on: this is your first visit, or you never left",
                        fields: [.int("posts", 0), .int("followers", 0), .int("messages", 0)])))
        }
        let reply = desk.waiting(session, command: "catchup")
        storage.perform({ store -> (CatchUp, [Post]) in
            let summary = try store.catchUp(of: user.id, since: since, limit: Self.catchUpPosts)
            let ids = Array(Set(summary.homePostIDs + summary.mentionIDs))
            return (summary, try store.posts(ids: ids, viewer: user.id))
        }) { [self] result in
            switch result {
            case .success(let (summary, posts)):
                for name in summary.newFollowers {
                    let id = viewerID(named: name)
                    session.send(
                        .user(
                            name: name, sessions: directory.sessionsByUser[id]?.count ?? 0,
                            away: directory.awayMessages[id],
                            listing: .newFollower))
                }
                let now = Timestamp.now()
                for post in posts { session.send(.post(post, live: false), now: now) }
                func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
                var message =
                    "\(count(posts.count, "post")) and \(count(summary.newFollowers.count, "new follower")) since you were last here"
                if summary.unreadMessages > 0 {
                    message += "; \(count(summary.unreadMessages, "unread message")): /inbox"
                }
                session.send(
                    .ok(
                        Ack(
                            command: "catchup", message: message,
                            fields: [
                                .int("posts", Int64(posts.count)), .int("followers", Int64(summary.newFollowers.count)),
                                .int("messages", Int64(summary.unreadMessages)),
                            ])))
            case .failure(let error):
                desk.storageFailed(error, command: "catchup", for: session)
            }
            reply.finish()
        }
    }

    /// The id of an online account by name, or 0.
    private func viewerID(named name: String) -> Int64 {
        directory.sessionsByUser.first { $0.value.first?.user?.name == name }?.key ?? 0
    }
}
