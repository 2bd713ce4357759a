import Foundation
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

/// Accounts registered under the previous name fold, some of which collide under the current one, with
/// the keys that fold gave them (case and `_` ignored, `0` o, `1`/`i` l, `rn` m, `vv` w).
private let accountsBeforeTheFoldChanged: [(name: String, oldKey: String)] = [
    ("sam", "sam"), ("5am", "5am"), ("clover", "clover"), ("Dover", "dover"), ("eve", "eve"), ("3VE", "3ve"),
    ("al1ce", "allce"), ("bob", "bob"), ("8ob", "8ob"), ("Vvalt", "walt"),
]

/// What the upgrade must leave, checked alike on both engines.
private func checkKeysAfterTheUpgrade(_ store: any Store) throws {
    func id(_ name: String) throws -> Int64? { try store.account(named: name)?.user.id }
    // The older of two colliding accounts gets the new key, and with it every look-alike of its name.
    #expect(try store.account(nameKey: "sam")?.user.name == "sam")
    #expect(try store.account(nameKey: "dover")?.user.name == "clover")
    #expect(try store.account(nameKey: "eve")?.user.name == "eve")
    #expect(try id("sam") == 1)
    #expect(try id("s4m") == 1)
    #expect(try id("c1over") == 3)
    // The later one keeps its account under its own name, in any case: neither is lost or locked out.
    #expect(try store.account(nameKey: "=5am")?.user.name == "5am")
    #expect(try id("5am") == 2)
    #expect(try id("5AM") == 2)
    #expect(try id("Dover") == 4)
    #expect(try id("dover") == 4)
    #expect(try id("3ve") == 6)
    #expect(try id("3VE") == 6)
    #expect(try id("8ob") == 9)
    // An account that collides with nobody just gets its new key.
    #expect(try store.account(nameKey: "allce")?.user.name == "al1ce")
    #expect(try id("alice") == 7)
    #expect(try id("walt") == 10)
    // Every account is still there, each with a key of its own.
    for (index, account) in accountsBeforeTheFoldChanged.enumerated() {
        #expect(try id(account.name) == Int64(index + 1), "\(account.name)")
    }
    // Nobody can register another look-alike of either.
    for name in ["S_A_M", "5am_", "d0ver", "ev3", "8o8"] {
        #expect(throws: StoreError.nameTaken, "\(name)") {
            try store.createUser(
                name: name, nameKey: AccountRules.nameKey(name), passwordHash: "h", at: Timestamp(milliseconds: 9))
        }
    }
    // A mention resolves to the account of that exact name.
    let posts = try store.insertPosts([
        NewPost(
            authorID: 1, text: "hi @5am", createdAt: Timestamp(milliseconds: 10), entities: PostEntities(in: "hi @5am"))
    ])
    #expect(try store.posts(in: .mentioning(2), .latest(limit: 5), viewer: nil).map(\.id) == posts.map(\.id))
    #expect(try store.account(named: "5am")?.keptApart == true)
    #expect(try store.account(named: "sam")?.keptApart == false)
    // Both look-alikes in one post are two mentions; two spellings of one account are one.
    let both = "@sam @5am @s4m"
    let mentioning = try store.insertPosts([
        NewPost(authorID: 3, text: both, createdAt: Timestamp(milliseconds: 11), entities: PostEntities(in: both))
    ])
    #expect(mentioning.first?.mentionIDs == [1, 2])
    #expect(mentioning.first?.mentions == ["sam", "5am"])
}

