import MicroblogModel
import MicroblogSupport

/// Passwords, reports, invite codes and the moderation steps other nodes act on.
extension SQLStore {
    public func setPasswordHash(_ userID: Int64, _ hash: String) throws {
        try database.statement(CommunitySQL.setPasswordHash).run([.text(hash), .integer(userID)])
    }

    public func setTimeZone(_ userID: Int64, _ identifier: String) throws {
        try database.statement(CommunitySQL.setTimeZone).run([.text(identifier), .integer(userID)])
    }

    public func moderate(
        by adminID: Int64, action: String, userID: Int64?, reason: String, at: Timestamp, announcing event: ClusterEvent
    ) throws {
        try database.transaction {
            try recordModeration(by: adminID, action: action, userID: userID, postID: nil, reason: reason, at: at)
            try announce(event)
        }
    }

    public func addReport(postID: Int64, reporterID: Int64, reason: String, at: Timestamp) throws -> (
        id: Int64, isNew: Bool
    ) {
        let openOne = {
            try self.database.statement(CommunitySQL.openReportBy).rows([.integer(postID), .integer(reporterID)]) {
                $0.int64(at: 0)
            }.first
        }
        if let id = try openOne() { return (id, false) }
        do {
            let id = try database.insert(
                CommunitySQL.insertReport,
                [.integer(postID), .integer(reporterID), .text(reason), .integer(at.milliseconds)])
            return (id, true)
        } catch let error as StoreError where error.failureKind == .unique {
            // Another node added it since the read (`reports_open_once`).
            guard let id = try openOne() else { throw error }
            return (id, false)
        }
    }

    public func openReports(limit: Int) throws -> [PostReport] {
        try database.statement(CommunitySQL.openReports).rows([.integer(Int64(limit))]) { row in
            PostReport(
                id: row.int64(at: 0), postID: row.int64(at: 1), author: try row.nonNullString(at: 2),
                text: row.string(at: 3) ?? "", reporter: try row.nonNullString(at: 4),
                reason: try row.nonNullString(at: 5), createdAt: Timestamp(milliseconds: row.int64(at: 6)))
        }
    }

    public func closeReport(_ id: Int64, by adminID: Int64, note: String, at: Timestamp) throws -> Int64? {
        try database.transaction {
            let found = try database.statement(CommunitySQL.openReport).rows([.integer(id)]) {
                (post: $0.int64(at: 0), author: $0.int64(at: 1))
            }.first
            guard let found else { return nil }
            try database.statement(CommunitySQL.closeReport).run([
                .integer(at.milliseconds), .integer(adminID), .integer(id),
            ])
            try recordModeration(
                by: adminID, action: "close_report", userID: found.author, postID: found.post,
                reason: "report \(id)" + (note.isEmpty ? "" : ": " + note), at: at)
            return found.post
        }
    }

    public func createInvite(code: String, by userID: Int64, unlimited: Bool, at: Timestamp) throws -> Bool {
        try database.transaction {
            if !unlimited {
                try database.statement(CommunitySQL.takeInvite).run([.integer(userID)])
                guard database.changes > 0 else { return false }
            }
            _ = try database.statement(CommunitySQL.insertInvite).run([
                .text(code), .integer(userID), .integer(at.milliseconds),
            ])
            return true
        }
    }

    public func invites(of userID: Int64) throws -> (unused: [String], left: Int) {
        let codes = try database.statement(CommunitySQL.unusedInvites).rows([.integer(userID)]) {
            try $0.nonNullString(at: 0)
        }
        let left = try database.statement(CommunitySQL.invitesLeft).rows([.integer(userID)]) { $0.int64(at: 0) }.first
        return (codes, Int(left ?? 0))
    }

    public func setInvitesLeft(_ userID: Int64, _ count: Int, by adminID: Int64, at: Timestamp) throws {
        try database.transaction {
            try database.statement(CommunitySQL.setInvitesLeft).run([.integer(Int64(count)), .integer(userID)])
            try recordModeration(
                by: adminID, action: "invites", userID: userID, postID: nil, reason: "\(count)", at: at)
        }
    }

