/// The `Store` on a SQL database: SQLite (`SQLiteStore`, the embedded default) or PostgreSQL
/// (`PostgresStore`). The SQL is written once; the few statements that differ between the engines
/// are chosen by the connection's `dialect` (see `SQL`).
///
/// Every query is a cached prepared statement and user text is always bound, never put into SQL.
/// Not thread-safe: owned by the storage queue (see StorageWorker).
final class SQLStore<Database: SQLConnection>: Store {
    /// The connection. Internal so tests can inspect the database with raw SQL.
    let database: Database
    /// Author names by user id, so a batch of posts needs no lookups for known authors.
    /// Names never change and users are never deleted, so an entry never goes stale.
    private var authorNames: [Int64: String] = [:]
    /// The statements that differ by engine.
    let sql: SQL
    /// This node's name in announcements to the others (PostgreSQL), so it can ignore its own.
    var nodeID = ""

    /// A store on an open, migrated connection.
    init(database: Database) {
        self.database = database
        self.sql = SQL(database.dialect)
    }
}

/// The store on a SQLite file.
typealias SQLiteStore = SQLStore<SQLiteDatabase>

extension SQLStore where Database == SQLiteDatabase {
    /// Opens (creating if needed) the database at `path` and migrates it to the newest schema.
    /// Throws `StoreError.unsupportedSchema` for a file written by a newer build.
    convenience init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        let database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        do {
            // Before migrating, so a file the server cannot write is refused with the reason.
            try database.checkWritable()
            try Migrations.migrate(database)
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }

    /// Opens an existing database for reading only, as the operator's tools do: no migration runs and
    /// nothing is written. Throws `unsupportedSchema` unless the file has exactly this build's schema.
    convenience init(readingOnly path: String) throws {
        let database = try SQLiteDatabase(path: path, readOnly: true)
        do {
            let version = try Migrations.userVersion(database)
            guard version == Migrations.newestVersion else {
                throw StoreError.unsupportedSchema(found: version, known: Migrations.newestVersion)
            }
        } catch {
            database.close()
            throw error
        }
        self.init(database: database)
    }
}

extension SQLStore {
    public func createUser(name: String, nameKey: String, passwordHash: String, at: Timestamp) throws -> User {
        let id: Int64
        do {
            id = try database.insert(
                SQL.insertUser, [.text(name), .text(nameKey), .text(passwordHash), .integer(at.milliseconds)])
        } catch let error as StoreError where error.failureKind == .unique {
            // name_key is the only UNIQUE column.
            throw StoreError.nameTaken
        }
        let user = User(id: id, name: name, createdAt: at)
        authorNames[user.id] = name
        return user
    }

    public func account(nameKey: String) throws -> StoredAccount? {
        try database.statement(SQL.accountByNameKey).rows([.text(nameKey)]) { row in
            StoredAccount(
                user: User(
                    id: row.int64(at: 0), name: try row.nonNullString(at: 1),
                    createdAt: Timestamp(milliseconds: row.int64(at: 3))),
                passwordHash: try row.nonNullString(at: 2), watch: try row.nonNullString(at: 4),
                lastSeen: row.string(at: 5) == nil ? nil : Timestamp(milliseconds: row.int64(at: 5)),
                bannedReason: row.string(at: 6),
                keptApart: try row.nonNullString(at: 7).hasPrefix(AccountRules.keptApartPrefix))
        }.first
    }

