import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

/// PostgreSQL's side of the engine-neutral `SQLConnection`: its statements and rows, its dialect, the
/// post lock, batch insert and search binding.
extension PostgresStatement: SQLStatement {
    public typealias Row = PostgresRow
}

extension PostgresRow: SQLRow {}

extension PostgresConnection: SQLConnection {
    public var dialect: SQLDialect { .postgres }

    public func insert(_ sql: String, _ values: [SQLValue]) throws -> Int64 {
        try statement(sql + " RETURNING id").rows(values) { $0.int64(at: 0) }.first ?? 0
    }

    /// Nodes share a PostgreSQL database.
    public var isShared: Bool { true }

    /// Takes the post-order advisory lock until the transaction ends: nodes take turns to insert posts,
    /// holding it until their commit, so ids are committed in id order.
    public func lockPostOrder() throws {
        try statement("SELECT pg_advisory_xact_lock(?)").run([.integer(Self.postOrderLock)])
    }

    /// Inserts a batch's post rows with one statement (a statement per row would cost a round trip each,
    /// measured at 160 µs a post), and returns their ids in the batch's order. The rows are inserted in
    /// array order under the post lock, so their identity ids ascend in that order.
    public func insertPostRows(_ posts: [NewPost]) throws -> [Int64] {
        let array = Self.arrayLiteral
        let ids = try statement(Self.insertPostsFromArrays).rows([
            .text(array(posts.map { String($0.authorID) })), .text(array(posts.map(\.text))),
            .text(array(posts.map { String($0.createdAt.milliseconds) })),
            .text(array(posts.map { $0.replyTo.map { String($0.id) } })),
            .text(array(posts.map { $0.repostOf.map { String($0.id) } })),
        ]) { $0.int64(at: 0) }
        guard ids.count == posts.count else {
            throw StoreError.storeFailure(
                "\(ids.count) ids for \(posts.count) posts", context: Self.insertPostsFromArrays)
        }
        return ids.sorted()
    }

