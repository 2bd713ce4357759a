import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

// SQLite's failures as the store's `StoreError.failed`: the extended result code, as text, is the failure's
// code, and its kind comes from the code (and, for I/O errors, the OS's reason in the message).
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

    /// A SQLite failure: its (extended) result code, its message, and the SQL or step that failed.
    static func sqlite(code: Int32, message: String, context: String) -> StoreError {
        .failed(
            DatabaseFailure(
                kind: DatabaseFailure.Kind(sqliteCode: code, message: message), source: .sqlite, code: String(code),
                message: message, context: context))
    }

    /// A misuse of the SQLite wrapper itself (wrong number of bindings, several statements where one is
    /// expected), with SQLite's code for it.
    static func sqliteMisuse(_ message: String, context: String) -> StoreError {
        .sqlite(code: SQLITE_MISUSE, message: message, context: context)
    }

    /// The extended result code when this is a SQLite failure, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    var sqliteCode: Int32? {
        sqliteParts?.code
    }

    /// A SQLite failure's code, message and context, to make it again with more said; nil for any other error.
    var sqliteParts: (code: Int32, message: String, context: String)? {
        guard case .failed(let failure) = self, failure.source == .sqlite, let code = Int32(failure.code) else {
            return nil
        }
        return (code, failure.message, failure.context)
    }

    private static func genericMessage(_ result: Int32) -> String {
        sqlite3_errstr(result).map { String(cString: $0) } ?? "SQLite result \(result)"
    }
}

extension DatabaseFailure {
    /// True when SQLite found a file that is not a database at all (rather than a damaged one).
    public var isNotADatabase: Bool {
        source == .sqlite && Int32(code).map { $0 & 0xff == SQLITE_NOTADB } == true
    }
}

extension DatabaseFailure.Kind {
    /// The kind of a SQLite result code (primary or extended). SQLite reports some writes on a full or
    /// read-only file system as I/O errors (or as failing to open a file): the code alone does not tell,
    /// so the OS's reason in `message` (see `SQLiteDatabase.afterFailure`) decides then.
    init(sqliteCode code: Int32, message: String) {
        switch code {
        case SQLiteExtendedCode.constraintUnique, SQLiteExtendedCode.constraintPrimaryKey:
            self = .unique
            return
        case SQLiteExtendedCode.constraintForeignKey:
            self = .foreignKey
            return
        default: break
        }
        let fault: StorageFault
        switch code & 0xff {
        case SQLITE_FULL: fault = .full
        case SQLITE_READONLY: fault = .readOnly
        case SQLITE_CORRUPT, SQLITE_NOTADB: fault = .corrupt
        case SQLITE_BUSY, SQLITE_LOCKED: fault = .busy
        case SQLITE_CANTOPEN: fault = .unreachable
        case SQLITE_IOERR: fault = .io
        default: fault = .other
        }
        let lower = message.lowercased()
        if fault == .io || fault == .unreachable, lower.contains("no space left") {
            self = .fault(.full)
        } else if fault == .io || fault == .unreachable, lower.contains("read-only file system") {
            self = .fault(.readOnly)
        } else {
            self = .fault(fault)
        }
    }
}

/// Extended result codes the store tells apart. Their C macros are expressions that Swift does not import.
enum SQLiteExtendedCode {
    /// A UNIQUE constraint failed.
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)
    /// A PRIMARY KEY constraint failed.
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    /// A FOREIGN KEY constraint failed.
    static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)
}