    public func insertPosts(_ posts: [NewPost]) throws -> [Post] {
        guard !posts.isEmpty else {
            try checkOpen()
            return []
        }
        // One transaction: one durable commit for the batch, and nothing of it stays if any post fails
        // (an unknown author fails the foreign key).
        return try database.transaction {
            try database.lockPostOrder()
            var inserted: [Post] = []
            inserted.reserveCapacity(posts.count)
            let ids = try database.insertPostRows(posts)
            for (post, id) in zip(posts, ids) {
                var mentioned: [User] = []
                for name in post.entities.mentions {
                    guard let user = try user(named: name), !mentioned.contains(user) else { continue }
                    try database.statement(SQL.insertMention).run([.integer(user.id), .integer(id)])
                    mentioned.append(user)
                }
                for tag in post.entities.tags {
                    try database.statement(SQL.insertTag).run([
                        .text(tag), .integer(id), .integer(post.createdAt.milliseconds),
                    ])
                }
                inserted.append(
                    Post(
                        id: id, authorID: post.authorID, author: try authorName(post.authorID),
                        text: post.text, createdAt: post.createdAt, mentionIDs: mentioned.map(\.id),
                        mentions: mentioned.map(\.name), tags: post.entities.tags, replyTo: post.replyTo,
                        repostOf: post.repostOf))
            }
            try announce(.posts(inserted.map(\.id)))
            return inserted
        }
    }

    public func feed(_ query: FeedQuery) throws -> [Post] {
        try posts(in: .everyone, query, viewer: nil)
    }

    public func posts(in scope: PostScope, _ query: FeedQuery) throws -> [Post] {
        try posts(in: scope, query, viewer: nil)
    }

    public func relations(of userID: Int64) throws -> ViewerRelations {
        let following = try database.statement(SQL.followeeIDs).rows([.integer(userID)]) { $0.int64(at: 0) }
        let muted = try database.statement(SQL.mutedIDs).rows([.integer(userID)]) { $0.int64(at: 0) }
        return ViewerRelations(following: Set(following), muted: Set(muted))
    }

    public func setWatch(_ userID: Int64, _ stored: String) throws {
        try database.statement(SQL.setWatch).run([.text(stored), .integer(userID)])
    }

    public func setMuted(_ userID: Int64, _ mutedID: Int64, _ muted: Bool) throws -> Bool {
        try database.statement(muted ? SQL.mute : SQL.unmute).run([.integer(userID), .integer(mutedID)])
        return database.changes > 0
    }

    public func user(nameKey: String) throws -> User? {
        try account(nameKey: nameKey)?.user
    }

    public func follow(follower: Int64, followee: Int64, at: Timestamp) throws -> Bool {
        try database.statement(SQL.follow).run([.integer(follower), .integer(followee), .integer(at.milliseconds)])
        return database.changes > 0
    }

    public func unfollow(follower: Int64, followee: Int64) throws -> Bool {
        try database.statement(SQL.unfollow).run([.integer(follower), .integer(followee)])
        return database.changes > 0
    }

    public func following(_ userID: Int64) throws -> [User] {
        try users(SQL.following, [.integer(userID)])
    }

    public func followers(_ userID: Int64) throws -> [User] {
        try users(SQL.followers, [.integer(userID)])
    }

    private func users(_ sql: String, _ values: [SQLValue]) throws -> [User] {
        try database.statement(sql).rows(values) { row in
            User(
                id: row.int64(at: 0), name: try row.nonNullString(at: 1),
                createdAt: Timestamp(milliseconds: row.int64(at: 2)))
        }
    }

    public func counts() throws -> (users: Int, posts: Int) {
        let rows = try database.statement(SQL.counts).rows([]) { row in
            (users: Int(row.int64(at: 0)), posts: Int(row.int64(at: 1)))
        }
        return rows.first ?? (users: 0, posts: 0)
    }

    public func close() {
        database.close()
        authorNames.removeAll()
    }

    /// Runs a post query whose columns are `SQL.postColumns`.
    func posts(_ sql: String, _ values: [SQLValue]) throws -> [Post] {
        try database.statement(sql).rows(values) { row in
            Post(
                id: row.int64(at: 0), authorID: row.int64(at: 1), author: try row.nonNullString(at: 2),
                text: try row.nonNullString(at: 3), createdAt: Timestamp(milliseconds: row.int64(at: 4)),
                mentionIDs: Self.words(row.string(at: 5)).compactMap { Int64($0) },
                mentions: Self.words(row.string(at: 6)), tags: Self.words(row.string(at: 7)),
                replyTo: try Self.reference(row, id: 8, author: 9, authorID: 13),
                repostOf: try Self.reference(row, id: 10, author: 11, authorID: 14),
                likes: Int(row.int64(at: 12)))
        }
    }

