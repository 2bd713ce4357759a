import CSQLite

// SQLite failures are reported as `StoreError.sqlite(code:message:context:)` rather than a type of their own,
// so callers of `Store` handle one error type. These helpers build and inspect that case.
extension StoreError {
    /// The error SQLite reports for `result` on `connection`, with its extended code and message.
    ///
    /// The connection's extended code and message describe its most recent failing call; they are used only
    /// when they match `result`, otherwise (or without a connection) the generic text for `result` is used.
    /// `context` names what failed: the SQL, or a step such as "open <path>".
    init(connection: OpaquePointer?, result: Int32, context: String) {
        if let connection {
            let extended = sqlite3_extended_errcode(connection)
            if extended & 0xff == result & 0xff {
                let message = sqlite3_errmsg(connection).map { String(cString: $0) } ?? Self.genericMessage(result)
                self = .sqlite(code: extended, message: message, context: context)
                return
            }
        }
        self = .sqlite(code: result, message: Self.genericMessage(result), context: context)
    }

    /// A misuse of the wrapper itself (wrong number of bindings, several statements where one is expected).
    static func misuse(_ message: String, context: String) -> StoreError {
        .sqlite(code: SQLITE_MISUSE, message: message, context: context)
    }

    /// The extended result code when this is a SQLite failure, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    var sqliteCode: Int32? {
        if case .sqlite(let code, _, _) = self { return code }
        return nil
    }

    private static func genericMessage(_ result: Int32) -> String {
        sqlite3_errstr(result).map { String(cString: $0) } ?? "SQLite result \(result)"
    }
}

/// Extended result codes the store tells apart. Their C macros are expressions that Swift does not import.
enum SQLiteExtendedCode {
    /// A UNIQUE constraint failed.
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)
    /// A FOREIGN KEY constraint failed.
    static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)
}
