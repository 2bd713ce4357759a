import MicroblogModel
import MicroblogSupport

/// The store's SQL. Every value is a `?` parameter. Most statements are the same for every engine
/// (static); those that differ are assembled from the connection's dialect (instance properties).
public struct SQL {
    static let insertUser =
        "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)"
    static let accountByNameKey =
        "SELECT id, name, password_hash, created_at, watch, last_seen, banned_reason, name_key, time_zone FROM users WHERE name_key = ? AND deleted_at IS NULL"
    static let followeeIDs = "SELECT followee FROM follows WHERE follower = ?"
    /// Neither the post's author nor, for a repost, its original's author is muted by the viewer (`?`, `?`).
    static let notMuted = """
        posts.user_id NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?)
        AND coalesce((SELECT original.user_id FROM posts AS original WHERE original.id = posts.repost_of), 0)
            NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?)
        """
    static let mutedIDs = "SELECT muted_id FROM mutes WHERE user_id = ?"
    /// Posts the web door shows: neither their author nor, for a repost, the original's is banned or has
    /// chosen `/web off` (the few such accounts are found through `users_off_web`).
    static let shownOnTheWeb = """
        posts.user_id NOT IN (SELECT id FROM users WHERE web_off <> 0 OR banned_reason IS NOT NULL)
        AND coalesce((SELECT original.user_id FROM posts AS original WHERE original.id = posts.repost_of), 0)
            NOT IN (SELECT id FROM users WHERE web_off <> 0 OR banned_reason IS NOT NULL)
        """
    static let setWatch = "UPDATE users SET watch = ? WHERE id = ?"
    static let mute = "INSERT INTO mutes (user_id, muted_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
    static let unmute = "DELETE FROM mutes WHERE user_id = ? AND muted_id = ?"
    static let userName = "SELECT name FROM users WHERE id = ?"
    /// The account a name key names, unless it was deleted (as `accountByNameKey`).
    public static let userByNameKey = "SELECT id, name, created_at FROM users WHERE name_key = ? AND deleted_at IS NULL"
    /// The account, if it was deleted (SQLite's `SQLConnection.deletedAccounts`).
    public static let deletedAccount = "SELECT id FROM users WHERE id = ? AND deleted_at IS NOT NULL"
    public static let insertPost =
        "INSERT INTO posts (user_id, text, created_at, reply_to, repost_of) VALUES (?, ?, ?, ?, ?)"
    public static let insertNotification =
        "INSERT INTO notifications (user_id, kind, actor_id, post_id, created_at) VALUES (?, ?, ?, ?, ?)"
    public static let notificationSettings = "SELECT notify_off, bell FROM users WHERE id = ?"
    /// A notification like the one to record (recipient, kind, actor, post or NULL) made at or after a time
    /// (see `NewNotification.repeatSince`); `notifications_by_actor` serves it.
    public static let repeatedNotification = """
        SELECT 1 FROM notifications WHERE actor_id = ? AND user_id = ? AND kind = ?
            AND post_id IS NOT DISTINCT FROM ? AND created_at >= ? LIMIT 1
        """
    public static func repeatedNotificationValues(_ new: NewNotification, since: Timestamp) -> [SQLValue] {
        [
            .integer(new.actorID), .integer(new.recipientID), .text(new.kind.rawValue),
            new.postID.map { .integer($0) } ?? .null, .integer(since.milliseconds),
        ]
    }
    /// A post and, from their own tables, its mentions (ids, then names, in one order) and tags.
    let postColumns: String
    /// The same columns for the newest matches of a full-text query (`?`, then `?` candidates), with a
    /// `candidates.score` that sorts the best first.
    let searchColumns: String
    /// The same for a substring search, through the trigram index (values: `substringValues`).
    let substringColumns: String
    /// The same for a substring search of strings too short for a trigram (values: `substringValues`).
    let shortSubstringColumns: String
    /// A thread below a post, depth first (`?` root, `?` limit).
    let threadTree: String