    public func createUser(name: String, nameKey: String, passwordHash: String, at: Timestamp, invite: String) throws
        -> User
    {
        try database.transaction {
            // Checked first, so a refused code creates no account (and takes no id).
            let unused = try database.statement(CommunitySQL.inviteUnused).rows([.text(invite)]) { $0.int64(at: 0) }
            guard !unused.isEmpty else { throw StoreError.inviteInvalid }
            let user = try createUser(name: name, nameKey: nameKey, passwordHash: passwordHash, at: at)
            try database.statement(CommunitySQL.useInvite).run([
                .integer(user.id), .integer(at.milliseconds), .text(invite),
            ])
            // Another node used it between the check and here.
            guard database.changes > 0 else { throw StoreError.inviteInvalid }
            return user
        }
    }
}

private enum CommunitySQL {
    static let setPasswordHash = "UPDATE users SET password_hash = ? WHERE id = ?"
    static let setTimeZone = "UPDATE users SET time_zone = ? WHERE id = ?"
    static let insertReport = "INSERT INTO reports (post_id, reporter_id, reason, created_at) VALUES (?, ?, ?, ?)"
    static let openReportBy = "SELECT id FROM reports WHERE post_id = ? AND reporter_id = ? AND closed_at IS NULL"
    static let openReports = """
        SELECT reports.id, reports.post_id, authors.name, CASE WHEN posts.deleted_at IS NULL THEN posts.text END,
            reporters.name, reports.reason, reports.created_at
        FROM reports JOIN posts ON posts.id = reports.post_id JOIN users AS authors ON authors.id = posts.user_id
        JOIN users AS reporters ON reporters.id = reports.reporter_id
        WHERE reports.closed_at IS NULL ORDER BY reports.id LIMIT ?
        """
    static let openReport = """
        SELECT reports.post_id, posts.user_id FROM reports JOIN posts ON posts.id = reports.post_id
        WHERE reports.id = ? AND reports.closed_at IS NULL
        """
    static let closeReport = "UPDATE reports SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL"
    static let takeInvite = "UPDATE users SET invites_left = invites_left - 1 WHERE id = ? AND invites_left > 0"
    static let insertInvite = "INSERT INTO invites (code, inviter_id, created_at) VALUES (?, ?, ?)"
    static let unusedInvites =
        "SELECT code FROM invites WHERE inviter_id = ? AND used_by IS NULL ORDER BY created_at, code"
    static let invitesLeft = "SELECT invites_left FROM users WHERE id = ?"
    static let setInvitesLeft = "UPDATE users SET invites_left = ? WHERE id = ?"
    static let inviteUnused = "SELECT inviter_id FROM invites WHERE code = ? AND used_by IS NULL"
    static let useInvite = "UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL"
}

