/// `microblogd migrate`: copies a SQLite community into an empty PostgreSQL database, everything
/// with its ids (accounts with their password hashes, posts, follows, mentions, tags, mutes, likes,
/// messages, moderation), in one transaction. Stateless; runs on the caller's thread.
extension DatabaseTools {
    /// The tables in an order that satisfies their foreign keys, with the columns copied.
    static let migratedTables: [(table: String, columns: [String], order: String)] = [
        ("users", ["id", "name", "name_key", "password_hash", "created_at", "watch", "bio", "last_seen", "banned_reason"], "id"),
        ("posts", ["id", "user_id", "text", "created_at", "reply_to", "repost_of", "deleted_at"], "id"),
        ("follows", ["follower", "followee", "created_at"], "follower, followee"),
        ("mentions", ["user_id", "post_id"], "post_id, user_id"),
        ("tags", ["tag", "post_id", "created_at"], "post_id, tag"),
        ("mutes", ["user_id", "muted_id"], "user_id, muted_id"),
        ("likes", ["post_id", "user_id", "created_at"], "post_id, user_id"),
        ("messages", ["id", "sender", "recipient", "text", "created_at", "read_at"], "id"),
        ("moderation", ["id", "at", "admin_id", "action", "user_id", "post_id", "reason"], "id"),
    ]

    /// Tables whose ids come from an identity: after the copy, new ids continue after the largest.
    static let identityTables = ["users", "posts", "messages", "moderation"]

    public static func migrate(from path: String, to uri: String) -> Report {
        let source: SQLiteDatabase
        do {
            source = try SQLiteDatabase(path: path, readOnly: true)
            let version = try Migrations.userVersion(source)
            guard version == Migrations.newestVersion else {
                source.close()
                throw StoreError.unsupportedSchema(found: version, known: Migrations.newestVersion)
            }
        } catch {
            return Report(ok: false, lines: ["\(path): \(describe(error))"])
        }
        defer { source.close() }
        let target: PostgresConnection
        do {
            target = try PostgresConnection(uri: uri)
            try PostgresMigrations.migrate(target)
        } catch {
            return Report(ok: false, lines: ["cannot use the PostgreSQL database: \(describe(error))"])
        }
        defer { target.close() }
        do {
            let existing = try target.statement("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM posts)")
                .rows([]) { $0.int64(at: 0) }.first ?? 0
            guard existing == 0 else {
                return Report(ok: false, lines: ["the PostgreSQL database is not empty: it already holds a community"])
            }
            var lines: [String] = []
            try target.transaction {
                for (table, columns, order) in migratedTables {
                    let list = columns.joined(separator: ", ")
                    let insert = try target.statement(
                        "INSERT INTO \(table) (\(list)) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))")
                    var copied = 0
                    // Row by row: the source statement is read while the target is written.
                    let reader = try source.statement("SELECT \(list) FROM \(table) ORDER BY \(order)")
                    try reader.bind([])
                    while try reader.step() {
                        try insert.run((0..<columns.count).map { reader.value(at: $0) })
                        copied += 1
                    }
                    reader.reset()
                    lines.append("\(table): \(copied)")
                }
                for table in identityTables {
                    try target.statement(
                        "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 1), max(id) IS NOT NULL) FROM \(table)"
                    ).run([])
                }
            }
            return Report(ok: true, lines: ["migrated \(path) to PostgreSQL:"] + lines.map { "  " + $0 })
        } catch {
            return Report(ok: false, lines: ["migration failed, nothing was kept: \(describe(error))"])
        }
    }
}
