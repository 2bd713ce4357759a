import Foundation
import Synchronization
import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The parts of `PostgresConnection` that need no server: placeholder numbering and failing to connect.
@Suite struct PostgresConnectionOfflineTests {
    @Test func numbersPlaceholdersOutsideQuotesAndComments() {
        let cases: [(sql: String, numbered: String, count: Int)] = [
            ("SELECT 1", "SELECT 1", 0),
            ("SELECT ?, ?, ?", "SELECT $1, $2, $3", 3),
            ("SELECT '?', ?", "SELECT '?', $1", 1),
            ("SELECT 'it''s ?', ? || '?'", "SELECT 'it''s ?', $1 || '?'", 1),
            ("SELECT \"odd?name\" FROM t WHERE a = ?", "SELECT \"odd?name\" FROM t WHERE a = $1", 1),
            ("SELECT ? -- isn't it?\n, ?", "SELECT $1 -- isn't it?\n, $2", 2),
            ("SELECT /* what's ? */ ?", "SELECT /* what's ? */ $1", 1),
            ("SELECT /*/ ? */ ?", "SELECT /*/ ? */ $1", 1),
            ("SELECT 'ünï ?' || ?", "SELECT 'ünï ?' || $1", 1),
            // SQLite's numbered form: ?NNN is parameter NNN; a bare ? follows the largest number so far.
            ("WHERE a = ?1 OR b = ?1 LIMIT ?2", "WHERE a = $1 OR b = $1 LIMIT $2", 2),
            ("SELECT ?2, ?, ?1, ?", "SELECT $2, $3, $1, $4", 4),
            ("SELECT ?10", "SELECT $10", 10),
            (
                Array(repeating: "?", count: 12).joined(separator: ","),
                (1...12).map { "$\($0)" }.joined(separator: ","), 12
            ),
        ]
        for (sql, numbered, count) in cases {
            let result = PostgresConnection.numberingPlaceholders(sql)
            #expect(result.sql == numbered, "\(sql)")
            #expect(result.count == count, "\(sql)")
        }
    }

    @Test func timeoutsAreAddedUnlessTheConnectionStringSetsThem() {
        let statement = "-c statement_timeout=\(PostgresConnection.defaultStatementTimeoutMilliseconds)"
        let connect = String(PostgresConnection.defaultConnectTimeoutSeconds)
        let keepalives = ["keepalives_idle", "keepalives_interval", "keepalives_count"]
        let plain = PostgresConnection.timeouts(for: "postgresql://u@h/db")
        #expect(plain.map(\.0) == ["connect_timeout"] + keepalives + ["options"])
        #expect(plain.map(\.1) == [connect, "30", "10", "3", statement])
        // A search path of its own is kept; the statement timeout joins it. Its own keepalive idle time wins.
        let own = PostgresConnection.timeouts(
            for: "postgresql://u@h/db?connect_timeout=3&keepalives_idle=5&options=-csearch_path%3Dx")
        #expect(own.map(\.0) == ["keepalives_interval", "keepalives_count", "options"])
        #expect(own.last?.1 == "-csearch_path=x " + statement)
        let all = PostgresConnection.timeouts(
            for: "host=h connect_timeout=2 keepalives_idle=1 keepalives_interval=1 keepalives_count=1"
                + " options='-c statement_timeout=100'")
        #expect(all.isEmpty, "\(all)")
    }

    @Test(arguments: [
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=5",
        "this is not a connection string",
        "postgresql://[::1",
        "postgresql://127.0.0.1:99999999/db",
    ])
    func badConnectionStringThrowsCannotOpen(_ uri: String) {
        do {
            _ = try PostgresConnection(uri: uri)
            Issue.record("connected with \(uri)")
        } catch let error as StoreError {
            #expect(error.fault == .unreachable && error.sqlstate == "08001")
            #expect(error.description.contains("postgres 08001"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    /// libpq quotes a malformed connection string, or a piece of it, in its message.
    @Test(arguments: [
        "postgresql://alice:s3cr3t@[::1/db",
        "postgresql://alice:s3c%r3t@127.0.0.1/db",
        "host=127.0.0.1 password=s3c r3t",
        "postgresql://127.0.0.1/db?password=s3cr3t&bogus=1",
    ])
    func malformedConnectionStringNeverShowsThePassword(_ uri: String) {
        #expect {
            _ = try PostgresConnection(uri: uri)
        } throws: { error in
            let text = "\(error)"
            return (error as? StoreError)?.fault == .unreachable && !text.contains("s3c")
                && !text.contains("r3t") && text.contains("withheld")
        }
    }
}

private let postgresURI = ProcessInfo.processInfo.environment["MICROBLOG_TEST_POSTGRES"]

/// `PostgresConnection` against a real server: the one named by MICROBLOG_TEST_POSTGRES (`.ci/run` starts
/// a throw-away cluster and sets it). Each test works in a schema of its own, dropped at the end, so tests
/// run in parallel on one database.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["MICROBLOG_TEST_POSTGRES"] != nil,
        "MICROBLOG_TEST_POSTGRES is not set: the PostgreSQL tests were skipped"))