/// `/export` and `/delete-account`.
extension SQLStore {
    public func exportPage(of userID: Int64, from cursor: ExportCursor, limit: Int, textBytes: Int) throws
        -> ExportPage
    {
        let limit = max(1, limit)
        let user = SQLValue.integer(userID)
        let after = SQLValue.integer(cursor.afterID)
        let afterTime = SQLValue.integer(cursor.afterTime)
        // One more row than the page tells whether the kind goes on.
        let fetch = SQLValue.integer(Int64(limit + 1))
        // Each row: the record, and its key (time, id) for the next page.
        let rows: [(record: ExportRecord, time: Int64, id: Int64)]
        switch cursor.kind {
        case .post:
            rows = try database.statement(AccountDataSQL.posts).rows([user, after, fetch]) { row in
                let id = row.int64(at: 0)
                return (
                    .post(
                        id: id, at: Timestamp(milliseconds: row.int64(at: 1)), text: row.string(at: 2) ?? "",
                        replyTo: row.string(at: 3) == nil ? nil : row.int64(at: 3),
                        repostOf: row.string(at: 4) == nil ? nil : row.int64(at: 4)), 0, id
                )
            }
        case .like:
            rows = try database.statement(AccountDataSQL.likes).rows([user, afterTime, afterTime, after, fetch]) {
                row in
                let time = row.int64(at: 1)
                return (.like(postID: row.int64(at: 0), at: Timestamp(milliseconds: time)), time, row.int64(at: 0))
            }
        case .follow:
            rows = try database.statement(AccountDataSQL.follows).rows([user, afterTime, afterTime, after, fetch]) {
                row in
                let time = row.int64(at: 1)
                return (
                    .follow(name: try row.nonNullString(at: 0), at: Timestamp(milliseconds: time)), time,
                    row.int64(at: 2)
                )
            }
        case .message:
            rows = try database.statement(AccountDataSQL.messages).rows([user, after, fetch, user, after, fetch, fetch])
            { row in
                let id = row.int64(at: 0)
                return (
                    .message(
                        id: id, at: Timestamp(milliseconds: row.int64(at: 1)), from: try row.nonNullString(at: 2),
                        to: try row.nonNullString(at: 3), text: try row.nonNullString(at: 4)), 0, id
                )
            }
        }
        // Stop at `limit` records, or once their text reaches `textBytes`, so a page of long posts
        // stays about as large in bytes as one of likes.
        var taken = 0
        var bytes = 0
        while taken < min(limit, rows.count) && (taken == 0 || bytes < textBytes) {
            bytes += rows[taken].record.textBytes
            taken += 1
        }
        let next: ExportCursor?
        if taken < rows.count, let last = rows[..<taken].last {
            next = ExportCursor(kind: cursor.kind, afterTime: last.time, afterID: last.id)
        } else if let following = ExportCursor.Kind(rawValue: cursor.kind.rawValue + 1) {
            next = ExportCursor(kind: following)
        } else {
            next = nil
        }
        return ExportPage(records: rows[..<taken].map(\.record), next: next)
    }

    public func deleteAccount(_ userID: Int64, at: Timestamp) throws -> [Int64] {
        try database.transaction {
            // The account row first: from here nothing more of the account commits (see
            // `SQLConnection.deletedAccounts`). On PostgreSQL this waits for any transaction writing
            // something of the account, so the statements below, each reading anew, see what it wrote.
            try database.statement(AccountDataSQL.emptyAccount).run([.integer(at.milliseconds), .integer(userID)])
            let ids = try database.statement(AccountDataSQL.deletablePosts).rows([.integer(userID), .integer(userID)]) {
                $0.int64(at: 0)
            }
            for target in ids {
                try database.statement(ConversationSQL.softDelete).run([.integer(at.milliseconds), .integer(target)])
                try database.statement(ConversationSQL.dropMentions).run([.integer(target)])
                try database.statement(ConversationSQL.dropTags).run([.integer(target)])
            }
            for sql in AccountDataSQL.removals {
                let count = sql.filter { $0 == "?" }.count
                try database.statement(sql).run(Array(repeating: .integer(userID), count: count))
            }
            if !ids.isEmpty { try announce(.deleted(ids)) }
            try announce(.accountDeleted(userID: userID))
            return ids
        }
    }

    public func releaseDeletedName(nameKey: String, deletedBefore: Timestamp) throws {
        try database.statement(AccountDataSQL.releaseName).run([.text(nameKey), .integer(deletedBefore.milliseconds)])
    }

    public func deletedAt(nameKey: String) throws -> Timestamp? {
        try database.statement(AccountDataSQL.deletedAt).rows([.text(nameKey)]) {
            Timestamp(milliseconds: $0.int64(at: 0))
        }.first
    }
}