@Suite struct NameKeyMigrationTests {
    @Test func everyStoredKeyIsRecomputedAndCollidingAccountsAreKeptOnSQLite() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            for step in Migrations.steps.prefix(8) { try database.execute(step) }
            try database.execute("PRAGMA user_version = 8")
            for account in accountsBeforeTheFoldChanged {
                try database.statement(
                    "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, 'h', 1)"
                ).run([.text(account.name), .text(account.oldKey)])
            }
            database.close()
            let store = try SQLiteStore(path: path)
            #expect(try Migrations.userVersion(store.database) == Migrations.newestVersion)
            try checkKeysAfterTheUpgrade(store)
            store.close()
            // Opening again changes nothing.
            let again = try SQLiteStore(path: path)
            defer { again.close() }
            #expect(try again.account(named: "5am")?.user.id == 2)
            #expect(try again.account(nameKey: "sam")?.user.id == 1)
        }
    }

    /// Version 9 read `6` as `b`, so `bot6` held the key `botb` and `bot8` could not be registered.
    /// Version 10 leaves `6` alone: `bot6` gets its own key, and `bot8` is free.
    @Test func theSixIsNoLongerReadAsAB() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            for step in Migrations.steps.prefix(9) { try database.execute(step) }
            try database.execute("PRAGMA user_version = 9")
            for (name, key) in [("bot6", "botb"), ("8ob", "bob")] {
                try database.statement(
                    "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, 'h', 1)"
                ).run([.text(name), .text(key)])
            }
            database.close()
            let store = try SQLiteStore(path: path)
            defer { store.close() }
            #expect(try store.account(nameKey: "bot6")?.user.name == "bot6")
            #expect(try store.account(nameKey: "bob")?.user.name == "8ob")
            let bot8 = try store.createUser(
                name: "bot8", nameKey: AccountRules.nameKey("bot8"), passwordHash: "h", at: Timestamp(milliseconds: 2))
            #expect(try store.account(named: "BOT8")?.user.id == bot8.id)
            #expect(try store.account(named: "bot6")?.user.name == "bot6")
        }
    }

    @Test(.enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: skipped"))
    func everyStoredKeyIsRecomputedAndCollidingAccountsAreKeptOnPostgreSQL() throws {
        let uri = try #require(postgresTestURI)
        let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PostgresConnection(uri: uri)
        defer { admin.close() }
        try admin.execute("CREATE SCHEMA \(schema)")
        defer { try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
        let schemaURI = uri + (uri.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
        // A database exactly as the previous schema (version 2) left it.
        let old = try PostgresConnection(uri: schemaURI)
        try old.execute(PostgresMigrations.steps[0])
        try old.execute(PostgresMigrations.steps[1])
        try old.execute("CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (2)")
        for account in accountsBeforeTheFoldChanged {
            try old.statement("INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, 'h', 1)")
                .run([.text(account.name), .text(account.oldKey)])
        }
        old.close()
        let store = try PostgresStore(uri: schemaURI)
        defer { store.close() }
        #expect(try PostgresMigrations.version(store.database) == PostgresMigrations.newestVersion)
        try checkKeysAfterTheUpgrade(store)
    }
}

@Suite("End to end: accounts kept apart by the name-key upgrade")
struct KeptApartAccountTests {
    /// `sam` and `5am` registered before the fold changed: after the upgrade each still logs in with its
    /// own password, and is found by its own name.
    @Test func bothCollidingAccountsStillLogInAndAreFoundByName() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path + "/test.db")
        for step in Migrations.steps.prefix(8) { try database.execute(step) }
        try database.execute("PRAGMA user_version = 8")
        for (name, password) in [("sam", "password1"), ("5am", "password2")] {
            try database.statement(
                "INSERT INTO users (name, name_key, password_hash, created_at) VALUES (?, ?, ?, 1)"
            ).run([.text(name), .text(name), .text(try PasswordHasher.hash(password))])
        }
        database.close()
        let server = try TestServer(directory: directory)
        let impostor = try server.greetedClient()
        #expect(
            try impostor.run("/login 5am password2") == "* welcome, 5am! this is your first login; /help lists commands"
        )
        let original = try server.greetedClient()
        #expect(
            try original.run("/login sam password1") == "* welcome, sam! this is your first login; /help lists commands"
        )
        #expect(try original.run("/msg 5am hello") == "* message #1 sent to 5am")
        #expect(try impostor.run("/msg SAM hi") == "* message #2 sent to sam")
        let newcomer = try server.greetedClient()
        #expect(try newcomer.run("/register 5AM_ password3").hasSuffix("(name_taken)"))
        // Live, with colour on, a mention of one is highlighted for that one alone.
        #expect(try newcomer.run("/register carol password3").contains("registered"))
        for reader in [original, impostor] { _ = try reader.run("/color on") }
        _ = try newcomer.run("hi @5am")
        let highlight = "\u{1B}[1;7m@5am"
        let seen = try impostor.readUntil { $0.contains("hi @5am") || $0.contains(highlight) }
        #expect(seen.last?.contains(highlight) == true, "\(seen)")
        let other = try original.readUntil { $0.contains("hi ") && $0.contains("5am") }
        #expect(other.last?.contains(highlight) == false, "\(other)")
    }
}
