import CSQLite
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

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Store tests, each on a database file in its own temporary directory.
@Suite struct SQLiteStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test func reopeningKeepsUsersPostsAndVersion() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let user = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            let posts = try store.insertPosts([
                NewPost(authorID: user.id, text: "one", createdAt: start),
                NewPost(authorID: user.id, text: "two", createdAt: start),
            ])
            store.close()

            let reopened = try SQLiteStore(path: path)
            #expect(try reopened.account(nameKey: "ann")?.user == user)
            #expect(try reopened.feed(.latest(limit: 10)) == posts)
            #expect(try reopened.counts() == (users: 1, posts: 2))
            #expect(try Migrations.userVersion(reopened.database) == Migrations.newestVersion)
        }
    }

    @Test(arguments: [Migrations.newestVersion + 1, 99, -1])
    func unknownSchemaVersionIsUnsupported(version: Int32) throws {
        try withDatabasePath { path in
            try SQLiteStore(path: path).close()
            let raw = try SQLiteDatabase(path: path)
            try raw.execute("PRAGMA user_version = \(version)")
            raw.close()

            #expect(throws: StoreError.unsupportedSchema(found: version, known: Migrations.newestVersion)) {
                try SQLiteStore(path: path)
            }
        }
    }

    @Test func newFileIsReadableByOwnerOnly() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let user = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            _ = try store.insertPosts([NewPost(authorID: user.id, text: "x", createdAt: start)])

            #expect(try permissions(of: path) == 0o600)
            // SQLite copies the database file's mode to its WAL, which holds the recent commits.
            #expect(try permissions(of: path + "-wal") == 0o600)
        }
    }

    @Test func missingDirectoryIsCannotOpen() throws {
        try withDatabasePath { path in
            let error = #expect(throws: StoreError.self) { try SQLiteStore(path: path + "-missing/microblog.db") }
            #expect(error?.sqliteCode == SQLITE_CANTOPEN)
        }
    }

    @Test func journalModeIsWALAndForeignKeysAreOn() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            #expect(try store.database.statement("PRAGMA journal_mode").rows { $0.string(at: 0) } == ["wal"])
            #expect(try store.database.statement("PRAGMA foreign_keys").rows { $0.int64(at: 0) } == [1])
            #expect(try store.database.statement("PRAGMA synchronous").rows { $0.int64(at: 0) } == [2])
        }
    }

    @Test func postIDsAreNeverReused() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let user = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            let posts = try store.insertPosts([
                NewPost(authorID: user.id, text: "a", createdAt: start),
                NewPost(authorID: user.id, text: "b", createdAt: start),
            ])
            let deleted = try #require(posts.last).id
            try store.database.execute("DELETE FROM posts WHERE id = (SELECT max(id) FROM posts)")

            let again = try store.insertPosts([NewPost(authorID: user.id, text: "c", createdAt: start)])
            #expect(try #require(again.first).id > deleted)
        }
    }

    @Test func closedStoreThrowsClosed() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let user = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            store.close()
            store.close()

            #expect(throws: StoreError.closed) {
                try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
            }
            #expect(throws: StoreError.closed) { try store.account(nameKey: "ann") }
            #expect(throws: StoreError.closed) {
                try store.insertPosts([NewPost(authorID: user.id, text: "x", createdAt: start)])
            }
            #expect(throws: StoreError.closed) { try store.insertPosts([]) }
            #expect(throws: StoreError.closed) { try store.feed(.latest(limit: 10)) }
            #expect(throws: StoreError.closed) { try store.feed(.since(id: 0, limit: 0)) }
            #expect(throws: StoreError.closed) { try store.counts() }
        }
    }

    @Test func nullTextColumnReadsAsNil() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            let row = try database.statement("SELECT NULL, 'a' || char(0) || 'b'").rows { row in
                (row.string(at: 0), row.string(at: 1))
            }
            #expect(row.first?.0 == nil)
            #expect(row.first?.1 == "a\u{0}b")
            #expect(throws: StoreError.self) {
                try database.statement("SELECT NULL").rows { try $0.nonNullString(at: 0) }
            }
        }
    }

    @Test func statementRejectsSeveralStatementsAndWrongBindings() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            let several = #expect(throws: StoreError.self) { try database.statement("SELECT 1; SELECT 2") }
            #expect(several?.sqliteCode == SQLITE_MISUSE)
            let bindings = #expect(throws: StoreError.self) { try database.statement("SELECT ?").run([]) }
            #expect(bindings?.sqliteCode == SQLITE_MISUSE)
        }
    }
}

/// Runs `body` with a database path inside a fresh temporary directory, removed afterwards.
func withDatabasePath(_ body: (String) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("microblogd-storage-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try body(directory.appendingPathComponent("microblog.db").path)
}

/// The permission bits of the file at `path`, from stat(2).
private func permissions(of path: String) throws -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw StoreError.sqlite(code: errno, message: "stat failed", context: path)
    }
    return info.st_mode & 0o777
}