struct PostgresConnectionTests {
    @Test func placeholdersBindInOrderAndQuotedQuestionMarksStay() throws {
        try withSchema { db in
            let row = try db.statement("SELECT ?, '?', ? || '?', 'it''s ?'").rows([.integer(7), .text("a")]) {
                [$0.string(at: 0), $0.string(at: 1), $0.string(at: 2), $0.string(at: 3)]
            }
            #expect(row == [["7", "?", "a?", "it's ?"]])
            let numbered = try db.statement("SELECT ?2 || ?1, ?1").rows([.text("a"), .text("b")]) {
                [$0.string(at: 0), $0.string(at: 1)]
            }
            #expect(numbered == [["ba", "a"]])
            #expect(throws: StoreError.misuse("1 values bound to 2 parameters", context: "SELECT ?, ?")) {
                try db.statement("SELECT ?, ?").run([.integer(1)])
            }
        }
    }

    @Test func integersTextAndNullsRoundTrip() throws {
        try withSchema { db in
            try db.execute("CREATE TABLE v (i BIGINT, t TEXT, n BIGINT)")
            let insert = "INSERT INTO v VALUES (?, ?, ?)"
            try db.statement(insert).run([.integer(Int64.max), .text("max"), .null])
            try db.statement(insert).run([.integer(Int64.min), .text(""), .integer(-1)])
            // The same SQL with NULLs elsewhere is prepared again for the new parameter types.
            try db.statement(insert).run([.null, .null, .integer(0)])
            let rows = try db.statement("SELECT i, t, n FROM v ORDER BY n NULLS FIRST").rows {
                ($0.int64(at: 0), $0.string(at: 0), $0.string(at: 1), $0.int64(at: 2), $0.string(at: 2))
            }
            try #require(rows.count == 3)
            #expect(rows[0] == (Int64.max, "9223372036854775807", "max", 0, nil))
            #expect(rows[1] == (Int64.min, "-9223372036854775808", "", -1, "-1"))
            #expect(rows[2] == (0, nil, nil, 0, "0"))
            #expect(throws: StoreError.unexpectedNull(column: 0, context: "SELECT t FROM v WHERE i IS NULL")) {
                try db.statement("SELECT t FROM v WHERE i IS NULL").rows { try $0.nonNullString(at: 0) }
            }
            #expect(
                try db.statement("SELECT t FROM v WHERE i = ?").rows([.integer(Int64.max)]) {
                    try $0.nonNullString(at: 0)
                } == ["max"])
        }
    }

    @Test func unicodeTextRoundTripsExactly() throws {
        try withSchema { db in
            try db.execute("CREATE TABLE texts (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
            let texts = [
                "emoji 🐦🔥 and 👩‍👩‍👧", "ünïcödé — 日本語 — العربية", "e\u{301} vs é", "'); DROP TABLE texts;--",
                "tab\tand\nnewline", "?", "$1",
            ]
            for (id, text) in texts.enumerated() {
                try db.statement("INSERT INTO texts VALUES (?, ?)").run([.integer(Int64(id)), .text(text)])
            }
            let stored = try db.statement("SELECT body, char_length(body) FROM texts ORDER BY id").rows {
                (try $0.nonNullString(at: 0), $0.int64(at: 1))
            }
            #expect(stored.map(\.0) == texts)
            // The server counts the same characters Swift sent: nothing was re-encoded on the way.
            #expect(stored.map(\.1) == texts.map { Int64($0.unicodeScalars.count) })
            #expect(throws: StoreError.self) {
                try db.statement("INSERT INTO texts VALUES (?, ?)").run([.integer(99), .text("nul\u{0}byte")])
            }
            #expect(try db.statement("SELECT count(*) FROM texts").rows { $0.int64(at: 0) } == [Int64(texts.count)])
        }
    }

    @Test func booleansReadAsOneAndZero() throws {
        try withSchema { db in
            let row = try db.statement("SELECT true, false, NULL::boolean, ? = 1, EXISTS (SELECT 1 WHERE false)")
                .rows([.integer(1)]) { row in (0..<5).map { row.int64(at: $0) } }
            #expect(row == [[1, 0, 0, 1, 0]])
        }
    }

    @Test func changesCountsTheRowsOfTheLastWrite() throws {
        try withSchema { db in
            try db.execute("CREATE TABLE c (id BIGINT PRIMARY KEY, flag BIGINT NOT NULL)")
            for id in 1...3 {
                try db.statement("INSERT INTO c VALUES (?, ?)").run([.integer(Int64(id)), .integer(0)])
                #expect(db.changes == 1)
            }
            try db.statement("UPDATE c SET flag = 1 WHERE id >= ?").run([.integer(2)])
            #expect(db.changes == 2)
            // A query leaves the count of the last write, as in SQLite.
            _ = try db.statement("SELECT id FROM c").rows { $0.int64(at: 0) }
            #expect(db.changes == 2)
            try db.statement("DELETE FROM c WHERE id = ?").run([.integer(42)])
            #expect(db.changes == 0)
            let deleted = try db.statement("DELETE FROM c WHERE flag = ? RETURNING id").rows([.integer(1)]) {
                $0.int64(at: 0)
            }
            #expect(deleted.sorted() == [2, 3])
            #expect(db.changes == 2)
        }
    }

    @Test func transactionCommitsOrRollsBack() throws {
        struct Abandon: Error {}
        try withSchema { db in
            try db.execute("CREATE TABLE x (id BIGINT PRIMARY KEY)")
            let insert = "INSERT INTO x VALUES (?)"
            let count = { try db.statement("SELECT count(*) FROM x").rows { $0.int64(at: 0) }.first ?? -1 }

            #expect(throws: Abandon.self) {
                try db.transaction {
                    try db.statement(insert).run([.integer(1)])
                    throw Abandon()
                }
            }
            #expect(try count() == 0)

            let answer = try db.transaction {
                try db.statement(insert).run([.integer(1)])
                try db.statement(insert).run([.integer(2)])
                return "done"
            }
            #expect(answer == "done")
            #expect(try count() == 2)

            // A statement that fails aborts the whole transaction even when its error is caught.
            #expect(throws: StoreError.self) {
                try db.transaction {
                    try db.statement(insert).run([.integer(3)])
                    _ = try? db.statement(insert).run([.integer(1)])
                }
            }
            #expect(try count() == 2)

            #expect(throws: StoreError.misuse("a transaction is already open on this connection", context: "BEGIN")) {
                try db.transaction { try db.transaction {} }
            }
            #expect(try count() == 2)
        }
    }

    @Test func constraintFailuresMapToSQLiteCodes() throws {
        try withSchema { db in
            try db.execute(
                """
                CREATE TABLE users (id BIGINT PRIMARY KEY, name_key TEXT NOT NULL UNIQUE);
                CREATE TABLE posts (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id));
                """)
            try db.statement("INSERT INTO users VALUES (?, ?)").run([.integer(1), .text("alice")])
            do {
                try db.statement("INSERT INTO users VALUES (?, ?)").run([.integer(2), .text("alice")])
                Issue.record("duplicate name_key inserted")
            } catch let error as StoreError {
                #expect(error.failureKind == .unique)
                #expect(error.sqlstate == "23505")
                #expect(error.description.contains("postgres 23505"), "\(error)")
            }
            do {
                try db.statement("INSERT INTO posts VALUES (?, ?)").run([.integer(1), .integer(99)])
                Issue.record("post by a missing user inserted")
            } catch let error as StoreError {
                #expect(error.failureKind == .foreignKey)
                #expect(error.description.contains("postgres 23503"), "\(error)")
            }
            do {
                try db.execute("SELEC 1")
                Issue.record("bad SQL ran")
            } catch let error as StoreError {
                #expect(error.failureKind == .fault(.other))
                #expect(error.description.contains("postgres 42601"), "\(error)")
            }
        }
    }

    @Test func nullParameterTakesItsTypeFromTheSQL() throws {
        try withSchema { db in
            // A typed value decides `? IS NULL` on its own; a NULL needs the SQL to give it a type.
            #expect(try db.statement("SELECT ? IS NULL").rows([.integer(1)]) { $0.int64(at: 0) } == [0])
            #expect(try db.statement("SELECT ? IS NULL").rows([.text("")]) { $0.int64(at: 0) } == [0])
            do {
                _ = try db.statement("SELECT ? IS NULL").rows([.null]) { $0.int64(at: 0) }
                Issue.record("an untyped NULL was accepted")
            } catch let error as StoreError {
                #expect(error.description.contains("postgres 42P18"), "\(error)")
            }
            let typed = "SELECT CAST(? AS BIGINT) IS NULL"
            #expect(try db.statement(typed).rows([.null]) { $0.int64(at: 0) } == [1])
            #expect(try db.statement(typed).rows([.integer(5)]) { $0.int64(at: 0) } == [0])
        }
    }

    @Test func notificationsReachAnotherConnection() throws {
        let uri = try #require(postgresURI)
        let listener = try PostgresConnection(uri: uri)
        let sender = try PostgresConnection(uri: uri)
        defer {
            listener.close()
            sender.close()
        }
        // Channels are shared by the whole database: a random name keeps parallel runs apart. Mixed case and
        // a space show the name is quoted, not folded.
        let channel = "Posts \(UInt32.random(in: 0...UInt32.max))"
        try listener.listen(channel)
        #expect(try listener.notifications().isEmpty)
        try sender.notify(channel + " other", payload: "not for us")
        try sender.notify(channel, payload: "post 1: it's 🐦")
        try sender.transaction { try sender.notify(channel, payload: "post 2") }

        let received = try waitForNotifications(on: listener, count: 2)
        #expect(received.map(\.channel) == [channel, channel])
        #expect(received.map(\.payload) == ["post 1: it's 🐦", "post 2"])
    }

    /// The keepalives reach the socket: a silent dead connection is found in about a minute.
    @Test func theConnectionsSocketKeepsAlive() throws {
        let connection = try PostgresConnection(uri: try #require(postgresURI))
        defer { connection.close() }
        func option(_ level: Int32, _ name: Int32) -> Int32 {
            var value: Int32 = -1
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(connection.socket, level, name, &value, &size)
            return value
        }
        #expect(option(SOL_SOCKET, SO_KEEPALIVE) == 1)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 30)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPINTVL) == 10)
        #expect(option(Int32(IPPROTO_TCP), TCP_KEEPCNT) == 3)
    }

    @Test func reconnectAfterTheServerEndsTheSession() throws {
        let uri = try #require(postgresURI)
        let victim = try PostgresConnection(uri: uri)
        let killer = try PostgresConnection(uri: uri)
        defer {
            victim.close()
            killer.close()
        }
        let addOne = "SELECT ? + 1"
        #expect(try victim.statement(addOne).rows([.integer(1)]) { $0.int64(at: 0) } == [2])
        let channel = "reconnect \(UInt32.random(in: 0...UInt32.max))"
        try victim.listen(channel)
        let pid = try #require(try victim.statement("SELECT pg_backend_pid()").rows { $0.int64(at: 0) }.first)

        // The timeout makes pg_terminate_backend wait until the backend has exited (PostgreSQL 14 and later).
        let terminated = try killer.statement("SELECT pg_terminate_backend(CAST(? AS INTEGER), 10000)")
            .rows([.integer(pid)]) { $0.int64(at: 0) }
        #expect(terminated == [1])

        do {
            _ = try victim.statement(addOne).rows([.integer(1)]) { $0.int64(at: 0) }
            Issue.record("a statement ran on a terminated session")
        } catch let error as StoreError {
            #expect(error.fault == .unreachable, "\(error)")
        }
        #expect(!victim.isConnected)

        try victim.reconnect()
        #expect(victim.isConnected)
        // Prepared on the old session: it runs only if the connection forgot that it had prepared it.
        #expect(try victim.statement(addOne).rows([.integer(41)]) { $0.int64(at: 0) } == [42])
        #expect(try victim.statement("SELECT pg_backend_pid()").rows { $0.int64(at: 0) } != [pid])
        // The channel is listened to again on the new session.
        try killer.notify(channel, payload: "still here")
        #expect(try waitForNotifications(on: victim, count: 1).map(\.payload) == ["still here"])
    }

    @Test func aStatementPastItsTimeoutFailsAsBusyInsteadOfHanging() throws {
        let uri = try #require(postgresURI)
        let separator = uri.contains("?") ? "&" : "?"
        let db = try PostgresConnection(uri: uri + separator + "options=-c%20statement_timeout%3D200")
        defer { db.close() }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            try db.statement("SELECT pg_sleep(?)").run([.integer(20)])
            Issue.record("a 20 s statement outlived a 200 ms timeout")
        } catch let error as StoreError {
            #expect(error.sqlstate == "57014" && error.fault == .busy, "\(error)")
            #expect(error.description.contains("postgres 57014"), "\(error)")
        }
        #expect(clock.now - started < .seconds(10))
        // The connection stays usable.
        #expect(try db.statement("SELECT ? + 1").rows([.integer(1)]) { $0.int64(at: 0) } == [2])

        // Without a timeout of its own, a connection has the default.
        let plain = try PostgresConnection(uri: uri)
        defer { plain.close() }
        let shown = try plain.statement("SHOW statement_timeout").rows { $0.string(at: 0) }
        #expect(shown == ["\(PostgresConnection.defaultStatementTimeoutMilliseconds / 1000)s"])
    }

    @Test func closedConnectionThrowsClosed() throws {
        let uri = try #require(postgresURI)
        let db = try PostgresConnection(uri: uri)
        let statement = try db.statement("SELECT 1")
        db.close()
        db.close()
        #expect(db.isClosed)
        #expect(!db.isConnected)
        #expect(db.socket == -1)
        #expect(throws: StoreError.closed) { try statement.run() }
        #expect(throws: StoreError.closed) { try db.execute("SELECT 1") }
        #expect(throws: StoreError.closed) { try db.statement("SELECT 1") }
        #expect(throws: StoreError.closed) { try db.notifications() }
        #expect(throws: StoreError.closed) { try db.reconnect() }
    }

    /// Runs `body` on a new connection whose search_path is a new schema; drops the schema afterwards.
    private func withSchema(_ body: (PostgresConnection) throws -> Void) throws {
        let uri = try #require(postgresURI)
        let schema = "t_\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        defer {
            // A connection of its own: the test's may be closed or inside a failed transaction.
            if let cleaner = try? PostgresConnection(uri: uri) {
                try? cleaner.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
                cleaner.close()
            }
        }
        let db = try PostgresConnection(uri: uri)
        defer { db.close() }
        try db.execute("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
        try body(db)
    }

    /// Waits (polling the socket, up to `timeout`) until `count` notifications arrived, and returns them.
    private func waitForNotifications(
        on connection: PostgresConnection, count: Int, timeout: Double = 10
    ) throws -> [(channel: String, payload: String)] {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [(channel: String, payload: String)] = []
        while true {
            received += try connection.notifications()
            if received.count >= count { return received }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw TestFailure("\(received.count) of \(count) notifications after \(timeout) s")
            }
            var descriptor = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(remaining * 1000) + 1)
        }
    }
}

