import MicroblogModel
import MicroblogSupport

/// Profiles and direct messages.
extension SQLStore {
    public func profile(of userID: Int64) throws -> Profile? {
        try database.statement(PeopleSQL.profile).rows([.integer(userID)]) { row in
            Profile(
                user: User(
                    id: row.int64(at: 0), name: try row.nonNullString(at: 1),
                    createdAt: Timestamp(milliseconds: row.int64(at: 2))),
                bio: row.string(at: 3) ?? "", posts: Int(row.int64(at: 4)), followers: Int(row.int64(at: 5)),
                following: Int(row.int64(at: 6)),
                lastSeen: row.string(at: 7) == nil ? nil : Timestamp(milliseconds: row.int64(at: 7)))
        }.first
    }

    public func setBanned(_ userID: Int64, reason: String?, by adminID: Int64, at: Timestamp) throws -> Bool {
        try database.transaction {
            try database.statement(PeopleSQL.setBanned).run([reason.map { .text($0) } ?? .null, .integer(userID)])
            guard database.changes > 0 else { return false }
            try recordModeration(
                by: adminID, action: reason == nil ? "unban" : "ban", userID: userID, postID: nil, reason: reason ?? "",
                at: at)
            if let reason {
                try announce(.banned(userID: userID, reason: reason))
                // A ban ends the account's web sign-ins for good: lifting it does not bring them back.
                try database.statement("DELETE FROM web_sessions WHERE user_id = ?").run([.integer(userID)])
            }
            return true
        }
    }

    public func recordModeration(
        by adminID: Int64, action: String, userID: Int64?, postID: Int64?, reason: String, at: Timestamp
    ) throws {
        try database.statement(PeopleSQL.moderation).run([
            .integer(at.milliseconds), .integer(adminID), .text(action), userID.map { .integer($0) } ?? .null,
            postID.map { .integer($0) } ?? .null, .text(reason),
        ])
    }

    public func setBio(_ userID: Int64, _ bio: String) throws {
        try database.statement(PeopleSQL.setBio).run([.text(bio), .integer(userID)])
    }

    public func setLastSeen(_ userID: Int64, _ at: Timestamp) throws {
        try database.statement(PeopleSQL.setLastSeen).run([.integer(at.milliseconds), .integer(userID)])
    }

    public func sendMessage(from sender: Int64, to recipient: Int64, text: String, at: Timestamp) throws
        -> DirectMessage
    {
        let id = try database.transaction {
            try refuseDeleted(sender, others: [recipient])
            let id = try database.insert(
                PeopleSQL.insertMessage,
                [.integer(sender), .integer(recipient), .text(text), .integer(at.milliseconds)])
            try announce(.message(id))
            return id
        }
        guard let message = try messages(PeopleSQL.messageByID, [.integer(id)]).first else {
            throw StoreError.storeFailure("message \(id) vanished", context: PeopleSQL.messageByID)
        }
        return message
    }

    /// One message by id, for delivering it live on another node.
    public func message(id: Int64) throws -> DirectMessage? {
        try messages(PeopleSQL.messageByID, [.integer(id)]).first
    }

    public func conversation(of userID: Int64, with otherID: Int64, limit: Int) throws -> [DirectMessage] {
        guard limit > 0 else {
            try checkOpen()
            return []
        }
        let found = try messages(
            PeopleSQL.conversation,
            [.integer(userID), .integer(otherID), .integer(otherID), .integer(userID), .integer(Int64(limit))])
        try database.statement(PeopleSQL.markRead).run([
            .integer(Timestamp.now().milliseconds), .integer(userID), .integer(otherID),
        ])
        return found.reversed()
    }

    public func inbox(of userID: Int64, limit: Int) throws -> [InboxEntry] {
        try database.statement(PeopleSQL.inbox).rows([
            .integer(userID), .integer(userID), .integer(userID), .integer(Int64(limit)),
        ]) { row in
            InboxEntry(
                withID: row.int64(at: 5), with: try row.nonNullString(at: 0), latest: try row.nonNullString(at: 1),
                latestIsMine: row.int64(at: 6) == 1, at: Timestamp(milliseconds: row.int64(at: 2)),
                unread: Int(row.int64(at: 3)),
                messages: Int(row.int64(at: 4)))
        }
    }

    public func catchUp(of userID: Int64, since: Timestamp, limit: Int) throws -> CatchUp {
        let values: [SQLValue] = [.integer(userID), .integer(since.milliseconds)]
        let home = try database.statement(PeopleSQL.homeSince).rows(values + [.integer(Int64(limit))]) {
            $0.int64(at: 0)
        }
        let mentions = try database.statement(PeopleSQL.mentionsSince).rows(values + [.integer(Int64(limit))]) {
            $0.int64(at: 0)
        }
        let followers = try database.statement(PeopleSQL.followersSince).rows(values) { try $0.nonNullString(at: 0) }
        var summary = CatchUp(
            since: since, homePostIDs: home.sorted(), mentionIDs: mentions.sorted(), newFollowers: followers,
            unreadMessages: try unreadMessages(of: userID))
        let counts = try notificationCounts(of: userID, since: since)
        summary.likes = counts[.like] ?? 0
        summary.reposts = counts[.repost] ?? 0
        summary.replies = counts[.reply] ?? 0
        return summary
    }

