import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One PostgreSQL connection through libpq, the counterpart of `SQLiteDatabase`: it owns the `PGconn`,
/// the names of the statements prepared on its session, and closes the connection exactly once, in `close()`
/// or when released.
///
/// SQL is written with `?` placeholders, as for SQLite; `statement(_:)` numbers them `$1...$n`. Values and rows
/// travel in text format. Each statement is prepared on the server once per (SQL, parameter types): an integer
/// is sent as `int8`, text as `text`, and NULL with no type, so the server takes it from the context (a column,
/// a comparison). A NULL whose context fixes no type (`? IS NULL` alone) fails with 42P18; such SQL should say
/// `CAST(? AS BIGINT) IS NULL`, which SQLite accepts too.
///
/// Session state is lost when the connection is: after `reconnect()` the prepared statements are prepared
/// again and the channels given to `listen(_:)` are listened to again; notifications sent in between are lost,
/// and so is anything set with `SET` (pass such settings in the connection string, e.g. `options=-csearch_path=x`).
///
/// Its parts, a file each: statements and their results (+Statements, +Placeholders), transactions
/// (+Transactions), LISTEN and NOTIFY (+Notifications), time limits (+Timeouts); this file connects,
/// reconnects and closes.
///
/// Not thread-safe: owned by the storage queue (see StorageWorker), like `SQLiteDatabase`.
public final class PostgresConnection {
    /// The cluster channel's name, once asked (see `clusterChannel`); set by the wrapper's files only.
    var channelName: String?
    /// True while `reconnect` runs, so that it does not reset again from within.
    private var resetting = false
    /// Nil once closed.
    private(set) var connection: OpaquePointer?
    /// Statements by the SQL they were asked for (with `?`), so each is rewritten once.
    var statements: [String: PostgresStatement] = [:]
    /// Names of the statements prepared on the server's session, by numbered SQL and parameter types.
    /// They die with the session: `reconnect()` forgets them.
    var preparedNames: [PreparedKey: String] = [:]
    /// Numbers the prepared statements' names; never reused on this connection, even after a reconnect.
    var preparedCount = 0
    /// The channels given to `listen(_:)`, listened to again after `reconnect()`.
    var channels: Set<String> = []
    var lastChanges = 0
    /// Statements run with values (`run`), each a round trip, since the connection was made: tests count
    /// the round trips of an operation with it.
    var statementsRun = 0

    /// Connects with a libpq connection string: a URI (`postgresql://user@host:port/db?sslmode=...`) or
    /// `key=value` pairs. The client encoding is always UTF8. Blocks until the server answers, or for
    /// `connect_timeout` seconds when the string sets one. Throws `StoreError` (unreachable, SQLSTATE
    /// 08001) when the string is malformed or the server cannot be reached or refuses the login.
    public init(uri: String) throws {
        // expand_dbname=1: "dbname" may hold a whole URI or key=value string. Later keys override it, so the
        // encoding is UTF8 whatever the string says, and the timeouts are set; all stay so across PQreset.
        let parameters =
            [("dbname", uri), ("client_encoding", "UTF8"), ("fallback_application_name", "microblogd")]
            + Self.timeouts(for: uri)
        let copies = parameters.map { (strdup($0.0), strdup($0.1)) }
        defer {
            for (key, value) in copies {
                free(key)
                free(value)
            }
        }
        // Both arrays end with NULL, as libpq expects.
        let keys = copies.map { UnsafePointer($0.0) } + [nil]
        let values = copies.map { UnsafePointer($0.1) } + [nil]
        let handle = PQconnectdbParams(keys, values, 1)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let error = StoreError(postgresConnectFailure: handle, connectionString: uri)
            // libpq returns a connection object even when it fails; it must still be freed.
            PQfinish(handle)
            throw error
        }
        // libpq prints notices (NOTICE: drop cascades to ...) on stderr by default; they are not errors.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        connection = handle
    }

    deinit {
        close()
    }

    /// True once `close()` has run.
    public var isClosed: Bool { connection == nil }

    /// True while libpq holds the connection usable. A server that went away is noticed only by the next
    /// command (or `notifications()`), which fails as unreachable (class 08); then this is false.
    var isConnected: Bool {
        guard let connection else { return false }
        return PQstatus(connection) == CONNECTION_OK
    }

    /// The connection's socket, for a Dispatch read source that calls `notifications()`; -1 when closed.
    /// It changes with `reconnect()`, so make the source again after one. The connection owns the descriptor:
    /// never close it.
    var socket: Int32 {
        guard let connection else { return -1 }
        return PQsocket(connection)
    }

    /// Rows changed by the last INSERT, UPDATE, DELETE or MERGE; other commands leave it as it was, as in SQLite.
    public var changes: Int { lastChanges }

    /// Runs one or more `;`-separated statements that take no values (schema). Never pass user text:
    /// nothing can be bound here.
    public func execute(_ sql: String) throws {
        let connection = try liveConnection()
        PQclear(try check(PQexec(connection, sql), on: connection, context: sql))
    }

    /// Closes the connection; later calls throw `StoreError.closed`. Safe to call more than once.
    public func close() {
        guard let connection else { return }
        statements.removeAll()
        preparedNames.removeAll()
        channels.removeAll()
        PQfinish(connection)
        self.connection = nil
    }

    /// Opens a new session with the same connection string (PQreset), then forgets the statements prepared on
    /// the old one and listens again to the channels given to `listen(_:)`. Throws when the server cannot
    /// be reached; the connection can be reset again later.
    func reconnect() throws {
        let connection = try liveConnection()
        preparedNames.removeAll()
        lastChanges = 0
        // The notice processor belongs to the PGconn, which PQreset keeps.
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            throw StoreError.postgres(
                sqlstate: "08001", message: Self.errorMessage(of: connection), context: "reconnect to PostgreSQL")
        }
        for channel in channels.sorted() {
            try execute("LISTEN \(try quotedIdentifier(channel))")
        }
    }

    /// `result` when it reports success (with or without rows); otherwise clears it and throws its error.
    func check(_ result: OpaquePointer?, on connection: OpaquePointer, context: String) throws
        -> OpaquePointer
    {
        let status = PQresultStatus(result)
        guard let result, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY
        else {
            let error = StoreError(postgresResult: result, connection: connection, context: context)
            PQclear(result)
            throw error
        }
        return result
    }

    /// The open connection; one that the server dropped (a restart, a network cut) is reset first, so a
    /// node recovers by itself: each call after the failure tries again.
    func liveConnection() throws -> OpaquePointer {
        guard let connection else { throw StoreError.closed }
        if PQstatus(connection) != CONNECTION_OK && !resetting {
            resetting = true
            defer { resetting = false }
            try reconnect()
        }
        return connection
    }

    static func errorMessage(of connection: OpaquePointer) -> String {
        PQerrorMessage(connection).map { String(cString: $0).trimmingBlanks() } ?? "unknown libpq error"
    }

}

@available(*, unavailable)
extension PostgresConnection: Sendable {}
