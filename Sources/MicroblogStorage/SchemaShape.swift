import MicroblogModel
import MicroblogSupport

/// The community's tables and their columns, read from a migrated database of either engine. Each
/// engine's schema is written once (`Migrations`, `PostgresMigrations`); what copies a community from
/// one engine to the other (`microblogd migrate`) takes its column lists from here, and a test checks
/// that both engines end at the same shape, so the copies cannot drift apart unnoticed. Stateless.
public enum SchemaShape {
    /// Every table of a community, in an order that satisfies their foreign keys, with the key that
    /// orders its rows when it is copied.
    public static let communityTables: [(table: String, order: String)] = [
        ("users", "id"), ("posts", "id"), ("follows", "follower, followee"), ("mentions", "post_id, user_id"),
        ("tags", "post_id, tag"), ("mutes", "user_id, muted_id"), ("likes", "post_id, user_id"), ("messages", "id"),
        ("moderation", "id"), ("ssh_keys", "id"), ("reports", "id"), ("invites", "code"), ("notifications", "id"),
        ("web_sessions", "token_hash"),
    ]

    /// Tables only PostgreSQL has: its schema version (SQLite keeps it in the file header) and the nodes'
    /// presence (one SQLite file has one node). Its generated search column is left out as well; SQLite's
    /// full-text indexes are virtual tables (`posts_fts`, `posts_trigram` and their shadow tables), left out too,
    /// with `search_index`, how far they have caught up (a copy is indexed again from the start).
    public static let postgresOnlyTables: Set<String> = ["schema_version", "node_presence"]

    /// Where two shapes differ, in words (empty when they hold the same tables with the same columns, in
    /// any order).
    public static func differences(sqlite: [String: [String]], postgres: [String: [String]]) -> [String] {
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
