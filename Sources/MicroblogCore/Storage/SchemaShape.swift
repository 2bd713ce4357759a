import MicroblogModel
import MicroblogProtocol
import MicroblogSupport

/// The community's tables and their columns, read from a migrated database of either engine. Each
/// engine's schema is written once (`Migrations`, `PostgresMigrations`); what copies a community from
/// one engine to the other (`microblogd migrate`) takes its column lists from here, and a test checks
/// that both engines end at the same shape, so the copies cannot drift apart unnoticed. Stateless.
enum SchemaShape {
    /// Every table of a community, in an order that satisfies their foreign keys, with the key that
    /// orders its rows when it is copied.
    static let communityTables: [(table: String, order: String)] = [
        ("users", "id"), ("posts", "id"), ("follows", "follower, followee"), ("mentions", "post_id, user_id"),
        ("tags", "post_id, tag"), ("mutes", "user_id, muted_id"), ("likes", "post_id, user_id"), ("messages", "id"),
        ("moderation", "id"), ("ssh_keys", "id"), ("reports", "id"), ("invites", "code"), ("notifications", "id"),
    ]

    /// Tables only PostgreSQL has: its schema version (SQLite keeps it in the file header) and the nodes'
    /// presence (one SQLite file has one node). Its generated search column is left out as well; SQLite's
    /// full-text indexes are virtual tables (`posts_fts`, `posts_trigram` and their shadow tables), left out too,
    /// with `search_index`, how far they have caught up (a copy is indexed again from the start).
    static let postgresOnlyTables: Set<String> = ["schema_version", "node_presence"]

    /// The community's tables on a SQLite database, each with its columns in order.
    static func columns(_ database: SQLiteDatabase) throws -> [String: [String]] {
        let rows = try database.statement(
            """
            SELECT tables.name, columns.name FROM sqlite_schema AS tables, pragma_table_info(tables.name) AS columns
            WHERE tables.type = 'table' AND tables.name NOT LIKE 'sqlite%' AND tables.name NOT LIKE 'posts_fts%'
                AND tables.name NOT LIKE 'posts_trigram%' AND tables.name != 'search_index'
            ORDER BY tables.name, columns.cid
            """
        ).rows([]) { (try $0.nonNullString(at: 0), try $0.nonNullString(at: 1)) }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
    }

    /// The community's tables on a PostgreSQL database (its current schema), each with its stored
    /// columns in order.
    static func columns(_ database: PostgresConnection) throws -> [String: [String]] {
        let rows = try database.statement(
            """
            SELECT columns.table_name, columns.column_name FROM information_schema.columns AS columns
            JOIN information_schema.tables AS tables
                ON tables.table_schema = columns.table_schema AND tables.table_name = columns.table_name
            WHERE columns.table_schema = current_schema() AND tables.table_type = 'BASE TABLE'
                AND columns.is_generated = 'NEVER'
            ORDER BY columns.table_name, columns.ordinal_position
            """
        ).rows([]) { (try $0.nonNullString(at: 0), try $0.nonNullString(at: 1)) }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }.filter {
            !postgresOnlyTables.contains($0.key)
        }
    }

    /// Where two shapes differ, in words (empty when they hold the same tables with the same columns, in
    /// any order).
    static func differences(sqlite: [String: [String]], postgres: [String: [String]]) -> [String] {
        var lines: [String] = []
        for table in Set(sqlite.keys).union(postgres.keys).sorted() {
            let left = Set(sqlite[table] ?? [])
            let right = Set(postgres[table] ?? [])
            if sqlite[table] == nil { lines.append("\(table): only on PostgreSQL") }
            if postgres[table] == nil { lines.append("\(table): only on SQLite") }
            guard sqlite[table] != nil, postgres[table] != nil, left != right else { continue }
            let onlySQLite = left.subtracting(right).sorted()
            let onlyPostgres = right.subtracting(left).sorted()
            lines.append("\(table): only on SQLite \(onlySQLite), only on PostgreSQL \(onlyPostgres)")
        }
        let listed = Set(communityTables.map(\.table))
        for table in sqlite.keys.sorted() where !listed.contains(table) {
            lines.append("\(table): not in SchemaShape.communityTables, so it would not be copied")
        }
        return lines
    }
}
