import MicroblogModel
import MicroblogStorage
import MicroblogSupport

extension SQLiteStatement: SQLStatement, SQLRow {
    public typealias Row = SQLiteStatement
}

extension SQLiteDatabase: SQLConnection {
    public var dialect: SQLDialect { .sqlite }

    /// One SQLite file has one server: there is nobody to tell.
    public func announce(_ payload: String) throws {}

    public var isShared: Bool { false }

    /// `transaction` takes SQLite's write lock up front: there is one writer at a time already.
    public func lockPostOrder() throws {}

    /// A prepared INSERT per post: with SQLite there is no round trip to save.
    public func insertPostRows(_ posts: [NewPost]) throws -> [Int64] {
        try posts.map { post in
            try insert(
                SQL.insertPost,
                [
                    .integer(post.authorID), .text(post.text), .integer(post.createdAt.milliseconds),
                    post.replyTo.map { .integer($0.id) } ?? .null, post.repostOf.map { .integer($0.id) } ?? .null,
                ])
        }
    }

    /// A prepared statement per account: no round trip to save, and SQLite's one writer at a time already
    /// keeps a deletion from running in between.
    public func deletedAccounts(among ids: [Int64]) throws -> Set<Int64> {
        var deleted = Set<Int64>()
        for id in Set(ids) where try !statement(SQL.deletedAccount).rows([.integer(id)], { $0.int64(at: 0) }).isEmpty {
            deleted.insert(id)
        }
        return deleted
    }

    /// A prepared statement per row, as for the posts; each recipient's choices are read once.
    public func insertNotificationRows(_ notifications: [NewNotification]) throws -> [Int64?] {
        var off: [Int64: Set<NotificationKind>] = [:]
        return try notifications.map { new in
            let recipientOff =
                try off[new.recipientID]
                ?? statement(SQL.notificationSettings).rows([.integer(new.recipientID)]) {
                    NotificationSettings(storedOff: try $0.nonNullString(at: 0), bell: false).off
                }.first ?? []
            off[new.recipientID] = recipientOff
            guard !recipientOff.contains(new.kind) else { return nil }
            // The transaction holds SQLite's write lock, so nobody can add the same one in between.
            if let since = new.repeatSince {
                let values = SQL.repeatedNotificationValues(new, since: since)
                let repeated = try statement(SQL.repeatedNotification).rows(values) { row in row.int64(at: 0) }
                guard repeated.isEmpty else { return nil }
            }
            return try insert(
                SQL.insertNotification,
                [
                    .integer(new.recipientID), .text(new.kind.rawValue), .integer(new.actorID),
                    new.postID.map { .integer($0) } ?? .null, .integer(new.createdAt.milliseconds),
                ])
        }
    }

    /// A prepared statement per row, as for the posts; each distinct name is looked up once per batch
    /// (not kept across batches: an account may be made or deleted in between).
    public func insertEntities(_ rows: PostEntityRows) throws -> [[User]] {
        var known: [String: User?] = [:]
        var users: [User?] = []
        users.reserveCapacity(rows.mentions.count)
        for mention in rows.mentions {
            // The kept-apart key is "=" and the name in lower case, so it stands for both keys.
            if let user = known[mention.keptApartKey] {
                users.append(user)
                continue
            }
            var user: User?
            for key in [mention.keptApartKey, mention.nameKey] where user == nil {
                user = try statement(SQL.userByNameKey).rows([.text(key)]) { row in
                    User(
                        id: row.int64(at: 0), name: try row.nonNullString(at: 1),
                        createdAt: Timestamp(milliseconds: row.int64(at: 2)))
                }.first
            }
            known[mention.keptApartKey] = .some(user)
            users.append(user)
        }
        let mentioned = rows.mentioned(users)
        var mentionRows: [[SQLValue]] = []
        for (postID, postUsers) in zip(rows.postIDs, mentioned) {
            for user in postUsers { mentionRows.append([.integer(user.id), .integer(postID)]) }
        }
        try insertRows(mentionRows, Self.insertMentions)
        try insertRows(rows.tags.map { [.text($0.tag), .integer($0.postID), .integer($0.createdAt)] }, Self.insertTags)
        return mentioned
    }

    /// Entity rows go `rowsPerInsert` to a statement, the rest one at a time: SQLite's cost to run a statement
    /// is about that of writing a row. Measured with `ingest --mode json --mentions self` (a mention and a
    /// tag in each post): the batch's entity rows took 45% less time than with a statement per row; 16 rows
    /// a statement saved less, 256 no more.
    static let rowsPerInsert = 64
    private static let insertMentions = (
        many: SQL.insertMentions(rows: rowsPerInsert), one: SQL.insertMentions(rows: 1)
    )
    private static let insertTags = (many: SQL.insertTags(rows: rowsPerInsert), one: SQL.insertTags(rows: 1))

    /// Inserts `rows` (each the values of one row) with the prepared statements `sql` of `rowsPerInsert` rows
    /// and of one row.
    private func insertRows(_ rows: [[SQLValue]], _ sql: (many: String, one: String)) throws {
        var start = rows.startIndex
        while start < rows.endIndex {
            let count = rows.endIndex - start >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
            try statement(count == 1 ? sql.one : sql.many).run(Array(rows[start..<start + count].joined()))
            start += count
        }
    }

    /// Every word becomes a quoted FTS5 string (quotes doubled), so nothing the user types is read as query
    /// syntax: no operators, prefixes, columns or NEAR. Strings side by side must all match.
    public func searchValues(_ tokens: [String], candidates: Int) -> [SQLValue] {
        let match = tokens.map { "\"" + $0.replacingAll("\"", with: "\"\"") + "\"" }.joined(separator: " ")
        return [.text(match), .integer(Int64(candidates))]
    }

    /// The strings long enough for a trigram as quoted FTS5 strings again (each matches where it occurs
    /// inside the text), then every string in a JSON array, which `instr` checks one by one (shorter
    /// strings have no trigram). Neither is ever read as syntax.
    public func substringValues(_ strings: [String], candidates: Int, window: Int?) -> [SQLValue] {
        let all = SQLValue.text(
            "["
                + strings.map { "\"" + $0.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\"" }
                .joined(separator: ",") + "]")
        if let window { return [.integer(Int64(window)), all, .integer(Int64(candidates))] }
        let long = strings.filter { $0.unicodeScalars.count >= SubstringSearch.minimumLength }
        return [searchValues(long, candidates: candidates)[0], all, .integer(Int64(candidates))]
    }

    /// SQLite reports the id itself, which costs less than RETURNING (measured: 8% of the ingest rate).
    public func insert(_ sql: String, _ values: [SQLValue]) throws -> Int64 {
        try statement(sql).run(values)
        return lastInsertRowID
    }
}
