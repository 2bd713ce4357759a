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

/// Databases written by earlier versions upgrade in place, without loss.
@Suite struct MigrationTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// A file exactly as version 1 (the core) left it: its schema, its data, `user_version` 1.
    private func makeVersion1(at path: String) throws {
        let database = try SQLiteDatabase(path: path)
        try database.execute(Migrations.steps[0])
        try database.execute("PRAGMA user_version = 1")
        try database.execute(
            """
            INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('Alice', 'allce', '$y$a', 1);
            INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('bob', 'bob', '$y$b', 2);
            INSERT INTO posts (user_id, text, created_at) VALUES (1, 'from version one', 3);
            INSERT INTO posts (user_id, text, created_at) VALUES (2, 'bob too', 4);
            """)
        database.close()
    }

    @Test func aVersion1DatabaseUpgradesInPlaceWithoutLoss() throws {
        try withDatabasePath { path in
            try makeVersion1(at: path)
            let store = try SQLiteStore(path: path)
            #expect(try Migrations.userVersion(store.database) == Migrations.newestVersion)
            #expect(try store.counts() == (users: 2, posts: 2))
            #expect(try store.account(nameKey: "allce")?.passwordHash == "$y$a")
            #expect(try store.feed(.latest(limit: 10)).map(\.text) == ["from version one", "bob too"])
            // Old posts are found by the full-text index built during the upgrade.
            #expect(try store.search(["VERSION"], limit: 5, viewer: nil).map(\.text) == ["from version one"])
            // The new tables work on the old rows.
            #expect(try store.follow(follower: 1, followee: 2, at: start))
            #expect(try store.posts(in: .home(1), .latest(limit: 10)).map(\.author) == ["Alice", "bob"])
            store.close()
            // Opening again changes nothing.
            let again = try SQLiteStore(path: path)
            #expect(try again.following(1).map(\.name) == ["bob"])
        }
    }

    /// The trigram index is built from the posts a file already has when it arrives.
    @Test func theTrigramIndexCoversPostsMadeBeforeIt() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            let before = Migrations.steps.firstIndex(of: Migrations.searchAndNotifications) ?? 0
            for step in Migrations.steps.prefix(before) { try database.execute(step) }
            try database.execute("PRAGMA user_version = \(before)")
            try database.execute(
                "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('ann', 'ann', '$y$a', 1)")
            try database.execute("INSERT INTO posts (user_id, text, created_at) VALUES (1, '今日は日本語の練習です', 1)")
            database.close()

            let store = try SQLiteStore(path: path)
            #expect(try store.search(["日本語"], limit: 10, viewer: nil).map(\.id) == [1])
        }
    }

    /// Version 11 adds the SSH keys: a version-10 file keeps its accounts, which can then add keys.
    @Test func aVersion10DatabaseGainsSSHKeys() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            // No accounts yet, so the name-key steps (9, 10) need no keys assigned.
            for step in Migrations.steps.prefix(10) { try database.execute(step) }
            try database.execute("PRAGMA user_version = 10")
            try database.execute(
                "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('ann', 'ann', '$y$a', 1)")
            #expect(try SchemaShape.columns(database)["ssh_keys"] == nil)
            database.close()

            let store = try SQLiteStore(path: path)
            #expect(try Migrations.userVersion(store.database) == Migrations.newestVersion)
            #expect(
                try SchemaShape.columns(store.database)["ssh_keys"] == [
                    "id", "user_id", "key_type", "key_blob", "comment", "created_at",
                ])
            let key = try store.addSSHKey(
                userID: 1, type: "ssh-ed25519", blob: "AAAA", comment: "", at: start, limit: 20)
            #expect(key.number == 1)
            #expect(try store.sshKeys(of: 1) == [key])
            let plan = try store.queryPlan("SELECT id FROM ssh_keys WHERE user_id = ? ORDER BY id", [.integer(1)])
            #expect(plan.joined().contains("ssh_keys_by_user"), "\(plan)")
        }
    }

    /// Version 12 adds time zones, reports, invite codes and deletion: a version-11 file keeps its
    /// accounts, read in UTC, with no invites, not deleted.
    @Test func aVersion11DatabaseGainsTheCommunityTools() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            for step in Migrations.steps.prefix(11) { try database.execute(step) }
            try database.execute("PRAGMA user_version = 11")
            try database.execute(
                "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('ann', 'ann', '$y$a', 1)")
            database.close()

            let store = try SQLiteStore(path: path)
            #expect(try Migrations.userVersion(store.database) >= 12)
            let columns = try SchemaShape.columns(store.database)
            let users = columns["users"] ?? []
            #expect(["invites_left", "time_zone", "deleted_at"].allSatisfy(users.contains), "\(users)")
            #expect(columns["reports"] != nil && columns["invites"] != nil)
            let ann = try #require(try store.account(nameKey: "ann"))
            #expect(ann.timeZone == "")
            #expect(try store.invites(of: ann.user.id) == ([], 0))
            #expect(try store.openReports(limit: 5).isEmpty)
        }
    }

}

@Suite struct MentionAndTagStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

}

@Suite struct SearchStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

}

@Suite struct PeopleStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

}

/// Listings are served by indexes, whatever the number of posts: checked on SQLite's own query plans.
/// (Figures measured on a million posts are in the closing note of the social-layer issue.)
@Suite struct ListingPlanTests {
    private func plan(_ store: SQLiteStore, _ scope: PostScope, viewer: Int64? = 1) throws -> String {
        let (sql, values) = store.listing(scope, .before(id: 1000, limit: 20), viewer: viewer)
        return try store.queryPlan(sql, values).joined(separator: "\n")
    }

    @Test func everyListingUsesAnIndex() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            // One author's posts: a range of posts_by_user, in id order.
            #expect(try plan(store, .author(7)).contains("SEARCH posts USING INDEX posts_by_user (user_id=? AND id<?)"))
            // Mentions and tags: the primary keys of their tables, then posts by id.
            let mentions = try plan(store, .mentioning(5))
            #expect(mentions.contains("SEARCH mentions USING PRIMARY KEY (user_id=?)"))
            #expect(mentions.contains("SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"))
            #expect(try plan(store, .tagged("swift")).contains("SEARCH tags USING PRIMARY KEY (tag=?)"))
            // The public feed walks the primary key backwards from the id and stops at the limit.
            #expect(try plan(store, .everyone).contains("SEARCH posts USING INTEGER PRIMARY KEY (rowid<?)"))
            // A home timeline is merged from one posts_by_user range per author.
            let author = try store.queryPlan(SQL.authorBefore, [.integer(7), .integer(1000), .integer(20)])
            #expect(author.joined().contains("SEARCH posts USING INDEX posts_by_user (user_id=? AND id<?)"))
            // Search ranks a bounded number of the newest matches.
            let search = try store.queryPlan(
                store.sql.searchColumns + " WHERE posts.deleted_at IS NULL ORDER BY candidates.score LIMIT ?",
                [.text("\"swift\""), .integer(2000), .integer(20)])
            #expect(search.joined(separator: "\n").contains("VIRTUAL TABLE INDEX"))
            // Nothing reads a whole table.
            for scope in [PostScope.author(7), .mentioning(5), .tagged("swift"), .everyone] {
                #expect(!(try plan(store, scope)).contains("SCAN posts"), "\(scope)")
            }
        }
    }
}