    static func reference(_ row: some SQLRow, id: Int, author: Int, authorID: Int) throws -> PostReference? {
        guard let name = row.string(at: author) else { return nil }
        return PostReference(id: row.int64(at: id), author: name, authorID: row.int64(at: authorID))
    }

    static func words(_ list: String?) -> [String] {
        list?.split(separator: " ").map(String.init) ?? []
    }

    public func trendingTags(since: Timestamp, limit: Int) throws -> [(tag: String, posts: Int)] {
        try database.statement(SQL.trending).rows([.integer(since.milliseconds), .integer(Int64(limit))]) { row in
            (tag: try row.nonNullString(at: 0), posts: Int(row.int64(at: 1)))
        }
    }

    private func authorName(_ userID: Int64) throws -> String {
        if let name = authorNames[userID] { return name }
        let names = try database.statement(SQL.userName).rows([.integer(userID)]) { try $0.nonNullString(at: 0) }
        guard let name = names.first else {
            // The foreign key makes this unreachable after a successful insert.
            throw StoreError.storeFailure(.foreignKey, "no user \(userID)", context: SQL.userName)
        }
        authorNames[userID] = name
        return name
    }

    func afterFailure(_ error: StoreError) -> StoreError {
        database.afterFailure(error)
    }

    /// Calls on a closed store throw even when they would touch no table.
    func checkOpen() throws {
        if database.isClosed { throw StoreError.closed }
    }

    func emptyIfOpen() throws -> [Post] {
        try checkOpen()
        return []
    }
}

/// The store's SQL. Every value is a `?` parameter. Most statements are the same for every engine
/// (static); those that differ are built for one dialect (instance properties).
struct SQL {
    static let insertUser =
        "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)"
    static let accountByNameKey =
        "SELECT id, name, password_hash, created_at, watch, last_seen, banned_reason, name_key FROM users WHERE name_key = ?"
    static let followeeIDs = "SELECT followee FROM follows WHERE follower = ?"
    /// Neither the post's author nor, for a repost, its original's author is muted by the viewer (`?`, `?`).
    static let notMuted = """
        posts.user_id NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?)
        AND coalesce((SELECT original.user_id FROM posts AS original WHERE original.id = posts.repost_of), 0)
            NOT IN (SELECT muted_id FROM mutes WHERE user_id = ?)
        """
    static let mutedIDs = "SELECT muted_id FROM mutes WHERE user_id = ?"
    static let setWatch = "UPDATE users SET watch = ? WHERE id = ?"
    static let mute = "INSERT INTO mutes (user_id, muted_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
    static let unmute = "DELETE FROM mutes WHERE user_id = ? AND muted_id = ?"
    static let userName = "SELECT name FROM users WHERE id = ?"
    static let insertPost =
        "INSERT INTO posts (user_id, text, created_at, reply_to, repost_of) VALUES (?, ?, ?, ?, ?)"
    /// A post and, from their own tables, its mentions (ids, then names, in one order) and tags.
    let postColumns: String
    /// The same columns for the newest matches of a full-text query (`?`, then `?` candidates), with a
    /// `candidates.score` that sorts the best first.
    let searchColumns: String
    /// A thread below a post, depth first (`?` root, `?` limit).
    let threadTree: String
    let dialect: SQLDialect

