import CSQLite

/// The `Store` on a SQLite file: accounts and the public timeline.
///
/// Every query is a cached prepared statement and user text is always bound, never put into SQL.
/// Not thread-safe: owned by the storage queue (see StorageWorker).
public final class SQLiteStore: Store {
    /// The connection. Internal so tests can inspect the file with raw SQL.
    let database: SQLiteDatabase
    /// Author names by user id, so a batch of posts needs no lookups for known authors.
    /// Names never change and users are never deleted, so an entry never goes stale.
    private var authorNames: [Int64: String] = [:]

    /// Opens (creating if needed) the database at `path` and migrates it to the newest schema.
    /// Throws `StoreError.unsupportedSchema` for a file written by a newer build.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        database = try SQLiteDatabase(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        do {
            try Migrations.migrate(database)
        } catch {
            database.close()
            throw error
        }
    }

    public func createUser(name: String, nameKey: String, passwordHash: String, at: Timestamp) throws -> User {
        do {
            try database.statement(SQL.insertUser).run([
                .text(name), .text(nameKey), .text(passwordHash), .integer(at.milliseconds),
            ])
        } catch let error as StoreError where error.sqliteCode == SQLiteExtendedCode.constraintUnique {
            // name_key is the only UNIQUE column.
            throw StoreError.nameTaken
        }
        let user = User(id: database.lastInsertRowID, name: name, createdAt: at)
        authorNames[user.id] = name
        return user
    }

    public func account(nameKey: String) throws -> StoredAccount? {
        try database.statement(SQL.accountByNameKey).rows([.text(nameKey)]) { row in
            StoredAccount(
                user: User(
                    id: row.int64(at: 0), name: try row.nonNullString(at: 1),
                    createdAt: Timestamp(milliseconds: row.int64(at: 3))),
                passwordHash: try row.nonNullString(at: 2))
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
            var inserted: [Post] = []
            inserted.reserveCapacity(posts.count)
            for post in posts {
                try database.statement(SQL.insertPost).run([
                    .integer(post.authorID), .text(post.text), .integer(post.createdAt.milliseconds),
                ])
                inserted.append(
                    Post(
                        id: database.lastInsertRowID, authorID: post.authorID, author: try authorName(post.authorID),
                        text: post.text, createdAt: post.createdAt))
            }
            return inserted
        }
    }

    public func feed(_ query: FeedQuery) throws -> [Post] {
        switch query {
        case .latest(let limit):
            guard limit > 0 else { return try emptyIfOpen() }
            return try posts(SQL.latestPosts, [.integer(Int64(limit))]).reversed()
        case .before(let id, let limit):
            guard limit > 0 else { return try emptyIfOpen() }
            return try posts(SQL.postsBefore, [.integer(id), .integer(Int64(limit))]).reversed()
        case .since(let id, let limit):
            guard limit > 0 else { return try emptyIfOpen() }
            return try posts(SQL.postsSince, [.integer(id), .integer(Int64(limit))])
        }
    }

    public func counts() throws -> (users: Int, posts: Int) {
        let rows = try database.statement(SQL.counts).rows { row in
            (users: Int(row.int64(at: 0)), posts: Int(row.int64(at: 1)))
        }
        return rows.first ?? (users: 0, posts: 0)
    }

    public func close() {
        database.close()
        authorNames.removeAll()
    }

    private func posts(_ sql: String, _ values: [SQLiteValue]) throws -> [Post] {
        try database.statement(sql).rows(values) { row in
            Post(
                id: row.int64(at: 0), authorID: row.int64(at: 1), author: try row.nonNullString(at: 2),
                text: try row.nonNullString(at: 3), createdAt: Timestamp(milliseconds: row.int64(at: 4)))
        }
    }

    private func authorName(_ userID: Int64) throws -> String {
        if let name = authorNames[userID] { return name }
        let names = try database.statement(SQL.userName).rows([.integer(userID)]) { try $0.nonNullString(at: 0) }
        guard let name = names.first else {
            // The foreign key makes this unreachable after a successful insert.
            throw StoreError.sqlite(
                code: SQLiteExtendedCode.constraintForeignKey, message: "no user \(userID)", context: SQL.userName)
        }
        authorNames[userID] = name
        return name
    }

    /// Calls on a closed store throw even when they would touch no table.
    private func checkOpen() throws {
        if database.isClosed { throw StoreError.closed }
    }

    private func emptyIfOpen() throws -> [Post] {
        try checkOpen()
        return []
    }
}

/// The store's SQL. Every value is a `?` parameter.
private enum SQL {
    static let insertUser = "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, ?)"
    static let accountByNameKey = "SELECT id, name, password_hash, created_at FROM users WHERE name_key = ?"
    static let userName = "SELECT name FROM users WHERE id = ?"
    static let insertPost = "INSERT INTO posts (user_id, text, created_at) VALUES (?, ?, ?)"
    private static let postColumns = """
        SELECT posts.id, posts.user_id, users.name, posts.text, posts.created_at
        FROM posts JOIN users ON users.id = posts.user_id
        """
    /// Newest first, so LIMIT keeps the newest; the caller reverses to oldest first.
    static let latestPosts = postColumns + " ORDER BY posts.id DESC LIMIT ?"
    /// Newest first below the id; the caller reverses to oldest first.
    static let postsBefore = postColumns + " WHERE posts.id < ? ORDER BY posts.id DESC LIMIT ?"
    /// Oldest first above the id, so a client resuming sees no gap.
    static let postsSince = postColumns + " WHERE posts.id > ? ORDER BY posts.id ASC LIMIT ?"
    static let counts = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts)"
}
