import MicroblogDomain
import MicroblogFanout
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

/// `microblogd migrate`: copies a SQLite community into an empty PostgreSQL database, everything
/// with its ids (accounts with their password hashes, posts, follows, mentions, tags, mutes, likes,
/// messages, moderation, SSH keys, reports, invite codes, notifications), in one transaction. Stateless; runs on the caller's thread.
extension DatabaseTools {
    /// Tables whose ids come from an identity: after the copy, new ids continue after the largest.
    static let identityTables = ["users", "posts", "messages", "moderation", "ssh_keys", "reports", "notifications"]

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
            let existing =
                try target.statement("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM posts)")
                .rows([]) { $0.int64(at: 0) }.first ?? 0
            guard existing == 0 else {
                return Report(ok: false, lines: ["the PostgreSQL database is not empty: it already holds a community"])
            }
            // The columns come from the two schemas themselves, which must agree.
            let shape = try SchemaShape.columns(source)
            let differences = SchemaShape.differences(sqlite: shape, postgres: try SchemaShape.columns(target))
            guard differences.isEmpty else {
                return Report(ok: false, lines: ["the two schemas differ, nothing was copied:"] + differences)
            }
            var lines: [String] = []
            try target.transaction {
                for (table, order) in SchemaShape.communityTables {
                    let columns = shape[table] ?? []
                    let list = columns.joined(separator: ", ")
                    let insert = try target.statement(
                        "INSERT INTO \(table) (\(list)) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
                    )
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
