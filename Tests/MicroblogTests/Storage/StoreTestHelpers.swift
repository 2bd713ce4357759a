@testable import MicroblogDomain
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogSQLite
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport

// What only the tests ask of a store: kept here, not in the store, so production code carries none of it.

/// The newest rows of the `moderation` table, one line each: time, admin, action, user, post, reason
/// (`-` for no user or post). No production code reads the table back (the server only writes it), so
/// the tests read it with the store's own connection, on either engine.
func moderationRows(in store: any Store, limit: Int = 10) throws -> [String] {
    switch store {
    case let sqlite as SQLiteStore: return try sqlite.moderationRows(limit: limit)
    case let postgres as PostgresStore: return try postgres.moderationRows(limit: limit)
    default: throw TestFailure("not a SQL store: \(type(of: store))")
    }
}

extension SQLStore {
    /// See `moderationRows(in:limit:)`.
    func moderationRows(limit: Int = 10) throws -> [String] {
        let sql = """
            SELECT moderation.at, admins.name, action, targets.name, moderation.post_id, reason FROM moderation
            JOIN users AS admins ON admins.id = admin_id LEFT JOIN users AS targets ON targets.id = moderation.user_id
            ORDER BY moderation.id DESC LIMIT ?
            """
        return try database.statement(sql).rows([.integer(Int64(limit))]) { row in
            let fields = [
                String(row.int64(at: 0)), try row.nonNullString(at: 1), try row.nonNullString(at: 2),
                row.string(at: 3) ?? "-", row.string(at: 4) ?? "-", row.string(at: 5) ?? "",
            ]
            return fields.joined(separator: " ")
        }
    }
}

extension SQLStore where Database == SQLiteDatabase {
    /// SQLite's plan for `sql`, one line per step (for tests that check listings use their indexes).
    func queryPlan(_ sql: String, _ values: [SQLValue]) throws -> [String] {
        let statement = try database.statement("EXPLAIN QUERY PLAN " + sql)
        return try statement.rows(values) { try $0.nonNullString(at: 3) }
    }
}

extension Store {
    /// Records one action's notifications in a transaction of their own (see `addNotifications(grouped:)`).
    func addNotifications(_ notifications: [NewNotification]) throws -> [AccountNotification] {
        try addNotifications(grouped: [notifications]).first ?? []
    }

    /// Everything an account made and sent or received, read page after page as `/export` reads it.
    func export(of userID: Int64) throws -> [ExportRecord] {
        var records: [ExportRecord] = []
        var cursor: ExportCursor? = ExportCursor()
        while let from = cursor {
            let page = try exportPage(of: userID, from: from, limit: 500, textBytes: 1 << 20)
            records += page.records
            cursor = page.next
        }
        return records
    }
}
