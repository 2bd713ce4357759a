/// What kind of storage fault a `StoreError` is, as the client and the log are told: a stable name for
/// the JSON `reason` field (listed in Protocol.md §7) and a sentence for people. A value.
public enum StorageFault: String, Sendable, CaseIterable {
    /// The disk (or the PostgreSQL server's) has no room left: SQLITE_FULL, SQLSTATE 53100.
    case full
    /// The database cannot be written: SQLITE_READONLY (any extended code), SQLSTATE 25006.
    case readOnly = "read_only"
    /// The file is damaged or not a database: SQLITE_CORRUPT, SQLITE_NOTADB, SQLSTATE XX001/XX002.
    case corrupt
    /// Another connection holds the lock, or a statement ran out of time: SQLITE_BUSY, SQLITE_LOCKED,
    /// SQLSTATE 55P03, 40001, 40P01, 57014.
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
}