/// The cluster listener on its own, against a real PostgreSQL.
@Suite("Cluster listener", .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set"))
struct ClusterListenerTests {
    /// A node whose listener could not connect at start (here: its database did not exist yet) reports
    /// the connection it makes later as a reconnection, so the node catches up what it did not hear.
    @Test func aFirstAttemptThatFailedIsCaughtUpOnceConnected() throws {
        let base = try #require(postgresTestURI)
        var location = try #require(URLComponents(string: base))
        let database = "late_" + UUID().uuidString.prefix(8).lowercased()
        location.path = "/" + database
        let admin = try PostgresConnection(uri: base)
        defer {
            try? admin.execute("DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
            admin.close()
        }
        let queue = DispatchQueue(label: "listener-test")
        let reports = Mutex<[String]>([])
        let uri = try #require(location.string)
        let listener = ClusterListener(
            uri: uri, nodeID: "test", serverQueue: queue,
            report: { report in reports.withLock { $0.append("\(report)") } })
        listener.start()
        try admin.execute("CREATE DATABASE \(database)")
        #expect(
            waitUntil(timeout: 10) { reports.withLock { $0.contains("reconnected") } }, "\(reports.withLock { $0 })")
        // Another node's posts are events; this node's own come back as how far the posts were heard.
        let other = try PostgresConnection(uri: uri)
        defer { other.close() }
        try other.notify(try other.clusterChannel(), payload: "posts test 5,7")
        try other.notify(try other.clusterChannel(), payload: "posts elsewhere 9")
        #expect(
            waitUntil(timeout: 10) {
                reports.withLock { $0.contains("events([MicroblogModel.ClusterEvent.posts([9])])") }
            },
            "\(reports.withLock { $0 })")
        #expect(reports.withLock { $0.contains("ownPostsHeard(through: 7)") }, "\(reports.withLock { $0 })")
        listener.stop()
        #expect(!reports.withLock { $0 }.contains { $0.hasPrefix("lost") })
    }
}