    public func markMessageRead(id: Int64, recipientID: Int64, at: Timestamp) throws -> Bool {
        try database.statement(PeopleSQL.markOneRead).run([
            .integer(at.milliseconds), .integer(id), .integer(recipientID),
        ])
        return database.changes > 0
    }

    public func accountNames(limit: Int) throws -> [User] {
        try database.statement(PeopleSQL.accountNames).rows([.integer(Int64(limit))]) {
            User(
                id: $0.int64(at: 0), name: try $0.nonNullString(at: 1),
                createdAt: Timestamp(milliseconds: $0.int64(at: 2)))
        }
    }

    public func unreadMessages(of userID: Int64) throws -> Int {
        Int(try database.statement(PeopleSQL.unread).rows([.integer(userID)]) { $0.int64(at: 0) }.first ?? 0)
    }

    private func messages(_ sql: String, _ values: [SQLValue]) throws -> [DirectMessage] {
        try database.statement(sql).rows(values) { row in
            DirectMessage(
                id: row.int64(at: 0), senderID: row.int64(at: 1), sender: try row.nonNullString(at: 2),
                recipientID: row.int64(at: 3), recipient: try row.nonNullString(at: 4),
                text: try row.nonNullString(at: 5),
                createdAt: Timestamp(milliseconds: row.int64(at: 6)))
        }
    }
}

private enum PeopleSQL {
    static let profile = """
        SELECT id, name, created_at, bio,
            (SELECT count(*) FROM posts WHERE posts.user_id = users.id AND deleted_at IS NULL),
            (SELECT count(*) FROM follows WHERE followee = users.id),
            (SELECT count(*) FROM follows WHERE follower = users.id),
            last_seen
        FROM users WHERE id = ?
        """
    static let setBio = "UPDATE users SET bio = ? WHERE id = ?"
    static let setBanned = "UPDATE users SET banned_reason = ? WHERE id = ? AND banned_reason IS DISTINCT FROM ?1"
    static let moderation = """
        INSERT INTO moderation (at, admin_id, action, user_id, post_id, reason) VALUES (?, ?, ?, ?, ?, ?)
        """
    static let setLastSeen = "UPDATE users SET last_seen = ? WHERE id = ?"
    static let insertMessage =
        "INSERT INTO messages (sender, recipient, text, created_at) VALUES (?, ?, ?, ?)"
    private static let columns = """
        SELECT messages.id, sender, s.name, recipient, r.name, text, messages.created_at
        FROM messages JOIN users AS s ON s.id = sender JOIN users AS r ON r.id = recipient
        """
    static let messageByID = columns + " WHERE messages.id = ?"
    /// Newest first (the caller reverses), from both directions of the pair.
    static let conversation =
        columns + """
             WHERE (sender = ? AND recipient = ?) OR (sender = ? AND recipient = ?)
             ORDER BY messages.id DESC LIMIT ?
            """
    static let markOneRead = "UPDATE messages SET read_at = ? WHERE id = ? AND recipient = ? AND read_at IS NULL"
    static let accountNames = "SELECT id, name, created_at FROM users WHERE deleted_at IS NULL ORDER BY id DESC LIMIT ?"
    static let markRead = "UPDATE messages SET read_at = ? WHERE recipient = ? AND sender = ? AND read_at IS NULL"
    static let inbox = """
        WITH pairs AS (
            SELECT CASE WHEN sender = ?1 THEN recipient ELSE sender END AS other, id, created_at,
                   CASE WHEN recipient = ?1 AND read_at IS NULL THEN 1 ELSE 0 END AS unread
            FROM messages WHERE sender = ?2 OR recipient = ?3
        ), conversations AS (
            SELECT other, max(id) AS latest_id, max(created_at) AS at, sum(unread) AS unread, count(*) AS messages
            FROM pairs GROUP BY other
        )
        SELECT users.name, latest.text, conversations.at, conversations.unread, conversations.messages,
               conversations.other, CASE WHEN latest.sender = ?1 THEN 1 ELSE 0 END
        FROM conversations JOIN users ON users.id = conversations.other
            JOIN messages AS latest ON latest.id = conversations.latest_id
        ORDER BY conversations.latest_id DESC LIMIT ?4
        """
    /// Unread messages, but from accounts the recipient muted.
    static let unread = """
        SELECT count(*) FROM messages WHERE recipient = ?1 AND read_at IS NULL
            AND sender NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?1)
        """
    static let homeSince = """
        SELECT posts.id FROM follows JOIN posts ON posts.user_id = follows.followee
        WHERE follows.follower = ?1 AND posts.created_at > ?2 AND posts.deleted_at IS NULL
            AND follows.followee NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?1)
        ORDER BY posts.id DESC LIMIT ?3
        """
    static let mentionsSince = """
        SELECT posts.id FROM mentions JOIN posts ON posts.id = mentions.post_id
        WHERE mentions.user_id = ?1 AND posts.created_at > ?2 AND posts.deleted_at IS NULL
            AND posts.user_id NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?1)
        ORDER BY posts.id DESC LIMIT ?3
        """
    static let followersSince = """
        SELECT users.name FROM follows JOIN users ON users.id = follows.follower
        WHERE follows.followee = ?1 AND follows.created_at > ?2
            AND follows.follower NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?1)
        ORDER BY follows.created_at
        """
}