private enum AccountDataSQL {
    // Pages of `/export`, each after the last key sent (`ExportCursor`), `LIMIT` rows, through an index.
    static let posts = """
        SELECT id, created_at, text, reply_to, repost_of FROM posts
        WHERE user_id = ? AND id > ? AND deleted_at IS NULL ORDER BY id LIMIT ?
        """
    static let likes = """
        SELECT post_id, created_at FROM likes
        WHERE user_id = ? AND created_at >= ? AND (created_at > ? OR post_id > ?) ORDER BY created_at, post_id LIMIT ?
        """
    static let follows = """
        SELECT users.name, follows.created_at, follows.followee FROM follows JOIN users ON users.id = follows.followee
        WHERE follows.follower = ? AND follows.created_at >= ?
            AND (follows.created_at > ? OR follows.followee > ?)
        ORDER BY follows.created_at, follows.followee LIMIT ?
        """
    /// Sent and received, each side through its own index, merged.
    static let messages = """
        SELECT messages.id, messages.created_at, senders.name, recipients.name, messages.text
        FROM (SELECT id FROM (SELECT id FROM messages WHERE sender = ? AND id > ? ORDER BY id LIMIT ?) AS sent
              UNION SELECT id FROM (SELECT id FROM messages WHERE recipient = ? AND id > ? ORDER BY id LIMIT ?) AS got
        ) AS mine
        JOIN messages ON messages.id = mine.id
        JOIN users AS senders ON senders.id = messages.sender JOIN users AS recipients ON recipients.id = messages.recipient
        ORDER BY messages.id LIMIT ?
        """
    /// The account's posts not yet deleted, and every repost of one of them.
    static let deletablePosts = """
        SELECT id FROM posts WHERE deleted_at IS NULL
            AND (user_id = ? OR repost_of IN (SELECT id FROM posts WHERE user_id = ?)) ORDER BY id
        """
    /// What goes with the account; each statement takes its id at every `?`.
    static let removals = [
        "DELETE FROM mentions WHERE user_id = ?",
        "DELETE FROM likes WHERE user_id = ?",
        "DELETE FROM follows WHERE follower = ? OR followee = ?",
        "DELETE FROM mutes WHERE user_id = ? OR muted_id = ?",
        "DELETE FROM messages WHERE sender = ? OR recipient = ?",
        "DELETE FROM ssh_keys WHERE user_id = ?",
        "DELETE FROM web_sessions WHERE user_id = ?",
        "DELETE FROM notifications WHERE user_id = ? OR actor_id = ?",
        "DELETE FROM invites WHERE inviter_id = ? AND used_by IS NULL",
    ]
    /// No password can match `!` (only `$y$` and `$2b$` hashes are verified).
    static let emptyAccount = """
        UPDATE users SET password_hash = '!', bio = '', watch = 'all', time_zone = '', invites_left = 0,
            notify_off = '', bell = 0, deleted_at = ? WHERE id = ?
        """
    static let deletedAt = "SELECT deleted_at FROM users WHERE name_key = ? AND deleted_at IS NOT NULL"
    static let releaseName = """
        UPDATE users SET name_key = 'deleted:' || id
        WHERE name_key = ? AND deleted_at IS NOT NULL AND deleted_at <= ?
        """
}

/// The schema step that lets `/export` read each page through an index range that starts at the page's
/// cursor: an account's likes and follows in time order, its sent and received messages by id.
public enum ExportPaging {
    public static let indexes = """
        CREATE INDEX likes_by_user ON likes(user_id, created_at, post_id);
        CREATE INDEX follows_by_follower_time ON follows(follower, created_at, followee);
        CREATE INDEX messages_sent ON messages(sender, id);
        CREATE INDEX messages_received ON messages(recipient, id);
        """
}

extension ExportRecord {
    /// The bytes of text the record carries, for the size of an export page.
    var textBytes: Int {
        switch self {
        case .post(_, _, let text, _, _): return text.utf8.count
        case .message(_, _, _, _, let text): return text.utf8.count
        case .follow(let name, _): return name.utf8.count
        case .like: return 0
        }
    }
}
