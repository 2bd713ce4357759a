import CSQLite
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One SQLite connection, in the shape of GRDB's `Database`: it owns the `sqlite3` handle and the prepared
/// statements cached on it, and releases both exactly once, in `close()` or when released.
///
/// The file is opened in WAL mode with `synchronous=FULL` (a commit is durable when it returns) and foreign
/// keys enforced. A new file is created readable and writable by its owner only.
///
/// Not thread-safe: owned by the storage queue (see StorageWorker).
public final class SQLiteDatabase {
    /// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
    public static let defaultBusyTimeoutMilliseconds: Int32 = 5000
    private let busyTimeoutMilliseconds: Int32
    /// Opened for reading only (the operator's tools): nothing is written, not even the search indexes.
    let readOnly: Bool

    /// The file path given to `init(path:)`.
    let path: String
    /// Nil once closed.
    private var connection: OpaquePointer?
    /// Prepared statements by SQL text, reused instead of re-parsed.
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (creating it if needed) the database file at `path`, a file system path.
    /// Throws `StoreError.sqlite` when the file cannot be created or opened, or WAL mode cannot be set.
    ///
    /// `readOnly` opens an existing file for reading only (the operator's tools): nothing is created,
    /// and the journal mode is left as the file has it.
    public init(
        path: String, busyTimeoutMilliseconds: Int32 = SQLiteDatabase.defaultBusyTimeoutMilliseconds,
        readOnly: Bool = false
    ) throws {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readOnly = readOnly
        if !readOnly {
            try Self.createOwnerOnlyFile(at: path)
            Self.repairSidecarModes(path)
        }
        var handle: OpaquePointer?
        // NOMUTEX: the connection is confined to one queue, so SQLite's own locking would only cost.
        let flags =
            readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let error = StoreError(connection: handle, result: result, context: "open \(path)")
            // sqlite3_open_v2 usually returns a handle even when it fails; it must still be closed.
            sqlite3_close_v2(handle)
            throw error
        }
        connection = handle
        do {
            try configure(handle)
        } catch let error as StoreError {
            // "unable to open database file" on the journal pragma hides a read-only file system.
            var diagnosed = readOnly ? error : afterFailure(error)
            if case (let code, let message, let context)? = diagnosed.sqliteParts {
                diagnosed = .sqlite(code: code, message: message, context: "open \(path): \(context)")
            }
            close()
            throw diagnosed
        }
    }

    deinit {
        close()
    }

    /// True once `close()` has run.
    public var isClosed: Bool { connection == nil }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int {
        guard let connection else { return 0 }
        return Int(sqlite3_changes(connection))
    }

    /// The rowid of the last successful INSERT on this connection.
    var lastInsertRowID: Int64 {
        guard let connection else { return 0 }
        return sqlite3_last_insert_rowid(connection)
    }

    /// Runs one or more `;`-separated statements that return no rows (schema, pragmas). Never pass user text:
    /// nothing can be bound here.
    public func execute(_ sql: String) throws {
        let connection = try liveConnection()
        let result = sqlite3_exec(connection, sql, nil, nil, nil)
        guard result == SQLITE_OK else {
            throw StoreError(connection: connection, result: result, context: sql)
        }
    }

    /// The cached prepared statement for `sql` (exactly one statement), reset and with no bindings.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try prepare(sql, persistent: true)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` inside `BEGIN IMMEDIATE` … `COMMIT`, and rolls back when `body` or the commit throws.
    /// IMMEDIATE takes the write lock up front, so a transaction never fails half-way for want of it.
    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        // SQLite would refuse the BEGIN, and the rollback after that failure would end the outer transaction.
        if let connection, sqlite3_get_autocommit(connection) == 0 {
            throw StoreError.misuse("a transaction is already open on this connection", context: "BEGIN")
        }
        try statement("BEGIN IMMEDIATE").run()
        do {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Finalizes every cached statement, then closes the connection. Safe to call more than once.
    public func close() {
        guard let connection else { return }
        for statement in statements.values {
            statement.finalize()
        }
        statements.removeAll()
        // close_v2 cannot fail for want of finalized statements; anything left is released with them.
        sqlite3_close_v2(connection)
        self.connection = nil
    }

    /// The raw handle, for SQLite APIs this wrapper does not cover (the online backup).
    var handle: OpaquePointer? { connection }

    private func configure(_ handle: OpaquePointer) throws {
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        if readOnly {
            try execute("PRAGMA query_only=ON;")
            return
        }
        // The pragma answers with the mode in force; on some file systems or files SQLite keeps another one.
        let setWAL = try prepare("PRAGMA journal_mode=WAL", persistent: false)
        defer { setWAL.finalize() }
        let mode = try setWAL.rows { $0.string(at: 0) }.first ?? nil
        guard mode?.lowercased() == "wal" else {
            throw StoreError.sqlite(
                code: SQLITE_ERROR, message: "journal_mode is \(mode ?? "unknown"), not wal", context: "open \(path)")
        }
        try execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
    }

    private func rollback() {
        // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); ROLLBACK would then fail.
        guard let connection, sqlite3_get_autocommit(connection) == 0 else { return }
        // The caller rethrows the error that caused the rollback; that one says what went wrong.
        try? statement("ROLLBACK").run()
    }

    private func prepare(_ sql: String, persistent: Bool) throws -> SQLiteStatement {
        let connection = try liveConnection()
        var handle: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let (result, hasMoreSQL) = sql.withCString { text -> (Int32, Bool) in
            var tail: UnsafePointer<CChar>?
            let result = sqlite3_prepare_v3(connection, text, -1, flags, &handle, &tail)
            let rest = tail.map { String(cString: $0) } ?? ""
            return (result, rest.contains { !$0.isWhitespace })
        }
        guard result == SQLITE_OK else {
            sqlite3_finalize(handle)
            throw StoreError(connection: connection, result: result, context: sql)
        }
        guard let handle, !hasMoreSQL else {
            sqlite3_finalize(handle)
            throw StoreError.sqliteMisuse("expected exactly one SQL statement", context: sql)
        }
        return SQLiteStatement(handle: handle, connection: connection, sql: sql)
    }

    private func liveConnection() throws -> OpaquePointer {
        guard let connection else { throw StoreError.closed }
        return connection
    }

    /// Creates the file with mode 0600 unless it exists, so SQLite (which would use 0644) never makes it
    /// readable by others. SQLite gives the -wal and -shm files the database file's permissions.
    private static func createOwnerOnlyFile(at path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            closeDescriptor(fd)
            return
        }
        let code = errno
        guard code == EEXIST else {
            let message = String(cString: strerror(code))
            throw StoreError.sqlite(code: SQLITE_CANTOPEN, message: message, context: "create \(path)")
        }
    }
}

@available(*, unavailable)
extension SQLiteDatabase: Sendable {}

/// `close(2)`, out of reach of `SQLiteDatabase.close()`'s name.
private func closeDescriptor(_ fd: Int32) {
    close(fd)
}