    init(_ dialect: SQLDialect) {
        self.dialect = dialect
        // Lists of mentions and tags in one column each, space-separated.
        func list(_ expression: String, from: String, order: String) -> String {
            switch dialect {
            case .sqlite:
                return
                    "(SELECT group_concat(value, ' ') FROM (SELECT \(expression) AS value \(from) ORDER BY \(order)))"
            case .postgres:
                return "(SELECT string_agg((\(expression))::text, ' ' ORDER BY \(order)) \(from))"
            }
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
        let candidates: String
        switch dialect {
        case .sqlite:
            // bm25: lower is better.
            candidates = """
                SELECT rowid AS id, bm25(posts_fts) AS score FROM posts_fts WHERE posts_fts MATCH ?
                ORDER BY rowid DESC LIMIT ?
                """
        case .postgres:
            // ts_rank: higher is better, so negated to sort like bm25.
            candidates = """
                SELECT id, -ts_rank(search, plainto_tsquery('simple', microblog_unaccent(?))) AS score FROM posts
                WHERE search @@ plainto_tsquery('simple', microblog_unaccent(?)) ORDER BY id DESC LIMIT ?
                """
        }
        searchColumns = postColumns.replacingAll(
            "FROM posts JOIN users",
            with: "FROM (\(candidates)) AS candidates JOIN posts ON posts.id = candidates.id JOIN users")
        // Each path sorts its ids in order: zero-padded ids joined by '/', compared byte by byte.
        let padded: (String) -> String = { column in
            dialect == .sqlite ? "printf('%020d', \(column))" : "lpad((\(column))::text, 20, '0')"
        }
        threadTree = """
            WITH RECURSIVE down(id, depth, path, deleted) AS (
                SELECT id, 0, \(padded("id")), deleted_at IS NOT NULL FROM posts WHERE id = ?
                UNION ALL
                SELECT posts.id, down.depth + 1, down.path || '/' || \(padded("posts.id")), posts.deleted_at IS NOT NULL
                FROM posts JOIN down ON posts.reply_to = down.id
            )
            SELECT id, depth, deleted FROM down ORDER BY path\(dialect == .postgres ? " COLLATE \"C\"" : "") LIMIT ?
            """
    }

    static let authorLatest = "SELECT id FROM posts WHERE user_id = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?"
    static let authorBefore =
        "SELECT id FROM posts WHERE user_id = ? AND id < ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?"
    static let authorSince =
        "SELECT id FROM posts WHERE user_id = ? AND id > ? AND deleted_at IS NULL ORDER BY id ASC LIMIT ?"
    static let insertMention = "INSERT INTO mentions (user_id, post_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
    static let insertTag = "INSERT INTO tags (tag, post_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
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
    static let counts = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts)"
}

extension SQLStore {
    /// Announces `event` to the other nodes when the current transaction commits. With nobody to tell
    /// (SQLite), the payloads are not even built: this runs for every batch of posts.
    func announce(_ event: ClusterEvent) throws {
        guard isShared else { return }
        for payload in event.payloads(from: nodeID) { try database.announce(payload) }
    }
}

/// Presence shared between nodes; a SQLite file has one node, which knows it all already.
extension SQLStore {
    var isShared: Bool { database.isShared }

    func publishPresence(_ snapshot: PresenceSnapshot, node: String, at: Timestamp) throws {
        guard isShared else { return }
        try database.statement(
            """
            INSERT INTO node_presence (node, seen_at, guests, users) VALUES (?, ?, ?, ?)
            ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at, guests = excluded.guests, users = excluded.users
            """
        ).run([.text(node), .integer(at.milliseconds), .integer(Int64(snapshot.guests)), .text(snapshot.encoded)])
    }

    func clearPresence(node: String) throws {
        guard isShared else { return }
        try database.statement("DELETE FROM node_presence WHERE node = ?").run([.text(node)])
    }

    func presence(since: Timestamp) throws -> [(node: String, snapshot: PresenceSnapshot)] {
        guard isShared else { return [] }
        return try database.statement("SELECT node, guests, users FROM node_presence WHERE seen_at >= ?").rows([
            .integer(since.milliseconds)
        ]) { row in
            (
                try row.nonNullString(at: 0),
                PresenceSnapshot(guests: Int(row.int64(at: 1)), encoded: try row.nonNullString(at: 2))
            )
        }
    }
}
