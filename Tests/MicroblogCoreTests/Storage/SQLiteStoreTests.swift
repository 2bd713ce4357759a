import CSQLite
import Foundation
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Store tests, each on a database file in its own temporary directory.
@Suite struct SQLiteStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test func createsUserAndLooksItUpByKey() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let user = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "$y$hash", at: start)
            #expect(user.name == "Alice")
            #expect(user.createdAt == start)

            let account = try #require(try store.account(nameKey: "alice"))
            #expect(account.user == user)
            #expect(account.passwordHash == "$y$hash")
            #expect(try store.account(nameKey: "Alice") == nil)
            #expect(try store.account(nameKey: "bob") == nil)
            #expect(try store.counts() == (users: 1, posts: 0))
        }
    }

    @Test func duplicateNameKeyIsNameTaken() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            _ = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h1", at: start)
            #expect(throws: StoreError.nameTaken) {
                try store.createUser(name: "ALICE", nameKey: "alice", passwordHash: "h2", at: start)
            }
            #expect(try store.account(nameKey: "alice")?.user.name == "Alice")
            #expect(try store.counts().users == 1)
        }
    }

    @Test func insertPostsReturnsIncreasingIDsWithAuthorsAndExactText() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
            let texts = [
                "it's \"quoted\"; with semicolons;",
                "'); DROP TABLE posts;--",
                "emoji 🐦🔥 and 👩‍👩‍👧",
                "ünïcödé — 日本語 — العربية",
                "",
            ]
            let batch = texts.enumerated().map { offset, text in
                NewPost(
                    authorID: offset.isMultiple(of: 2) ? alice.id : bob.id, text: text,
                    createdAt: Timestamp(milliseconds: start.milliseconds + Int64(offset)))
            }

            let posts = try store.insertPosts(batch)

            #expect(posts.map(\.text) == texts)
            #expect(posts.map(\.author) == ["Alice", "Bob", "Alice", "Bob", "Alice"])
            #expect(posts.map(\.authorID) == batch.map(\.authorID))
            #expect(posts.map(\.createdAt) == batch.map(\.createdAt))
            #expect(zip(posts, posts.dropFirst()).allSatisfy { $0.id < $1.id })
            // Read back from the file, not from the values just built.
            #expect(try store.feed(.latest(limit: 10)) == posts)
            #expect(try store.counts() == (users: 2, posts: 5))
            #expect(try store.insertPosts([]) == [])
        }
    }

    @Test func feedSlicesAreOldestFirstAndLimited() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let author = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            let posts = try store.insertPosts(
                (1...10).map { NewPost(authorID: author.id, text: "post \($0)", createdAt: start) })
            let ids = posts.map(\.id)

            #expect(try store.feed(.latest(limit: 3)).map(\.id) == Array(ids[7...9]))
            #expect(try store.feed(.latest(limit: 100)).map(\.id) == ids)
            #expect(try store.feed(.before(id: ids[4], limit: 2)).map(\.id) == [ids[2], ids[3]])
            #expect(try store.feed(.before(id: ids[4], limit: 100)).map(\.id) == Array(ids[0...3]))
            #expect(try store.feed(.before(id: ids[0], limit: 5)) == [])
            #expect(try store.feed(.since(id: ids[2], limit: 2)).map(\.id) == [ids[3], ids[4]])
            #expect(try store.feed(.since(id: 0, limit: 3)).map(\.id) == Array(ids[0...2]))
            #expect(try store.feed(.since(id: ids[9], limit: 5)) == [])
            for empty in [
                FeedQuery.latest(limit: 0), .latest(limit: -1), .before(id: 100, limit: 0), .since(id: 0, limit: -5),
            ] {
                #expect(try store.feed(empty) == [])
            }
            #expect(try store.feed(.latest(limit: 1)).first?.author == "Ann")
        }
    }

    @Test func batchWithUnknownAuthorCommitsNothing() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let author = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
            let first = try store.insertPosts([NewPost(authorID: author.id, text: "kept", createdAt: start)])

            let batch = [
                NewPost(authorID: author.id, text: "lost 1", createdAt: start),
                NewPost(authorID: author.id + 999, text: "unknown author", createdAt: start),
                NewPost(authorID: author.id, text: "lost 2", createdAt: start),
            ]
            let error = #expect(throws: StoreError.self) { try store.insertPosts(batch) }
            #expect(error?.sqliteCode == SQLiteExtendedCode.constraintForeignKey)

            #expect(try store.counts() == (users: 1, posts: 1))
            #expect(try store.feed(.latest(limit: 10)) == first)
            // The failed batch left no transaction open.
            let next = try store.insertPosts([NewPost(authorID: author.id, text: "after", createdAt: start)])
            #expect(try store.feed(.latest(limit: 10)).map(\.text) == ["kept", "after"])
            #expect(next.count == 1)
        }
    }

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
