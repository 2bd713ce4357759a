import Foundation
import Testing

@testable import MicroblogCore

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

    @Test func followsAreOnePerPairAndListedByName() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
            let carol = try store.createUser(name: "Carol", nameKey: "carol", passwordHash: "h", at: start)
            #expect(try store.follow(follower: alice.id, followee: carol.id, at: start))
            #expect(try store.follow(follower: alice.id, followee: bob.id, at: start))
            #expect(try !store.follow(follower: alice.id, followee: bob.id, at: start))
            #expect(try store.following(alice.id).map(\.name) == ["bob", "Carol"])
            #expect(try store.followers(bob.id).map(\.name) == ["alice"])
            #expect(try store.unfollow(follower: alice.id, followee: bob.id))
            #expect(try !store.unfollow(follower: alice.id, followee: bob.id))
            #expect(try store.followers(bob.id).isEmpty)
        }
    }

    @Test func homeTimelineHoldsOwnAndFollowedPostsOnly() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
            let carol = try store.createUser(name: "carol", nameKey: "carol", passwordHash: "h", at: start)
            _ = try store.insertPosts(
                [alice, bob, carol, bob, alice].enumerated().map {
                    NewPost(authorID: $1.id, text: "post \($0)", createdAt: start)
                })
            _ = try store.follow(follower: alice.id, followee: bob.id, at: start)
            let home = try store.posts(in: .home(alice.id), .latest(limit: 10))
            #expect(home.map(\.text) == ["post 0", "post 1", "post 3", "post 4"])
            #expect(try store.posts(in: .home(alice.id), .before(id: home[2].id, limit: 1)).map(\.text) == ["post 1"])
            #expect(
                try store.posts(in: .home(alice.id), .since(id: home[0].id, limit: 2)).map(\.text) == [
                    "post 1", "post 3",
                ])
            #expect(try store.posts(in: .author(bob.id), .latest(limit: 10)).map(\.text) == ["post 1", "post 3"])
        }
    }
}

@Suite struct MentionAndTagStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test func mentionsAndTagsAreStoredAndListed() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(
                name: "Alice", nameKey: AccountRules.nameKey("Alice"), passwordHash: "h", at: start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
            let posts = try store.insertPosts([
                NewPost(authorID: bob.id, text: "hello @alice and @nobody #Swift", createdAt: start),
                NewPost(authorID: alice.id, text: "#swift #rust back at you @BOB", createdAt: start),
                NewPost(authorID: bob.id, text: "no entities", createdAt: start),
            ])
            #expect(posts[0].mentions == ["Alice"] && posts[0].mentionIDs == [alice.id] && posts[0].tags == ["swift"])
            #expect(try store.posts(in: .mentioning(alice.id), .latest(limit: 10)).map(\.id) == [posts[0].id])
            #expect(try store.posts(in: .tagged("swift"), .latest(limit: 10)).map(\.id) == [posts[0].id, posts[1].id])
            // Listings carry what was stored, not a new parse.
            let listed = try store.feed(.latest(limit: 10))
            #expect(listed.map(\.mentions) == [["Alice"], ["bob"], []])
            #expect(listed[1].tags.sorted() == ["rust", "swift"])
            let trending = try store.trendingTags(since: start, limit: 10)
            #expect(trending.map(\.tag) == ["swift", "rust"] && trending.map(\.posts) == [2, 1])
            #expect(try store.trendingTags(since: Timestamp(milliseconds: start.milliseconds + 1), limit: 10).isEmpty)
        }
    }
}

@Suite struct SearchStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test func wordsAreWordsAndNeverQuerySyntax() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
            let posts = try store.insertPosts(
                [
                    "Swift concurrency on Linux", "a café in Paris", "NEAR the end (of) \"quoted\" text*",
                    "swift swift swift: all about Swift", "nothing to see",
                ].map { NewPost(authorID: alice.id, text: $0, createdAt: start) })
            #expect(try store.search(["swift"], limit: 10, viewer: nil).map(\.id) == [posts[3].id, posts[0].id])
            #expect(try store.search(["swift", "linux"], limit: 10, viewer: nil).map(\.id) == [posts[0].id])
            #expect(try store.search(["cafe"], limit: 10, viewer: nil).map(\.id) == [posts[1].id])
            // Hostile input: no error, and it means its words.
            for hostile in [
                ["\""], ["*"], ["NEAR(the", "end)"], ["("], ["AND"], ["OR", "NOT"], ["text:x"], ["^swift"], ["-"],
            ] {
                _ = try store.search(hostile, limit: 10, viewer: nil)
            }
            #expect(try store.search(["NEAR(the", "end)"], limit: 10, viewer: nil).map(\.id) == [posts[2].id])
            #expect(try store.search(["\"quoted\""], limit: 10, viewer: nil).map(\.id) == [posts[2].id])
            // Deleted posts and reposts are not found; muted authors are left out for the viewer.
            _ = try store.deletePost(id: posts[0].id, at: start)
            #expect(try store.search(["linux"], limit: 10, viewer: nil).isEmpty)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
            _ = try store.insertPosts([
                NewPost(
                    authorID: bob.id, text: posts[1].text, createdAt: start, entities: PostEntities(),
                    repostOf: PostReference(id: posts[1].id, author: "alice"))
            ])
            #expect(try store.search(["paris"], limit: 10, viewer: nil).map(\.id) == [posts[1].id])
            _ = try store.setMuted(bob.id, alice.id, true)
            #expect(try store.search(["paris"], limit: 10, viewer: bob.id).isEmpty)
        }
    }
}

@Suite struct PeopleStoreTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test func conversationsAndInbox() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
            let carol = try store.createUser(name: "carol", nameKey: "carol", passwordHash: "h", at: start)
            _ = try store.sendMessage(from: alice.id, to: bob.id, text: "one", at: start)
            _ = try store.sendMessage(from: bob.id, to: alice.id, text: "two", at: start)
            _ = try store.sendMessage(from: carol.id, to: bob.id, text: "three", at: start)
            let inbox = try store.inbox(of: bob.id, limit: 10)
            #expect(inbox.map(\.with) == ["carol", "alice"])
            #expect(
                inbox.map(\.unread) == [1, 1] && inbox.map(\.messages) == [1, 2]
                    && inbox.map(\.latest) == ["three", "two"])
            #expect(try store.unreadMessages(of: bob.id) == 2)
            #expect(try store.conversation(of: bob.id, with: alice.id, limit: 10).map(\.text) == ["one", "two"])
            #expect(try store.unreadMessages(of: bob.id) == 1)
            #expect(try store.conversation(of: carol.id, with: alice.id, limit: 10).isEmpty)
            try store.setBio(alice.id, "hi")
            try store.setLastSeen(alice.id, start)
            let profile = try #require(try store.profile(of: alice.id))
            #expect(profile.bio == "hi" && profile.lastSeen == start && profile.posts == 0)
        }
    }
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