    init(_ dialect: SQLDialect) {
        // Lists of mentions and tags in one column each, space-separated.
        func list(_ expression: String, from: String, order: String) -> String {
            dialect.spaceSeparatedList(expression, from, order)
        }
        postColumns = """
            SELECT posts.id, posts.user_id, users.name, posts.text, posts.created_at,
                \(list("mentions.user_id", from: "FROM mentions WHERE mentions.post_id = posts.id", order: "mentions.user_id")),
                \(list("mentioned.name", from: "FROM mentions JOIN users AS mentioned ON mentioned.id = mentions.user_id WHERE mentions.post_id = posts.id", order: "mentions.user_id")),
                \(list("tags.tag", from: "FROM tags WHERE tags.post_id = posts.id", order: "tags.tag")),
                posts.reply_to,
                (SELECT users.name FROM posts AS parent JOIN users ON users.id = parent.user_id WHERE parent.id = posts.reply_to),
                posts.repost_of,
                (SELECT users.name FROM posts AS original JOIN users ON users.id = original.user_id
                 WHERE original.id = posts.repost_of),
                (SELECT count(*) FROM likes WHERE likes.post_id = coalesce(posts.repost_of, posts.id)),
                (SELECT parent.user_id FROM posts AS parent WHERE parent.id = posts.reply_to),
                (SELECT original.user_id FROM posts AS original WHERE original.id = posts.repost_of)
            FROM posts JOIN users ON users.id = posts.user_id
            """
        let columns = postColumns
        func ranked(_ candidates: String) -> String {
            columns.replacingAll(
                "FROM posts JOIN users",
                with: "FROM (\(candidates)) AS candidates JOIN posts ON posts.id = candidates.id JOIN users")
        }
        searchColumns = ranked(dialect.searchCandidates)
        substringColumns = ranked(dialect.substringCandidates)
        shortSubstringColumns = ranked(dialect.shortSubstringCandidates)
        // Each path sorts its ids in order: zero-padded ids joined by '/', compared byte by byte.
        let padded = dialect.zeroPadded
        threadTree = """
            WITH RECURSIVE down(id, depth, path, deleted) AS (
                SELECT id, 0, \(padded("id")), deleted_at IS NOT NULL FROM posts WHERE id = ?
                UNION ALL
                SELECT posts.id, down.depth + 1, down.path || '/' || \(padded("posts.id")), posts.deleted_at IS NOT NULL
                FROM posts JOIN down ON posts.reply_to = down.id
            )
            SELECT id, depth, deleted FROM down ORDER BY path\(dialect.byteOrder) LIMIT ?
            """
    }

    static let authorLatest = "SELECT id FROM posts WHERE user_id = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?"
    static let authorBefore =
        "SELECT id FROM posts WHERE user_id = ? AND id < ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?"
    static let authorSince =
        "SELECT id FROM posts WHERE user_id = ? AND id > ? AND deleted_at IS NULL ORDER BY id ASC LIMIT ?"
    /// `rows` mention rows in one statement (two values a row: the user, the post).
    public static func insertMentions(rows: Int) -> String {
        "INSERT INTO mentions (user_id, post_id) VALUES \(tuples("(?, ?)", rows)) ON CONFLICT DO NOTHING"
    }
    /// `rows` tag rows in one statement (three values a row: the tag, the post, its time).
    public static func insertTags(rows: Int) -> String {
        "INSERT INTO tags (tag, post_id, created_at) VALUES \(tuples("(?, ?, ?)", rows)) ON CONFLICT DO NOTHING"
    }
    private static func tuples(_ tuple: String, _ rows: Int) -> String {
        Array(repeating: tuple, count: rows).joined(separator: ", ")
    }
    static let trending = """
        SELECT tag, count(*) AS uses FROM tags WHERE created_at >= ? GROUP BY tag ORDER BY uses DESC, tag LIMIT ?
        """
    static let follow = "INSERT INTO follows (follower, followee, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
    static let unfollow = "DELETE FROM follows WHERE follower = ? AND followee = ?"
    static let following = """
        SELECT users.id, users.name, users.created_at FROM follows JOIN users ON users.id = follows.followee
        WHERE follows.follower = ? ORDER BY users.name_key
        """
    static let followers = """
        SELECT users.id, users.name, users.created_at FROM follows JOIN users ON users.id = follows.follower
        WHERE follows.followee = ? ORDER BY users.name_key
        """
    /// Deleted accounts (`/delete-account`) are not counted; deleted posts are.
    static let counts = "SELECT (SELECT count(*) FROM users WHERE deleted_at IS NULL), (SELECT count(*) FROM posts)"
}
