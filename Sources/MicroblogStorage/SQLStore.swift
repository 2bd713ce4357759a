import MicroblogModel
import MicroblogSupport

/// The `Store` on a SQL database: SQLite (`SQLiteStore`, the embedded default) or PostgreSQL
/// (`PostgresStore`). The SQL is written once; the few pieces that differ between the engines come
/// from the connection (its `dialect`, see `SQL`, and methods of `SQLConnection`).
///
/// Every query is a cached prepared statement and user text is always bound, never put into SQL.
/// Not thread-safe: owned by the storage queue (see StorageWorker).
public final class SQLStore<Database: SQLConnection>: Store {
    /// The connection. Internal so tests can inspect the database with raw SQL.
    public let database: Database
    /// Author names by user id, so a batch of posts needs no lookups for known authors, and an unknown
    /// one is looked up once, not once a post. Names never change and user rows are never removed
    /// (a deleted account's row stays and cannot post), so an entry never goes stale.
    private var authorNames: [Int64: String] = [:]
    /// The statements that differ by engine.
    let sql: SQL
    /// This node's name in announcements to the others (PostgreSQL), so it can ignore its own.
    public var nodeID = ""
    /// Within `asSeenOnTheWeb`: listings, posts by id (so threads) and searches leave out what the web door
    /// never shows (`SQL.shownOnTheWeb`).
    var webAudience = false