    /// One statement for all of `ids`, locking their rows `FOR SHARE` (see `SQLConnection.deletedAccounts`).
    public func deletedAccounts(among ids: [Int64]) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        let rows = try statement(Self.accountsFromArray).rows([
            .text(Self.arrayLiteral(Set(ids).sorted().map { String($0) }))
        ]) { (id: $0.int64(at: 0), deleted: $0.int64(at: 1) == 1) }
        return Set(rows.filter(\.deleted).map(\.id))
    }

    /// A batch's notifications with one statement (`insertNotificationsFromArrays`), recipients' choices
    /// read in it: a statement a row, and a read of each recipient's choices, would each cost a round trip.
    /// The rows kept are inserted in array order, so their identity ids ascend in that order.
    ///
    /// Repeats (`NewNotification.repeatSince`) are checked in the statement against rows committed
    /// before it, and against the batch here. Nodes take an advisory lock per recipient and actor first,
    /// in key order, so two nodes cannot both find no repeat and both insert: the second statement starts
    /// after the first transaction committed, and sees its row.
    public func insertNotificationRows(_ all: [NewNotification]) throws -> [Int64?] {
        var written: [Int] = []
        for (index, new) in all.enumerated()
        where new.repeatSince == nil || !written.contains(where: { all[$0].repeats(new) }) {
            written.append(index)
        }
        let notifications = written.map { all[$0] }
        let lockKeys = Set(notifications.filter { $0.repeatSince != nil }.map(Self.repeatLockKey)).sorted()
        if !lockKeys.isEmpty {
            try statement(Self.lockRepeatKeys).run([.text(Self.arrayLiteral(lockKeys.map { String($0) }))])
        }
        let array = Self.arrayLiteral
        let rows = try statement(Self.insertNotificationsFromArrays).rows([
            .text(array(notifications.map { String($0.recipientID) })),
            .text(array(notifications.map(\.kind.rawValue))),
            .text(array(notifications.map { String($0.actorID) })),
            .text(array(notifications.map { $0.postID.map { String($0) } })),
            .text(array(notifications.map { String($0.createdAt.milliseconds) })),
            .text(array(notifications.map { $0.repeatSince.map { String($0.milliseconds) } })),
        ]) { (inserted: $0.int64(at: 0) == 1, value: $0.int64(at: 1)) }
        let kept = rows.filter { !$0.inserted }.map { Int($0.value) - 1 }
        let ids = rows.filter(\.inserted).map(\.value)
        guard kept.count == ids.count, kept.allSatisfy(notifications.indices.contains) else {
            throw StoreError.storeFailure(
                "\(ids.count) ids for \(kept.count) notifications kept", context: Self.insertNotificationsFromArrays)
        }
        var result = [Int64?](repeating: nil, count: all.count)
        for (index, id) in zip(kept.sorted(), ids.sorted()) { result[written[index]] = id }
        return result
    }

    /// The advisory lock key of a repeatable notification's recipient and actor (a collision only makes
    /// two unrelated batches take turns).
    static func repeatLockKey(_ new: NewNotification) -> Int64 {
        repeatLockSpace ^ (new.recipientID &* 0x9E37_79B9) ^ (new.actorID << 20)
    }

    static let repeatLockSpace: Int64 = 0x6d62_6e6f_7469_6600  // "mbnotif"
    static let lockRepeatKeys =
        "SELECT count(pg_advisory_xact_lock(key)) FROM (SELECT unnest(CAST(? AS bigint[])) AS key ORDER BY 1) AS keys"

    /// A PostgreSQL array literal: every element quoted, quotes and backslashes escaped, NULL bare.
    static func arrayLiteral(_ values: [String?]) -> String {
        "{"
            + values.map { value in
                value.map { "\"" + $0.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" }
                    ?? "NULL"
            }.joined(separator: ",") + "}"
    }

    /// The batch's mentions and tags with one statement (`insertEntitiesFromArrays`): a statement a row,
    /// each a round trip under the post lock, would cost more than the posts themselves.
    public func insertEntities(_ rows: PostEntityRows) throws -> [[User]] {
        let array = Self.arrayLiteral
        var users = [User?](repeating: nil, count: rows.mentions.count)
        let named = try statement(Self.insertEntitiesFromArrays).rows([
            .text(array(rows.mentions.map { String($0.postID) })), .text(array(rows.mentions.map(\.keptApartKey))),
            .text(array(rows.mentions.map(\.nameKey))), .text(array(rows.tags.map(\.tag))),
            .text(array(rows.tags.map { String($0.postID) })), .text(array(rows.tags.map { String($0.createdAt) })),
        ]) { row in
            (
                index: Int(row.int64(at: 0)) - 1,
                user: User(
                    id: row.int64(at: 1), name: try row.nonNullString(at: 2),
                    createdAt: Timestamp(milliseconds: row.int64(at: 3)))
            )
        }
        for (index, user) in named where users.indices.contains(index) { users[index] = user }
        return rows.mentioned(users)
    }

    /// Each commit indexes its own posts (the `search` column and the trigram index are kept by PostgreSQL).
    public func indexForSearch(limit: Int) throws -> Int { 0 }
    public func postsAwaitingSearchIndex() throws -> Int { 0 }

    /// plainto_tsquery reads its text as plain words, all of which must match: no operators. The words are
    /// bound twice (the match and the rank).
    public func searchValues(_ tokens: [String], candidates: Int) -> [SQLValue] {
        let words = tokens.joined(separator: " ")
        return [.text(words), .text(words), .integer(Int64(candidates))]
    }

    /// ILIKE patterns (`%`, `_` and `\\` escaped, so each string is literal text): the longest string's
    /// alone, which the trigram index serves (it cannot serve `ILIKE ALL` of an array), then every string's
    /// in a text array.
    public func substringValues(_ strings: [String], candidates: Int, window: Int?) -> [SQLValue] {
        let patterns = strings.map { string in
            "%" + string.replacingAll("\\", with: "\\\\").replacingAll("%", with: "\\%").replacingAll("_", with: "\\_")
                + "%"
        }
        let array = SQLValue.text(
            "{"
                + patterns.map { "\"" + $0.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" }
                .joined(separator: ",") + "}")
        if let window { return [.integer(Int64(window)), array, .integer(Int64(candidates))] }
        let longest = patterns.max { $0.unicodeScalars.count < $1.unicodeScalars.count } ?? "%"
        return [.text(longest), array, .integer(Int64(candidates))]
    }

    /// The accounts among an array of ids, and whether each is deleted (1), their rows locked until the
    /// transaction ends.
    static let accountsFromArray = """
        SELECT id, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END FROM users WHERE id = ANY (CAST(? AS bigint[]))
        ORDER BY id FOR SHARE
        """

    /// A batch of posts from arrays, one element per post.
    static let insertPostsFromArrays = """
        INSERT INTO posts (user_id, text, created_at, reply_to, repost_of)
        SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS bigint[]),
                             CAST(? AS bigint[]))
        RETURNING id
        """
    /// A batch's mentions and tags from arrays, one element per mention (post id, kept-apart key, name key)
    /// and per tag (tag, post id, time). Each mention takes the account of its first key, else of its
    /// second, among accounts not deleted (as `Store.user(named:)`); one row per post and user is written,
    /// and the statement returns, for each mention that names someone, its place in the array (from 1) and
    /// the account. The data-modifying WITH parts always run to completion, read or not.
    static let insertEntitiesFromArrays = """
        WITH written AS (
            SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS text[])) WITH ORDINALITY
                AS written(post_id, kept_apart_key, name_key, ordinal)
        ), named AS (
            SELECT written.ordinal, written.post_id, coalesce(apart.id, folded.id) AS user_id FROM written
            LEFT JOIN users AS apart ON apart.name_key = written.kept_apart_key AND apart.deleted_at IS NULL
            LEFT JOIN users AS folded ON folded.name_key = written.name_key AND folded.deleted_at IS NULL
        ), mentioned AS (
            INSERT INTO mentions (user_id, post_id)
            SELECT DISTINCT user_id, post_id FROM named WHERE user_id IS NOT NULL ON CONFLICT DO NOTHING
        ), tagged AS (
            INSERT INTO tags (tag, post_id, created_at)
            SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS bigint[])) ON CONFLICT DO NOTHING
        )
        SELECT named.ordinal, users.id, users.name, users.created_at FROM named JOIN users ON users.id = named.user_id
        """
    /// A batch of notifications from arrays, one element per notification, but those of a kind their
    /// recipient turned off (`notify_off`, words separated by spaces). Returns a row (0, place in the
    /// arrays from 1) for each notification kept and a row (1, id) for each row inserted. A notification
    /// with a `repeat_since` is left out when one like it was made at or after that time. `kept` is read
    /// twice, so it is computed once; an unknown recipient is kept, and fails the foreign key.
    static let insertNotificationsFromArrays = """
        WITH written AS (
            SELECT * FROM unnest(CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS bigint[]), CAST(? AS bigint[]),
                                 CAST(? AS bigint[]), CAST(? AS bigint[])) WITH ORDINALITY
                AS written(user_id, kind, actor_id, post_id, created_at, repeat_since, ordinal)
        ), kept AS MATERIALIZED (
            SELECT written.* FROM written LEFT JOIN users ON users.id = written.user_id
            WHERE (users.id IS NULL OR NOT (written.kind = ANY (string_to_array(users.notify_off, ' '))))
                AND (written.repeat_since IS NULL OR NOT EXISTS (
                    SELECT 1 FROM notifications AS earlier
                    WHERE earlier.actor_id = written.actor_id AND earlier.user_id = written.user_id
                        AND earlier.kind = written.kind AND earlier.post_id IS NOT DISTINCT FROM written.post_id
                        AND earlier.created_at >= written.repeat_since))
        ), inserted AS (
            INSERT INTO notifications (user_id, kind, actor_id, post_id, created_at)
            SELECT user_id, kind, actor_id, post_id, created_at FROM kept ORDER BY ordinal
            RETURNING id
        )
        SELECT 0, CAST(ordinal AS bigint) FROM kept UNION ALL SELECT 1, CAST(id AS bigint) FROM inserted
        """
    /// The advisory lock under which nodes insert posts (see `lockPostOrder`).
    static let postOrderLock: Int64 = 0x6d62_706f_7374_6f72  // "mbpostor"

    /// NOTIFY on the cluster's channel: PostgreSQL delivers it to every listening node when the
    /// transaction commits, in commit order, and drops it on rollback.
    public func announce(_ payload: String) throws {
        try notify(try clusterChannel(), payload: payload)
    }

    /// The channel the nodes of one community share: one per schema, so several communities (or test
    /// runs) in one database never hear each other.
    func clusterChannel() throws -> String {
        if let channelName { return channelName }
        let schema = try statement("SELECT current_schema()").rows([]) { $0.string(at: 0) }.first ?? nil
        let name = "microblog_" + (schema ?? "public")
        channelName = name
        return name
    }
}

extension SQLDialect {
    static let postgres = SQLDialect(
        spaceSeparatedList: { expression, from, order in
            "(SELECT string_agg((\(expression))::text, ' ' ORDER BY \(order)) \(from))"
        },
        // ts_rank: higher is better, so negated to sort like SQLite's bm25.
        searchCandidates: """
            SELECT id, -ts_rank(search, plainto_tsquery('simple', microblog_unaccent(?))) AS score FROM posts
            WHERE search @@ plainto_tsquery('simple', microblog_unaccent(?)) ORDER BY id DESC LIMIT ?
            """,
        // ILIKE: case-insensitive, as the word index is. Served by the trigram index (PostgresMigrations step 7)
        // when pg_trgm could be installed; without it, a scan of the newest posts down the primary key.
        substringCandidates: """
            SELECT id, 0 AS score FROM posts WHERE text ILIKE ? AND text ILIKE ALL (CAST(? AS text[]))
            ORDER BY id DESC LIMIT ?
            """,
        shortSubstringCandidates: """
            SELECT id, 0 AS score FROM posts WHERE id > (SELECT coalesce(max(id), 0) FROM posts) - ?
                AND text ILIKE ALL (CAST(? AS text[])) ORDER BY id DESC LIMIT ?
            """,
        zeroPadded: { column in "lpad((\(column))::text, 20, '0')" },
        // The database's collation may ignore punctuation; the paths must compare byte by byte.
        byteOrder: " COLLATE \"C\"",
        trigramsCoverEveryPost: true,
        inIDList: " = ANY(CAST(? AS bigint[]))",
        idList: { ids in .text("{" + ids.map(String.init).joined(separator: ",") + "}") })
}
