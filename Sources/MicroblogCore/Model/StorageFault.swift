import CSQLite

/// What kind of storage fault a `StoreError` is, as the client and the log are told: a stable name for
/// the JSON `reason` field (listed in Protocol.md §7) and a sentence for people. A value.
public enum StorageFault: String, Sendable, CaseIterable {
    /// The disk (or the PostgreSQL server's) has no room left: SQLITE_FULL, SQLSTATE 53100.
    case full
    /// The database cannot be written: SQLITE_READONLY (any extended code), SQLSTATE 25006.
    case readOnly = "read_only"
    /// The file is damaged or not a database: SQLITE_CORRUPT, SQLITE_NOTADB, SQLSTATE XX001/XX002.
    case corrupt
    /// Another connection holds the lock: SQLITE_BUSY, SQLITE_LOCKED, SQLSTATE 55P03, 40001, 40P01.
    case busy
    /// The database cannot be opened or reached: SQLITE_CANTOPEN, a closed store, SQLSTATE class 08.
    case unreachable
    /// The disk failed to read or write: SQLITE_IOERR (other than a full disk).
    case io
    /// Anything else.
    case other

    /// What the client reads after the `storage` code.
    public var sentence: String {
        switch self {
        case .full: return "the server's disk is full; nothing was saved"
        case .readOnly: return "the server's database is read-only; nothing was saved"
        case .corrupt: return "the server's database is damaged; tell the operator"
        case .busy: return "the server's database is busy; try again"
        case .unreachable: return "the server could not reach its database; try again"
        case .io: return "the server's disk failed to read or write; try again"
        case .other: return "the server's database failed; try again"
        }
    }

    /// The kind of a SQLite result code (primary or extended). PostgreSQL errors carry the SQLite code
    /// that means the same (see `StoreError.postgres`), so they map here too.
    init(sqliteCode code: Int32) {
        switch code & 0xff {
        case SQLITE_FULL: self = .full
        case SQLITE_READONLY: self = .readOnly
        case SQLITE_CORRUPT, SQLITE_NOTADB: self = .corrupt
        case SQLITE_BUSY, SQLITE_LOCKED: self = .busy
        case SQLITE_CANTOPEN: self = .unreachable
        case SQLITE_IOERR:
            // SQLite reports some writes on a full or read-only file system as I/O errors; the extended
            // code alone does not tell, so `StoreError.fault` also reads the errno in the message.
            self = .io
        default: self = .other
        }
    }
}

extension StoreError {
    /// The kind of fault, for the wire and the log.
    public var fault: StorageFault {
        switch self {
        case .closed: return .unreachable
        case .nameTaken, .unsupportedSchema, .notMicroblog: return .other
        case .sqlite(let code, let message, _):
            let kind = StorageFault(sqliteCode: code)
            // An I/O error's message carries the OS's reason (see `StoreError(connection:result:context:)`).
            let lower = message.lowercased()
            if kind == .io || kind == .unreachable, lower.contains("no space left") { return .full }
            if kind == .io || kind == .unreachable, lower.contains("read-only file system") { return .readOnly }
            return kind
        }
    }

    /// The SQLite (or PostgreSQL) message alone, for the log's `message` field.
    var faultMessage: String {
        if case .sqlite(_, let message, _) = self { return message }
        return description
    }

    /// The extended result code, or 0 when there is none.
    var faultCode: Int32 {
        if case .sqlite(let code, _, _) = self { return code }
        return 0
    }
}
