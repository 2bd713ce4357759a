import MicroblogModel
import MicroblogSupport

/// Who is signed in on the web door, and who keeps off it (`/web off`); see `WebSchema`.
extension SQLStore {
    public func createWebSession(
        tokenHash: String, userID: Int64, at: Timestamp, expiredBefore: Timestamp, keep: Int
    ) throws {
        try database.transaction {
            try refuseDeleted(userID, others: [])
            try database.statement(WebSQL.forgetExpired).run([.integer(expiredBefore.milliseconds)])
            try database.statement(WebSQL.insert).run([
                .text(tokenHash), .integer(userID), .integer(at.milliseconds),
            ])
            // The account's oldest sessions beyond its newest `keep` end.
            try database.statement(WebSQL.keepNewest).run([
                .integer(userID), .integer(userID), .integer(Int64(max(keep, 1))),
            ])
        }
    }

    public func deleteWebSession(tokenHash: String) throws -> Bool {
        try database.transaction {
            try database.statement(WebSQL.delete).run([.text(tokenHash)])
            return database.changes > 0
        }
    }

    public func deleteWebSessions(of userID: Int64) throws -> Int {
        try database.transaction {
            try database.statement(WebSQL.deleteAccount).run([.integer(userID)])
            return database.changes
        }
    }

    public func webSessionUser(tokenHash: String, notBefore: Timestamp) throws -> User? {
        try database.statement(WebSQL.user).rows([.text(tokenHash), .integer(notBefore.milliseconds)]) {
            User(
                id: $0.int64(at: 0), name: try $0.nonNullString(at: 1),
                createdAt: Timestamp(milliseconds: $0.int64(at: 2)))
        }.first
    }

    public func setWebOff(_ userID: Int64, _ off: Bool) throws -> Bool {
        try database.transaction {
            try refuseDeleted(userID, others: [])
            try database.statement(WebSQL.setWebOff).run([
                .integer(off ? 1 : 0), .integer(userID), .integer(off ? 1 : 0),
            ])
            return database.changes > 0
        }
    }

    public func asSeenOnTheWeb<Result>(_ body: () throws -> Result) rethrows -> Result {
        let was = webAudience
        webAudience = true
        defer { webAudience = was }
        return try body()
    }

    public func isWebOff(_ userID: Int64) throws -> Bool {
        try database.statement(WebSQL.webOff).rows([.integer(userID)]) { $0.int64(at: 0) != 0 }.first ?? false
    }

    public func webHiddenAuthors() throws -> Set<Int64> {
        Set(try database.statement(WebSQL.hidden).rows([]) { $0.int64(at: 0) })
    }
}

private enum WebSQL {
    static let forgetExpired = "DELETE FROM web_sessions WHERE created_at < ?"
    static let insert = "INSERT INTO web_sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)"
    static let keepNewest = """
        DELETE FROM web_sessions WHERE user_id = ? AND token_hash NOT IN (
            SELECT token_hash FROM web_sessions WHERE user_id = ? ORDER BY created_at DESC, token_hash LIMIT ?
        )
        """
    static let delete = "DELETE FROM web_sessions WHERE token_hash = ?"
    static let deleteAccount = "DELETE FROM web_sessions WHERE user_id = ?"
    /// The session's account, if the session is current and the account neither deleted nor banned.
    static let user = """
        SELECT users.id, users.name, users.created_at FROM web_sessions JOIN users ON users.id = web_sessions.user_id
        WHERE web_sessions.token_hash = ? AND web_sessions.created_at >= ?
            AND users.deleted_at IS NULL AND users.banned_reason IS NULL
        """
    static let webOff = "SELECT web_off FROM users WHERE id = ?"
    static let setWebOff = "UPDATE users SET web_off = ? WHERE id = ? AND web_off <> ?"
    /// Whom the web door never shows: accounts banned, and those that chose `/web off`.
    static let hidden = "SELECT id FROM users WHERE web_off <> 0 OR banned_reason IS NOT NULL"
}
