import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// `Store.withTimeLimit`: a statement past its limit is stopped inside the database (SQLite's progress
/// handler, PostgreSQL's `statement_timeout`) and reported as `timedOut`; the connection works on after.
@Suite struct SearchTimeLimitTests {
    /// Counts to 10 million in SQLite's virtual machine: seconds of work, whatever the machine.
    private static let longCount = """
        WITH RECURSIVE counter(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM counter WHERE i < 10000000)
        SELECT count(*) FROM counter
        """

    @Test func aStatementPastItsLimitIsStoppedAndTheConnectionWorksOn() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let started = MonotonicClock.now()
            #expect(throws: StoreError.timedOut) {
                try store.withTimeLimit(0.05) { try store.database.statement(Self.longCount).rows { $0.int64(at: 0) } }
            }
            #expect(MonotonicClock.now() - started < 1, "stopped near its limit, not when done")
            // The limit ends with `withTimeLimit`: the same statement runs to its end afterwards.
            let short =
                "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000) SELECT count(*) FROM c"
            #expect(try store.database.statement(short).rows { $0.int64(at: 0) } == [1000])
            #expect(
                try store.withTimeLimit(5) { try store.database.statement(short).rows { $0.int64(at: 0) } } == [1000])
        }
    }

    /// 200,000 posts the word index does not hold yet, read by the read-only connection the server
    /// searches on: a search of words found nowhere scans the newest posts, and a limit far below that
    /// scan's cost stops it; without a limit it answers, finding nothing.
    @Test func aSearchThatScansPastItsLimitTimesOut() throws {
        try withDatabasePath { path in
            let writer = try SQLiteStore(path: path)
            try writer.database.execute(
                """
                INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('ann', 'ann', 'h', 0);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
                INSERT INTO posts (user_id, text, created_at)
                SELECT 1, 'post ' || i || ' about the weather and coffee in the morning', i FROM n;
                """)
            let reader = try SQLiteStore(readingOnly: path)
            let terms = ["abcd", "efgh", "ijkl", "mnop", "qrst", "uvwx", "yzab", "cdef"]
            #expect(throws: StoreError.timedOut) {
                try reader.withTimeLimit(0.000_5) { try reader.search(terms, limit: 20, viewer: nil) }
            }
            #expect(try reader.search(terms, limit: 20, viewer: nil).isEmpty)
            #expect(try reader.postsAwaitingSearchIndex() == 200_000, "the reader wrote nothing")
        }
    }

    @Test(.enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: skipped"))
    func aPostgresStatementPastItsLimitIsStopped() throws {
        let connection = try PostgresConnection(uri: try #require(postgresTestURI))
        defer { connection.close() }
        let before = try connection.statement("SHOW statement_timeout").rows([]) { $0.string(at: 0) }
        let started = MonotonicClock.now()
        #expect(throws: StoreError.timedOut) {
            try connection.withTimeLimit(0.1) {
                try connection.statement("SELECT pg_sleep(5)").run([])
            }
        }
        #expect(MonotonicClock.now() - started < 3, "stopped near its limit, not when done")
        // The connection's own limit is back, and it works on.
        #expect(try connection.statement("SHOW statement_timeout").rows([]) { $0.string(at: 0) } == before)
        #expect(try connection.statement("SELECT 1").rows([]) { $0.int64(at: 0) } == [1])
    }
}
