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
/// Not thread-safe: owned by the storage queue (see StorageWorker), like `SQLiteDatabase`.
package final class PostgresConnection {
    /// The cluster channel's name, once asked (see `clusterChannel`); set by the wrapper's files only.
    var channelName: String?
    /// True while `reconnect` runs, so that it does not reset again from within.
    private var resetting = false
    /// Nil once closed.
    private var connection: OpaquePointer?
    /// Statements by the SQL they were asked for (with `?`), so each is rewritten once.
    private var statements: [String: PostgresStatement] = [:]
    /// Names of the statements prepared on the server's session, by numbered SQL and parameter types.
    /// They die with the session: `reconnect()` forgets them.
    private var preparedNames: [PreparedKey: String] = [:]
    /// Numbers the prepared statements' names; never reused on this connection, even after a reconnect.
    private var preparedCount = 0
    /// The channels given to `listen(_:)`, listened to again after `reconnect()`.
    private var channels: Set<String> = []
    private var lastChanges = 0
    /// Statements run with values (`run`), each a round trip, since the connection was made: tests count
    /// the round trips of an operation with it.
    private(set) var statementsRun = 0

    /// Connects with a libpq connection string: a URI (`postgresql://user@host:port/db?sslmode=...`) or
    /// `key=value` pairs. The client encoding is always UTF8. Blocks until the server answers, or for
    /// `connect_timeout` seconds when the string sets one. Throws `StoreError` (unreachable, SQLSTATE
    /// 08001) when the string is malformed or the server cannot be reached or refuses the login.
    package init(uri: String) throws {
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

    /// Seconds a connection attempt may take (libpq's `connect_timeout`) unless the connection string (or
    /// `PGCONNECT_TIMEOUT`) sets its own: an unreachable server fails the attempt instead of holding the
    /// storage queue for the operating system's TCP timeout (minutes).
    static let defaultConnectTimeoutSeconds = 10
    /// Milliseconds one statement may run (the server's `statement_timeout`) unless the connection string's
    /// `options` (or `PGOPTIONS`) set their own: a hung server, or a lock held forever, fails the statement
    /// (SQLSTATE 57014, a `busy` storage fault) instead of blocking the storage queue and every session's
    /// commands behind it. Schema migrations run without it.
    static let defaultStatementTimeoutMilliseconds = 30_000

    /// The timeouts to pass beside `connectionString`: the defaults it does not set itself. Its own
    /// `options` (a search path, say) are kept, with the statement timeout added to them.
    static func timeouts(for connectionString: String) -> [(String, String)] {
        var given: [String: String] = [:]
        if let options = PQconninfoParse(connectionString, nil) {
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if let value = option.pointee.val { given[String(cString: keyword)] = String(cString: value) }
                option += 1
            }
        }
        var parameters: [(String, String)] = []
        if given["connect_timeout"] == nil && getenv("PGCONNECT_TIMEOUT") == nil {
            parameters.append(("connect_timeout", String(defaultConnectTimeoutSeconds)))
        }
        let options = given["options"] ?? getenv("PGOPTIONS").map { String(cString: $0) } ?? ""
        if !options.contains("statement_timeout") {
            let timeout = "-c statement_timeout=\(defaultStatementTimeoutMilliseconds)"
            parameters.append(("options", options.isEmpty ? timeout : options + " " + timeout))
        }
        return parameters
    }

    /// True once `close()` has run.
    package var isClosed: Bool { connection == nil }

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
    package var changes: Int { lastChanges }

    /// Runs one or more `;`-separated statements that take no values (schema). Never pass user text:
    /// nothing can be bound here.
    package func execute(_ sql: String) throws {
        let connection = try liveConnection()
        PQclear(try check(PQexec(connection, sql), on: connection, context: sql))
    }

    /// The statement for `sql` (exactly one statement, `?` placeholders), cached by its text. It is prepared on
    /// the server when it first runs with a given set of parameter types.
    package func statement(_ sql: String) throws -> PostgresStatement {
        _ = try liveConnection()
        if let cached = statements[sql] { return cached }
        let (numbered, count) = Self.numberingPlaceholders(sql)
        let statement = PostgresStatement(sql: sql, numberedSQL: numbered, parameterCount: count, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` inside `BEGIN ISOLATION LEVEL READ COMMITTED` … `COMMIT`, and rolls back when `body` or the
    /// commit throws. Unlike SQLite, PostgreSQL takes row locks as statements run, not up front.
    ///
    /// A statement that fails inside the transaction aborts all of it, even when `body` catches the error:
    /// the commit then throws. Nested calls throw instead of silently joining the outer transaction.
    package func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        let connection = try liveConnection()
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw StoreError.misuse("a transaction is already open on this connection", context: "BEGIN")
        }
        try execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            let result = try body()
            try commit(connection)
            return result
        } catch {
            rollback()
            throw error
        }
    }

    /// Runs `body` with each statement limited to `seconds` (the server's `statement_timeout`, put back to
    /// the connection's own afterwards); a statement stopped by it is thrown as `StoreError.timedOut`.
    package func withTimeLimit<Result>(_ seconds: Double, _ body: () throws -> Result) throws -> Result {
        try execute("SET statement_timeout = \(max(1, Int((seconds * 1000).rounded(.up))))")
        defer { try? execute("RESET statement_timeout") }
        do {
            return try body()
        } catch let error as StoreError where error.sqlstate == "57014" {
            throw StoreError.timedOut
        }
    }

    /// Closes the connection; later calls throw `StoreError.closed`. Safe to call more than once.
    package func close() {
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

    /// Listens to `channel` (any text; it is quoted here), so `notifications()` returns what is sent to it.
    func listen(_ channel: String) throws {
        try execute("LISTEN \(try quotedIdentifier(channel))")
        channels.insert(channel)
    }

    /// Sends `payload` to the listeners of `channel`, with `pg_notify`, so both are bound, never spliced into
    /// SQL. Inside a transaction it is delivered on commit. PostgreSQL limits a payload to 8000 bytes.
    func notify(_ channel: String, payload: String) throws {
        try statement("SELECT pg_notify(?, ?)").run([.text(channel), .text(payload)])
    }

    /// The notifications that arrived for this connection's channels, oldest first; empty when none did.
    /// Reads what the socket has without blocking. Throws when the connection is gone (08006).
    func notifications() throws -> [(channel: String, payload: String)] {
        let connection = try liveConnection()
        guard PQconsumeInput(connection) == 1 else {
            throw StoreError.postgres(
                sqlstate: "08006", message: Self.errorMessage(of: connection), context: "read notifications")
        }
        var received: [(channel: String, payload: String)] = []
        while let notification = PQnotifies(connection) {
            defer { PQfreemem(notification) }
            let channel = notification.pointee.relname.map { String(cString: $0) } ?? ""
            let payload = notification.pointee.extra.map { String(cString: $0) } ?? ""
            received.append((channel: channel, payload: payload))
        }
        return received
    }

    /// Rewrites the placeholders of `sql` as PostgreSQL's `$n`, numbered as SQLite numbers them: `?NNN` is
    /// parameter NNN (`?1` may appear twice), and a bare `?` is one more than the largest number so far.
    /// `count` is the largest number, which is how many values the statement takes (as
    /// `sqlite3_bind_parameter_count` says). A `?` inside a '…' string, a "…" identifier, a `--` comment or
    /// a `/* … */` comment is left alone. PostgreSQL's other quotings (E'…' with backslash escapes, $$…$$) are
    /// not recognised: the store's SQL does not use them.
    static func numberingPlaceholders(_ sql: String) -> (sql: String, count: Int) {
        enum Context { case code, string, identifier, lineComment, blockComment }
        var context = Context.code
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var largest = 0
        var previous: UInt8 = 0
        var index = 0
        // Every delimiter is ASCII, so scanning UTF-8 bytes never splits a character.
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            // The byte that may pair with the next one: none after a pair was used ("/*/" stays a comment).
            var pairable = byte
            switch (context, byte) {
            case (.code, UInt8(ascii: "?")):
                let digits = bytes[index...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                index += digits.count
                let number = digits.isEmpty ? largest + 1 : Int(String(decoding: digits, as: UTF8.self)) ?? 0
                largest = max(largest, number)
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(number).utf8)
                previous = 0
                continue
            case (.code, UInt8(ascii: "'")): context = .string
            case (.code, UInt8(ascii: "\"")): context = .identifier
            case (.code, UInt8(ascii: "-")) where previous == UInt8(ascii: "-"): context = .lineComment
            case (.code, UInt8(ascii: "*")) where previous == UInt8(ascii: "/"):
                context = .blockComment
                pairable = 0
            // A doubled quote ('' or "") ends the literal and opens it again, which leaves it open.
            case (.string, UInt8(ascii: "'")), (.identifier, UInt8(ascii: "\"")): context = .code
            case (.lineComment, UInt8(ascii: "\n")): context = .code
            case (.blockComment, UInt8(ascii: "/")) where previous == UInt8(ascii: "*"):
                context = .code
                pairable = 0
            default: break
            }
            output.append(byte)
            previous = pairable
        }
        return (String(decoding: output, as: UTF8.self), largest)
    }

    /// Runs the statement `numberedSQL` with `values`, preparing it first for their types when needed.
    /// Returns the result, which the caller must `PQclear`.
    func run(_ numberedSQL: String, _ values: [SQLValue], context: String) throws -> OpaquePointer {
        let connection = try liveConnection()
        let name = try preparedName(numberedSQL, types: values.map(Self.parameterType), context: context)
        statementsRun += 1
        var texts: [UnsafeMutablePointer<CChar>?] = []
        texts.reserveCapacity(values.count)
        defer { for text in texts { free(text) } }
        for value in values {
            let text: String
            switch value {
            case .integer(let number): text = String(number)
            case .text(let string): text = string
            case .null:
                texts.append(nil)
                continue
            }
            // Text parameters are C strings, and PostgreSQL's text cannot hold NUL anyway.
            guard !text.utf8.contains(0) else {
                throw StoreError.misuse("text holds a NUL byte, which PostgreSQL cannot store", context: context)
            }
            guard let copy = strdup(text) else { throw StoreError.misuse("out of memory", context: context) }
            texts.append(copy)
        }
        let parameters = texts.map { UnsafePointer($0) }
        let result = try check(
            PQexecPrepared(connection, name, Int32(values.count), parameters, nil, nil, 0), on: connection,
            context: context)
        if let tag = PQcmdStatus(result).map({ String(cString: $0) }),
            ["INSERT", "UPDATE", "DELETE", "MERGE"].contains(where: { tag.hasPrefix($0 + " ") })
        {
            lastChanges = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        }
        return result
    }

    private func preparedName(_ numberedSQL: String, types: [Oid], context: String) throws -> String {
        let key = PreparedKey(sql: numberedSQL, types: types)
        if let name = preparedNames[key] { return name }
        let connection = try liveConnection()
        preparedCount += 1
        let name = "microblog_\(preparedCount)"
        let result = PQprepare(connection, name, numberedSQL, Int32(types.count), types)
        PQclear(try check(result, on: connection, context: context))
        preparedNames[key] = name
        return name
    }

    /// `result` when it reports success (with or without rows); otherwise clears it and throws its error.
    private func check(_ result: OpaquePointer?, on connection: OpaquePointer, context: String) throws
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

    private func commit(_ connection: OpaquePointer) throws {
        let result = try check(PQexec(connection, "COMMIT"), on: connection, context: "COMMIT")
        defer { PQclear(result) }
        // COMMIT of an aborted transaction succeeds and answers ROLLBACK: nothing was saved.
        guard let tag = PQcmdStatus(result), String(cString: tag) == "COMMIT" else {
            throw StoreError.postgres(
                sqlstate: "25P02", message: "the transaction was aborted by an earlier error and rolled back",
                context: "COMMIT")
        }
    }

    private func rollback() {
        guard let connection else { return }
        let status = PQtransactionStatus(connection)
        // After a failed COMMIT, or a lost connection, there is nothing to roll back.
        guard status == PQTRANS_INTRANS || status == PQTRANS_INERROR else { return }
        // The caller rethrows the error that caused the rollback; that one says what went wrong.
        PQclear(PQexec(connection, "ROLLBACK"))
    }

    private func quotedIdentifier(_ name: String) throws -> String {
        let connection = try liveConnection()
        guard let quoted = PQescapeIdentifier(connection, name, name.utf8.count) else {
            throw StoreError.misuse(Self.errorMessage(of: connection), context: "LISTEN")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// The open connection; one that the server dropped (a restart, a network cut) is reset first, so a
    /// node recovers by itself: each call after the failure tries again.
    private func liveConnection() throws -> OpaquePointer {
        guard let connection else { throw StoreError.closed }
        if PQstatus(connection) != CONNECTION_OK && !resetting {
            resetting = true
            defer { resetting = false }
            try reconnect()
        }
        return connection
    }

    /// The parameter's declared type: int8 (OID 20) or text (OID 25); 0 lets the server infer a NULL's type.
    private static func parameterType(_ value: SQLValue) -> Oid {
        switch value {
        case .integer: return 20
        case .text: return 25
        case .null: return 0
        }
    }

    private static func errorMessage(of connection: OpaquePointer) -> String {
        PQerrorMessage(connection).map { String(cString: $0).trimmingBlanks() } ?? "unknown libpq error"
    }

    private struct PreparedKey: Hashable {
        let sql: String
        let types: [Oid]
    }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}