    /// A store on an open, migrated connection.
    public init(database: Database) {
        self.database = database
        self.sql = SQL(database.dialect)
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
                keptApart: try row.nonNullString(at: 7).hasPrefix(AccountRules.keptApartPrefix),
                timeZone: row.string(at: 8) ?? "")
        }.first
    }

    public func endings(of userIDs: [Int64]) throws -> [Int64: AccountEnding] {
        guard !userIDs.isEmpty else {
            try checkOpen()
            return [:]
        }
        let text =
            "SELECT id, banned_reason, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END FROM users WHERE id"
            + database.dialect.inIDList + " AND (banned_reason IS NOT NULL OR deleted_at IS NOT NULL)"
        let rows = try database.statement(text).rows([database.dialect.idList(userIDs)]) { row in
            (row.int64(at: 0), row.int64(at: 2) != 0 ? AccountEnding.deleted : .banned(reason: row.string(at: 1) ?? ""))
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    public func insertPosts(_ posts: [NewPost]) throws -> [Post] {
        try insert(posts, refusing: { _ in throw StoreError.accountDeleted }).compactMap { $0 }
    }

    public func insertPostsOfLiveAccounts(_ posts: [NewPost]) throws -> [Post?] {
        try insert(posts, refusing: { _ in })
    }

    /// Inserts the posts of live accounts (see `insertPostsOfLiveAccounts`); `refusing` is told of each
    /// post whose account is deleted, and may throw to roll the whole batch back.
    private func insert(_ posts: [NewPost], refusing: (NewPost) throws -> Void) throws -> [Post?] {
        guard !posts.isEmpty else {
            try checkOpen()
            return []
        }
        // One transaction: one durable commit for the batch, and nothing of it stays if any post fails
        // (an unknown author fails the foreign key).
        return try database.transaction {
            try database.lockPostOrder()
            // Under the account rows' lock (PostgreSQL) or the one write lock (SQLite): a deletion either
            // committed before, and its posts are refused here, or waits for this commit and removes them.
            let deleted = try database.deletedAccounts(among: posts.map(\.authorID))
            var refused = Set<Int>()
            for (index, post) in posts.enumerated() where deleted.contains(post.authorID) {
                try refusing(post)
                refused.insert(index)
            }
            let kept = refused.isEmpty ? posts : posts.indices.filter { !refused.contains($0) }.map { posts[$0] }
            guard !kept.isEmpty else { return posts.map { _ in nil } }
            var inserted: [Post] = []
            inserted.reserveCapacity(kept.count)
            let ids = try database.insertPostRows(kept)
            // Mentions and tags of the whole batch at once: on PostgreSQL one statement, not one a row.
            let rows = PostEntityRows(kept, ids: ids)
            let mentions = rows.isEmpty ? Array(repeating: [], count: kept.count) : try database.insertEntities(rows)
            for ((post, id), mentioned) in zip(zip(kept, ids), mentions) {
                inserted.append(
                    Post(
                        id: id, authorID: post.authorID, author: try authorName(post.authorID),
                        text: post.text, createdAt: post.createdAt, mentionIDs: mentioned.map(\.id),
                        mentions: mentioned.map(\.name), tags: post.entities.tags, replyTo: post.replyTo,
                        repostOf: post.repostOf))
            }
            try announce(.posts(inserted.map(\.id)))
            var next = inserted.makeIterator()
            return posts.indices.map { refused.contains($0) ? nil : next.next() }
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
        return ViewerRelations(
            following: Set(following), muted: Set(muted), notifications: try notificationSettings(of: userID))
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
        try database.transaction {
            try refuseDeleted(follower, others: [followee])
            try database.statement(SQL.follow).run([
                .integer(follower), .integer(followee), .integer(at.milliseconds),
            ])
            return database.changes > 0
        }
    }

    /// Throws `accountDeleted` when any of `ids` is a deleted account; in a transaction, so the accounts
    /// stay as they are until it ends (see `SQLConnection.deletedAccounts`).
    /// Throws `accountDeleted` when `actor`'s account is deleted, `otherAccountDeleted` when one of
    /// `others` is (the account followed, or a message's recipient).
    func refuseDeleted(_ actor: Int64, others: [Int64] = []) throws {
        let deleted = try database.deletedAccounts(among: [actor] + others)
        guard deleted.isEmpty else {
            throw deleted.contains(actor) ? StoreError.accountDeleted : StoreError.otherAccountDeleted
        }
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

    /// Runs a post query whose columns are `SQL.postColumns`. As seen on the web (`asSeenOnTheWeb`), a
    /// reply to a hidden account's post does not name that account.
    func posts(_ sql: String, _ values: [SQLValue]) throws -> [Post] {
        let found = try postRows(sql, values)
        guard webAudience, found.contains(where: { $0.replyTo != nil }) else { return found }
        let hidden = try webHiddenAuthors()
        guard !hidden.isEmpty else { return found }
        return found.map { post in
            guard let parent = post.replyTo, hidden.contains(parent.authorID) else { return post }
            var shown = post
            shown.replyTo?.author = ""
            return shown
        }
    }

    private func postRows(_ sql: String, _ values: [SQLValue]) throws -> [Post] {
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

    public func afterFailure(_ error: StoreError) -> StoreError {
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

extension SQLStore {
    /// Announces `event` to the other nodes when the current transaction commits. With nobody to tell
    /// (SQLite), the payloads are not even built: this runs for every batch of posts.
    func announce(_ event: ClusterEvent) throws {
        guard isShared else { return }
        for payload in event.payloads(from: nodeID) { try database.announce(payload) }
    }

    public func announceNow(_ event: ClusterEvent) throws {
        try checkOpen()
        try announce(event)
    }
}

/// Presence shared between nodes; a SQLite file has one node, which knows it all already.
extension SQLStore {
    public var isShared: Bool { database.isShared }

    public func publishPresence(_ snapshot: PresenceSnapshot, node: String, at: Timestamp) throws {
        guard isShared else { return }
        try database.statement(
            """
            INSERT INTO node_presence (node, seen_at, guests, users) VALUES (?, ?, ?, ?)
            ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at, guests = excluded.guests, users = excluded.users
            """
        ).run([.text(node), .integer(at.milliseconds), .integer(Int64(snapshot.guests)), .text(snapshot.encoded)])
    }

    public func clearPresence(node: String) throws {
        guard isShared else { return }
        try database.statement("DELETE FROM node_presence WHERE node = ?").run([.text(node)])
    }

    public func presence(since: Timestamp) throws -> [(node: String, snapshot: PresenceSnapshot)] {
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
