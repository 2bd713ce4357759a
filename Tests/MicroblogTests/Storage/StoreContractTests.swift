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

/// The behaviour every store must have, whatever the engine: each check runs on SQLite (a file in a
/// temporary directory) and on PostgreSQL (a schema of its own, dropped afterwards), so the two
/// implementations cannot drift apart.
enum StoreContract {
    static let start = Timestamp(milliseconds: 1_700_000_000_000)

    static func createsUserAndLooksItUpByKey(_ store: any Store) throws {
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

    static func duplicateNameKeyIsNameTaken(_ store: any Store) throws {
        _ = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h1", at: start)
        #expect(throws: StoreError.nameTaken) {
            try store.createUser(name: "ALICE", nameKey: "alice", passwordHash: "h2", at: start)
        }
        #expect(try store.account(nameKey: "alice")?.user.name == "Alice")
        #expect(try store.counts().users == 1)
    }

    static func insertPostsReturnsIncreasingIDsWithAuthorsAndExactText(_ store: any Store) throws {
        let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
        let texts = [
            "it's \"quoted\"; with semicolons;",
            "'); DROP TABLE posts;--",
            "emoji 🐦🔥 and 👩‍👩‍👧",
            "ünïcödé — 日本語 — العربية",
            #"a \ backslash, " and {braces}, NULL"#,
            "",
        ]
        let batch = texts.enumerated().map { offset, text in
            NewPost(
                authorID: offset.isMultiple(of: 2) ? alice.id : bob.id, text: text,
                createdAt: Timestamp(milliseconds: start.milliseconds + Int64(offset)))
        }

        let posts = try store.insertPosts(batch)

        #expect(posts.map(\.text) == texts)
        #expect(posts.map(\.author) == ["Alice", "Bob", "Alice", "Bob", "Alice", "Bob"])
        #expect(posts.map(\.authorID) == batch.map(\.authorID))
        #expect(posts.map(\.createdAt) == batch.map(\.createdAt))
        #expect(zip(posts, posts.dropFirst()).allSatisfy { $0.id < $1.id })
        // Read back from the file, not from the values just built.
        #expect(try store.feed(.latest(limit: 10)) == posts)
        #expect(try store.counts() == (users: 2, posts: 6))
        #expect(try store.insertPosts([]) == [])
    }

    static func feedSlicesAreOldestFirstAndLimited(_ store: any Store) throws {
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

    static func batchWithUnknownAuthorCommitsNothing(_ store: any Store) throws {
        let author = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
        let first = try store.insertPosts([NewPost(authorID: author.id, text: "kept", createdAt: start)])

        let batch = [
            NewPost(authorID: author.id, text: "lost 1", createdAt: start),
            NewPost(authorID: author.id + 999, text: "unknown author", createdAt: start),
            NewPost(authorID: author.id, text: "lost 2", createdAt: start),
        ]
        let error = #expect(throws: StoreError.self) { try store.insertPosts(batch) }
        #expect(error?.failureKind == .foreignKey)

        #expect(try store.counts() == (users: 1, posts: 1))
        #expect(try store.feed(.latest(limit: 10)) == first)
        // The failed batch left no transaction open.
        let next = try store.insertPosts([NewPost(authorID: author.id, text: "after", createdAt: start)])
        #expect(try store.feed(.latest(limit: 10)).map(\.text) == ["kept", "after"])
        #expect(next.count == 1)
    }

    static func followsAreOnePerPairAndListedByName(_ store: any Store) throws {
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

    static func homeTimelineHoldsOwnAndFollowedPostsOnly(_ store: any Store) throws {
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

    static func mentionsAndTagsAreStoredAndListed(_ store: any Store) throws {
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

    static func wordsAreWordsAndNeverQuerySyntax(_ store: any Store) throws {
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

    static func substringSearchFindsWordsInsideUnspacedText(_ store: any Store) throws {
        let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
        let posts = try store.insertPosts(
            [
                "今日は日本語の勉強をしました", "東京タワーに行きました", "ภาษาไทยไม่มีช่องว่าง",
                "Donaudampfschifffahrt is one word", "100% sure_thing", "日本語 alone",
            ].map { NewPost(authorID: alice.id, text: $0, createdAt: start) })
        // Inside a Japanese sentence, newest first among equals; several strings must all occur.
        #expect(Set(try store.search(["日本語"], limit: 10, viewer: nil).map(\.id)) == [posts[0].id, posts[5].id])
        #expect(try store.search(["日本語", "勉強"], limit: 10, viewer: nil).map(\.id) == [posts[0].id])
        #expect(try store.search(["タワー"], limit: 10, viewer: nil).map(\.id) == [posts[1].id])
        #expect(try store.search(["ภาษาไทย"], limit: 10, viewer: nil).map(\.id) == [posts[2].id])
        // A word the word index does not find, inside a longer one; case is folded.
        #expect(try store.search(["dampfschiff"], limit: 10, viewer: nil).map(\.id) == [posts[3].id])
        #expect(try store.search(["DONAU"], limit: 10, viewer: nil).map(\.id) == [posts[3].id])
        // Too short for a trigram: with a longer word, or alone (the newest posts are read).
        #expect(try store.search(["東京", "行きました"], limit: 10, viewer: nil).map(\.id) == [posts[1].id])
        #expect(try store.search(["勉強"], limit: 10, viewer: nil).map(\.id) == [posts[0].id])
        #expect(try store.search(["su"], limit: 10, viewer: nil).isEmpty)
        // Literal text: pattern and query characters mean themselves.
        for hostile in [["%%%"], ["___"], ["\\\\\\"], ["\"\"\""], ["NEAR(日本語"], ["*日本語*"]] {
            _ = try store.search(hostile, limit: 10, viewer: nil)
        }
        #expect(try store.search(["(日本語)"], limit: 10, viewer: nil).count == 2)
        #expect(try store.search(["xyz"], limit: 10, viewer: nil).isEmpty)
        // Deleted posts are not found.
        _ = try store.deletePost(id: posts[1].id, at: start)
        #expect(try store.search(["タワー"], limit: 10, viewer: nil).isEmpty)
    }

    static func notificationsAreKeptUnlessTurnedOffAndPaged(_ store: any Store) throws {
        let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let post = try store.insertPosts([NewPost(authorID: alice.id, text: "hi", createdAt: start)])[0]
        #expect(try store.notificationSettings(of: alice.id) == NotificationSettings())
        try store.setNotificationSettings(alice.id, NotificationSettings(off: [.like], bell: true))
        #expect(try store.notificationSettings(of: alice.id) == NotificationSettings(off: [.like], bell: true))
        #expect(try store.relations(of: alice.id).notifications.bell)
        let added = try store.addNotifications([
            NewNotification(recipientID: alice.id, kind: .follow, actorID: bob.id, postID: nil, createdAt: start),
            NewNotification(recipientID: alice.id, kind: .like, actorID: bob.id, postID: post.id, createdAt: start),
            NewNotification(recipientID: alice.id, kind: .repost, actorID: bob.id, postID: post.id, createdAt: start),
        ])
        // The like was turned off: not kept.
        #expect(added.map(\.kind) == [.follow, .repost])
        #expect(added[0].actor == "bob" && added[0].postID == nil && added[1].postID == post.id)
        #expect(try store.notifications(ids: added.map(\.id).reversed()) == added)
        #expect(try store.notifications(of: alice.id, .latest(limit: 1)) == [added[1]])
        #expect(try store.notifications(of: alice.id, .before(id: added[1].id, limit: 5)) == [added[0]])
        #expect(try store.notifications(of: alice.id, .since(id: added[0].id, limit: 5)) == [added[1]])
        #expect(try store.notifications(of: bob.id, .latest(limit: 5)).isEmpty)
        let before = Timestamp(milliseconds: start.milliseconds - 1)
        #expect(try store.notificationCounts(of: alice.id, since: before) == [.follow: 1, .repost: 1])
        #expect(try store.catchUp(of: alice.id, since: before, limit: 10).reposts == 1)
    }

    static func notificationGroupsAreKeptInOneTransactionAndAnsweredEachInOrder(_ store: any Store) throws {
        let alice = try store.createUser(name: "alice", nameKey: "allce", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let carol = try store.createUser(name: "carol", nameKey: "carol", passwordHash: "h", at: start)
        let post = try store.insertPosts([NewPost(authorID: alice.id, text: "hi", createdAt: start)])[0]
        try store.setNotificationSettings(alice.id, NotificationSettings(off: [.like], bell: false))
        func new(_ recipient: User, _ kind: NotificationKind, by actor: User) -> NewNotification {
            NewNotification(recipientID: recipient.id, kind: kind, actorID: actor.id, postID: post.id, createdAt: start)
        }
        let groups = try store.addNotifications(grouped: [
            [new(alice, .mention, by: bob), new(carol, .mention, by: bob)],
            [],
            [new(alice, .like, by: carol)],
            [new(alice, .repost, by: carol), new(bob, .like, by: carol)],
        ])
        // Each group answered in its place; alice's like was turned off.
        #expect(groups.map { $0.map(\.recipientID) } == [[alice.id, carol.id], [], [], [alice.id, bob.id]])
        #expect(groups.map { $0.map(\.kind) } == [[.mention, .mention], [], [], [.repost, .like]])
        #expect(groups[0][0].actor == "bob" && groups[3][0].actor == "carol")
        let ids = groups.flatMap { $0.map(\.id) }
        #expect(ids == ids.sorted())
        #expect(try store.notifications(ids: ids) == groups.flatMap { $0 })
        #expect(try store.addNotifications(grouped: [[], []]) == [[], []])
        // A notification to no account fails the foreign key on every engine, and nothing of its batch
        // stays (the storage worker then tries each group alone).
        do {
            _ = try store.addNotifications(grouped: [
                [new(alice, .mention, by: bob)],
                [NewNotification(recipientID: 999, kind: .follow, actorID: bob.id, postID: nil, createdAt: start)],
            ])
            Issue.record("a notification to no account was kept")
        } catch let error as StoreError {
            #expect(error.failureKind == .foreignKey, "\(error)")
        }
        #expect(try store.notifications(of: alice.id, .latest(limit: 10)).count == 2)
    }

    static func conversationsAndInbox(_ store: any Store) throws {
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
        // Bob wrote "two", the latest with alice; carol wrote hers. For alice, "two" is bob's.
        #expect(inbox.map(\.latestIsMine) == [false, true])
        #expect(try store.inbox(of: alice.id, limit: 10).map(\.latestIsMine) == [false])
        #expect(try store.unreadMessages(of: bob.id) == 2)
        #expect(try store.conversation(of: bob.id, with: alice.id, limit: 10).map(\.text) == ["one", "two"])
        #expect(try store.unreadMessages(of: bob.id) == 1)
        #expect(try store.conversation(of: carol.id, with: alice.id, limit: 10).isEmpty)
        _ = try store.sendMessage(from: alice.id, to: bob.id, text: "four", at: start)
        let answered = try store.inbox(of: alice.id, limit: 10)
        #expect(answered.map(\.latest) == ["four"] && answered.map(\.latestIsMine) == [true])
        try store.setBio(alice.id, "hi")
        try store.setLastSeen(alice.id, start)
        let profile = try #require(try store.profile(of: alice.id))
        #expect(profile.bio == "hi" && profile.lastSeen == start && profile.posts == 0)
    }

    static func repliesRepostsLikesThreadsAndDeletion(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let root = try store.insertPosts([NewPost(authorID: ann.id, text: "root", createdAt: start)])[0]
        let reply = try store.insertPosts([
            NewPost(
                authorID: bob.id, text: "a reply", createdAt: start, entities: PostEntities(),
                replyTo: PostReference(id: root.id, author: "ann", authorID: ann.id))
        ])[0]
        let deeper = try store.insertPosts([
            NewPost(
                authorID: ann.id, text: "deeper", createdAt: start, entities: PostEntities(),
                replyTo: PostReference(id: reply.id, author: "bob", authorID: bob.id))
        ])[0]
        let second = try store.insertPosts([
            NewPost(
                authorID: ann.id, text: "second reply", createdAt: start, entities: PostEntities(),
                replyTo: PostReference(id: root.id, author: "ann", authorID: ann.id))
        ])[0]
        let repost = try store.insertPosts([
            NewPost(
                authorID: bob.id, text: root.text, createdAt: start, entities: PostEntities(),
                repostOf: PostReference(id: root.id, author: "ann", authorID: ann.id))
        ])[0]
        #expect(try store.hasReposted(userID: bob.id, postID: root.id))
        #expect(try !store.hasReposted(userID: ann.id, postID: root.id))
        // Likes: once per person; a repost shows its original's.
        #expect(try store.setLiked(postID: root.id, userID: bob.id, true, at: start))
        #expect(try !store.setLiked(postID: root.id, userID: bob.id, true, at: start))
        #expect(try store.post(id: root.id)?.likes == 1)
        #expect(try store.post(id: repost.id)?.likes == 1)
        #expect(try store.post(id: repost.id)?.repostOf?.id == root.id)
        #expect(try store.post(id: reply.id)?.replyTo?.author == "ann")
        // The thread, from any post of it, depth first.
        let thread = try store.thread(of: deeper.id, limit: 10)
        #expect(thread.map(\.post.id) == [root.id, reply.id, deeper.id, second.id])
        #expect(thread.map(\.depth) == [0, 1, 2, 1])
        // Deleting the root takes its repost along; the thread keeps its place.
        #expect(try store.deletePost(id: root.id, at: start) == [root.id, repost.id])
        #expect(try store.deletePost(id: root.id, at: start) == [])
        #expect(try store.post(id: root.id) == nil)
        #expect(try store.feed(.latest(limit: 10)).map(\.id) == [reply.id, deeper.id, second.id])
        let after = try store.thread(of: reply.id, limit: 10)
        #expect(after.map(\.deleted) == [true, false, false, false])
        #expect(try store.setLiked(postID: reply.id, userID: ann.id, true, at: start))
        #expect(try store.setLiked(postID: reply.id, userID: ann.id, false, at: start))
        #expect(try store.post(id: reply.id)?.likes == 0)
    }

    static func bansAreKeptWithTheirReasonAndLogged(_ store: any Store) throws {
        let admin = try store.createUser(name: "mod", nameKey: "mod", passwordHash: "h", at: start)
        let troll = try store.createUser(name: "troll", nameKey: "troll", passwordHash: "h", at: start)
        #expect(try store.setBanned(troll.id, reason: "spam", by: admin.id, at: start))
        #expect(try !store.setBanned(troll.id, reason: "spam", by: admin.id, at: start))
        #expect(try store.account(nameKey: "troll")?.bannedReason == "spam")
        #expect(try store.setBanned(troll.id, reason: nil, by: admin.id, at: start))
        #expect(try !store.setBanned(troll.id, reason: nil, by: admin.id, at: start))
        #expect(try store.account(nameKey: "troll")?.bannedReason == nil)
        let log = try moderationRows(in: store)
        #expect(log.count == 2, "\(log)")
    }

    static func endingsNameTheBannedAndTheDeleted(_ store: any Store) throws {
        let admin = try store.createUser(name: "mod", nameKey: "mod", passwordHash: "h", at: start)
        let troll = try store.createUser(name: "troll", nameKey: "troll", passwordHash: "h", at: start)
        let gone = try store.createUser(name: "gone", nameKey: "gone", passwordHash: "h", at: start)
        #expect(try store.endings(of: [admin.id, troll.id, gone.id]).isEmpty)
        #expect(try store.setBanned(troll.id, reason: "spam", by: admin.id, at: start))
        _ = try store.deleteAccount(gone.id, at: start)
        #expect(
            try store.endings(of: [admin.id, troll.id, gone.id, 9999])
                == [troll.id: .banned(reason: "spam"), gone.id: .deleted])
        #expect(try store.endings(of: []).isEmpty)
    }

    static func reportsInvitesAndPasswordsAreKept(_ store: any Store) throws {
        let admin = try store.createUser(name: "mod", nameKey: "mod", passwordHash: "h", at: start)
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let post = try store.insertPosts([NewPost(authorID: ann.id, text: "buy now", createdAt: start)])[0]
        // Reports: open until closed, once; closing is kept in the moderation log.
        let first = try store.addReport(postID: post.id, reporterID: admin.id, reason: "spam", at: start).id
        let second = try store.addReport(postID: post.id, reporterID: ann.id, reason: "oops", at: start).id
        let open = try store.openReports(limit: 10)
        #expect(open.map(\.id) == [first, second])
        #expect(open[0].author == "ann" && open[0].text == "buy now" && open[0].reporter == "mod")
        #expect(try store.closeReport(first, by: admin.id, note: "deleted", at: start) == post.id)
        #expect(try store.closeReport(first, by: admin.id, note: "", at: start) == nil)
        #expect(try store.openReports(limit: 10).map(\.id) == [second])
        _ = try store.deletePost(id: post.id, at: start)
        #expect(try store.openReports(limit: 10).first?.text == "")
        // Invites: an allowance is used up; an administrator has none to use; a code works once.
        #expect(try !store.createInvite(code: "AAAA-BBBB", by: ann.id, unlimited: false, at: start))
        try store.setInvitesLeft(ann.id, 1, by: admin.id, at: start)
        #expect(try store.createInvite(code: "AAAA-BBBB", by: ann.id, unlimited: false, at: start))
        #expect(try !store.createInvite(code: "AAAA-CCCC", by: ann.id, unlimited: false, at: start))
        #expect(try store.createInvite(code: "AAAA-DDDD", by: admin.id, unlimited: true, at: start))
        #expect(try store.invites(of: ann.id) == (["AAAA-BBBB"], 0))
        let cat = try store.createUser(name: "cat", nameKey: "cat", passwordHash: "h", at: start, invite: "AAAA-BBBB")
        #expect(cat.name == "cat")
        #expect(throws: StoreError.inviteInvalid) {
            try store.createUser(name: "dog", nameKey: "dog", passwordHash: "h", at: start, invite: "AAAA-BBBB")
        }
        #expect(throws: StoreError.inviteInvalid) {
            try store.createUser(name: "dog", nameKey: "dog", passwordHash: "h", at: start, invite: "ZZZZ-ZZZZ")
        }
        #expect(try store.account(nameKey: "dog") == nil)
        #expect(try store.invites(of: ann.id).unused.isEmpty)
        // A name taken keeps the code unused.
        #expect(throws: StoreError.nameTaken) {
            try store.createUser(name: "Cat", nameKey: "cat", passwordHash: "h", at: start, invite: "AAAA-DDDD")
        }
        #expect(try store.invites(of: admin.id).unused == ["AAAA-DDDD"])
        // Passwords and the other moderation steps.
        try store.setPasswordHash(ann.id, "$y$new")
        #expect(try store.account(nameKey: "ann")?.passwordHash == "$y$new")
        try store.moderate(
            by: admin.id, action: "kick", userID: ann.id, reason: "", at: start, announcing: .kicked(userID: ann.id))
        let log = try moderationRows(in: store)
        #expect(log.count == 3, "\(log)")
        #expect(log[0].contains(" mod kick ann "), "\(log)")
        #expect(log[1].contains(" mod invites ann - 1"), "\(log)")
        #expect(log[2].contains(" mod close_report ann \(post.id) report \(first): deleted"), "\(log)")
    }

    static func accountsExportAndDeleteTheirData(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let later = Timestamp(milliseconds: start.milliseconds + 1000)
        let posts = try store.insertPosts([
            NewPost(authorID: ann.id, text: "first", createdAt: start),
            NewPost(authorID: bob.id, text: "hi @ann", createdAt: start, entities: PostEntities(in: "hi @ann")),
        ])
        let reply = try store.insertPosts([
            NewPost(
                authorID: ann.id, text: "re", createdAt: later, replyTo: PostReference(id: posts[1].id, author: "bob"))
        ])[0]
        let repost = try store.insertPosts([
            NewPost(
                authorID: bob.id, text: "", createdAt: later, repostOf: PostReference(id: posts[0].id, author: "ann"))
        ])[0]
        _ = try store.setLiked(postID: posts[1].id, userID: ann.id, true, at: later)
        _ = try store.follow(follower: ann.id, followee: bob.id, at: later)
        _ = try store.follow(follower: bob.id, followee: ann.id, at: later)
        _ = try store.sendMessage(from: bob.id, to: ann.id, text: "psst", at: later)
        _ = try store.addSSHKey(userID: ann.id, type: "ssh-ed25519", blob: "AAAA", comment: "", at: start, limit: 5)
        let records = try store.export(of: ann.id)
        #expect(records.map(\.kind) == ["post", "post", "like", "follow", "message"])
        #expect(records[1] == .post(id: reply.id, at: later, text: "re", replyTo: posts[1].id, repostOf: nil))
        #expect(records[3] == .follow(name: "bob", at: later))
        #expect(records[4] == .message(id: 1, at: later, from: "bob", to: "ann", text: "psst"))
        // Deleting takes her posts and the reposts of them, and everything that links her to others.
        #expect(try store.deleteAccount(ann.id, at: later) == [posts[0].id, reply.id, repost.id])
        #expect(try store.feed(.latest(limit: 10)).map(\.id) == [posts[1].id])
        #expect(try store.post(id: posts[1].id)?.likes == 0)
        #expect(try store.followers(bob.id).isEmpty && store.following(bob.id).isEmpty)
        #expect(try store.inbox(of: bob.id, limit: 10).isEmpty)
        #expect(try store.sshKeys(of: ann.id).isEmpty)
        #expect(try store.posts(in: .mentioning(ann.id), .latest(limit: 10)).isEmpty)
        #expect(try store.account(nameKey: "ann") == nil)
        #expect(try store.export(of: ann.id).isEmpty)
        #expect(try store.counts().users == 1)
        // The name is held until released, then free.
        #expect(throws: StoreError.nameTaken) {
            try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: later)
        }
        try store.releaseDeletedName(nameKey: "ann", deletedBefore: start)
        #expect(throws: StoreError.nameTaken) {
            try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: later)
        }
        try store.releaseDeletedName(nameKey: "ann", deletedBefore: later)
        #expect(try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: later).id != ann.id)
    }

    /// `/export` pages: each at most `limit` records of one kind, keyset by kind and key, together the
    /// whole export in order, whatever the page size; the text budget cuts a page short.
    static func exportPagesCoverEverythingInOrder(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let posts = try store.insertPosts((0..<5).map { NewPost(authorID: ann.id, text: "p\($0)", createdAt: start) })
        for post in posts { _ = try store.setLiked(postID: post.id, userID: ann.id, true, at: start) }
        _ = try store.follow(follower: ann.id, followee: bob.id, at: start)
        for index in 0..<3 { _ = try store.sendMessage(from: bob.id, to: ann.id, text: "m\(index)", at: start) }
        let whole = try store.export(of: ann.id)
        #expect(
            whole.map(\.kind) == Array(repeating: "post", count: 5) + Array(repeating: "like", count: 5) + ["follow"]
                + Array(repeating: "message", count: 3))
        for limit in [1, 2, 3] {
            var paged: [ExportRecord] = []
            var cursor: ExportCursor? = ExportCursor()
            while let from = cursor {
                let page = try store.exportPage(of: ann.id, from: from, limit: limit, textBytes: 1000)
                #expect(page.records.count <= limit && Set(page.records.map(\.kind)).count <= 1)
                paged += page.records
                cursor = page.next
            }
            #expect(paged == whole, "limit \(limit)")
        }
        // Two bytes of text: one post a page, however many may be.
        let short = try store.exportPage(of: ann.id, from: ExportCursor(), limit: 10, textBytes: 2)
        #expect(short.records.count == 1 && short.next?.kind == .post && short.next?.afterID == posts[0].id)
    }

    /// Once an account is deleted nothing more of it commits: its posts in a group commit are refused (the
    /// others' commit), and its likes, follows and messages are `accountDeleted`.
    static func aDeletedAccountWritesNothingMore(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let bobs = try store.insertPosts([NewPost(authorID: bob.id, text: "bob's", createdAt: start)])[0]
        _ = try store.deleteAccount(ann.id, at: start)
        let batch = try store.insertPostsOfLiveAccounts([
            NewPost(authorID: bob.id, text: "kept 1", createdAt: start),
            NewPost(authorID: ann.id, text: "refused", createdAt: start),
            NewPost(authorID: bob.id, text: "kept 2", createdAt: start),
        ])
        #expect(batch.map { $0?.text } == ["kept 1", nil, "kept 2"])
        #expect(try store.feed(.latest(limit: 10)).map(\.text) == ["bob's", "kept 1", "kept 2"])
        #expect(try store.posts(in: .author(ann.id), .latest(limit: 10)).isEmpty)
        #expect(throws: StoreError.accountDeleted) {
            try store.insertPosts([NewPost(authorID: ann.id, text: "refused", createdAt: start)])
        }
        #expect(throws: StoreError.accountDeleted) {
            try store.setLiked(postID: bobs.id, userID: ann.id, true, at: start)
        }
        #expect(throws: StoreError.accountDeleted) { try store.follow(follower: ann.id, followee: bob.id, at: start) }
        // The other account deleted: said as such, not as the writer's own deletion.
        #expect(throws: StoreError.otherAccountDeleted) {
            try store.follow(follower: bob.id, followee: ann.id, at: start)
        }
        #expect(throws: StoreError.accountDeleted) {
            try store.sendMessage(from: ann.id, to: bob.id, text: "late", at: start)
        }
        #expect(throws: StoreError.otherAccountDeleted) {
            try store.sendMessage(from: bob.id, to: ann.id, text: "late", at: start)
        }
        #expect(try store.post(id: bobs.id)?.likes == 0)
        #expect(try store.following(bob.id).isEmpty && store.followers(bob.id).isEmpty)
        #expect(try store.inbox(of: bob.id, limit: 10).isEmpty)
    }

    static func catchUpCountsWhatHappenedSince(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let later = Timestamp(milliseconds: start.milliseconds + 1000)
        _ = try store.follow(follower: ann.id, followee: bob.id, at: start)
        _ = try store.insertPosts([NewPost(authorID: bob.id, text: "old", createdAt: start)])
        let fresh = try store.insertPosts([
            NewPost(authorID: bob.id, text: "new", createdAt: later),
            NewPost(
                authorID: bob.id, text: "hi @ann", createdAt: later,
                entities: PostEntities(in: "hi @ann")),
        ])
        _ = try store.follow(follower: bob.id, followee: ann.id, at: later)
        _ = try store.sendMessage(from: bob.id, to: ann.id, text: "psst", at: later)
        let summary = try store.catchUp(of: ann.id, since: start, limit: 10)
        #expect(summary.homePostIDs.sorted() == fresh.map(\.id))
        #expect(summary.mentionIDs == [fresh[1].id])
        #expect(summary.newFollowers == ["bob"])
        #expect(summary.unreadMessages == 1)
        #expect(try store.catchUp(of: ann.id, since: later, limit: 10).homePostIDs.isEmpty)
    }

    static func webSessionsSignInUntilTheyEnd(_ store: any Store) throws {
        let ann = try store.createUser(name: "Ann", nameKey: "ann", passwordHash: "h", at: start)
        let admin = try store.createUser(name: "admin", nameKey: "admin", passwordHash: "h", at: start)
        func at(_ seconds: Int64) -> Timestamp { Timestamp(milliseconds: start.milliseconds + seconds * 1000) }
        try store.createWebSession(tokenHash: "h1", userID: ann.id, at: at(1), expiredBefore: start, keep: 2)
        #expect(try store.webSessionUser(tokenHash: "h1", notBefore: start)?.name == "Ann")
        #expect(try store.webSessionUser(tokenHash: "h2", notBefore: start) == nil)
        // Too old for the caller's lifetime: no one.
        #expect(try store.webSessionUser(tokenHash: "h1", notBefore: at(2)) == nil)
        // Beyond `keep`, the account's oldest ends; sessions made before `expiredBefore` are forgotten.
        try store.createWebSession(tokenHash: "h2", userID: ann.id, at: at(2), expiredBefore: start, keep: 2)
        try store.createWebSession(tokenHash: "h3", userID: ann.id, at: at(3), expiredBefore: start, keep: 2)
        #expect(try store.webSessionUser(tokenHash: "h1", notBefore: start) == nil)
        #expect(try store.webSessionUser(tokenHash: "h2", notBefore: start) != nil)
        try store.createWebSession(tokenHash: "a1", userID: admin.id, at: at(4), expiredBefore: at(3), keep: 2)
        #expect(try store.webSessionUser(tokenHash: "h2", notBefore: start) == nil)
        #expect(try store.webSessionUser(tokenHash: "h3", notBefore: start) != nil)
        // Signing out ends one session, a password change all, a ban all for good (lifting it brings none back).
        #expect(try store.deleteWebSession(tokenHash: "h3"))
        #expect(try !store.deleteWebSession(tokenHash: "h3"))
        try store.createWebSession(tokenHash: "h3", userID: ann.id, at: at(5), expiredBefore: start, keep: 2)
        #expect(try store.setBanned(ann.id, reason: "spam", by: admin.id, at: at(5)))
        #expect(try store.webSessionUser(tokenHash: "h3", notBefore: start) == nil)
        #expect(try store.webHiddenAuthors() == [ann.id])
        #expect(try store.setBanned(ann.id, reason: nil, by: admin.id, at: at(5)))
        #expect(try store.webSessionUser(tokenHash: "h3", notBefore: start) == nil)
        try store.createWebSession(tokenHash: "h4", userID: ann.id, at: at(6), expiredBefore: start, keep: 2)
        try store.createWebSession(tokenHash: "h5", userID: ann.id, at: at(6), expiredBefore: start, keep: 2)
        #expect(try store.deleteWebSessions(of: ann.id) == 2)
        #expect(try store.webSessionUser(tokenHash: "a1", notBefore: start)?.id == admin.id)
        // `/web off` hides the account from the web door until it is turned on again.
        #expect(try store.setWebOff(admin.id, true))
        #expect(try !store.setWebOff(admin.id, true))
        #expect(try store.webHiddenAuthors() == [admin.id])
        #expect(try store.setWebOff(admin.id, false))
        #expect(try store.webHiddenAuthors().isEmpty)
        // Deleting the account ends its sessions; a deleted account gets none.
        try store.createWebSession(tokenHash: "h6", userID: ann.id, at: at(7), expiredBefore: start, keep: 2)
        _ = try store.deleteAccount(ann.id, at: at(8))
        #expect(try store.webSessionUser(tokenHash: "h6", notBefore: start) == nil)
        #expect(throws: StoreError.accountDeleted) {
            try store.createWebSession(tokenHash: "h7", userID: ann.id, at: at(9), expiredBefore: start, keep: 2)
        }
    }

    static func sshKeysAreNumberedOwnedOnceLimitedAndRemoved(_ store: any Store) throws {
        let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        #expect(try store.sshKeys(of: ann.id).isEmpty)
        let later = Timestamp(milliseconds: start.milliseconds + 1000)
        let first = try store.addSSHKey(
            userID: ann.id, type: "ssh-ed25519", blob: "AAAA1", comment: "laptop", at: start, limit: 3)
        #expect(
            first == StoredSSHKey(number: 1, type: "ssh-ed25519", base64: "AAAA1", comment: "laptop", addedAt: start))
        let second = try store.addSSHKey(
            userID: ann.id, type: "ssh-rsa", blob: "AAAA2", comment: "", at: later, limit: 3)
        #expect(second.number == 2)
        #expect(try store.sshKeys(of: ann.id) == [first, second])

        // A blob belongs to one account: this one, or another, which is named to the caller.
        #expect(throws: StoreError.sshKeyTaken(ownerID: ann.id)) {
            try store.addSSHKey(userID: ann.id, type: "ssh-ed25519", blob: "AAAA1", comment: "", at: later, limit: 3)
        }
        #expect(throws: StoreError.sshKeyTaken(ownerID: ann.id)) {
            try store.addSSHKey(userID: bob.id, type: "ssh-ed25519", blob: "AAAA1", comment: "", at: later, limit: 3)
        }
        #expect(try store.sshKeys(of: bob.id).isEmpty)

        _ = try store.addSSHKey(userID: ann.id, type: "ssh-rsa", blob: "AAAA3", comment: "c", at: later, limit: 3)
        #expect(throws: StoreError.sshKeyLimit) {
            try store.addSSHKey(userID: ann.id, type: "ssh-rsa", blob: "AAAA4", comment: "", at: later, limit: 3)
        }
        // Another account's limit is its own.
        #expect(
            try store.addSSHKey(userID: bob.id, type: "ssh-rsa", blob: "AAAA4", comment: "", at: later, limit: 3)
                .number == 1)

        // Removing renumbers the rest; a number past the end removes nothing.
        #expect(try store.removeSSHKey(userID: ann.id, number: 1) == first)
        #expect(try store.sshKeys(of: ann.id).map(\.base64) == ["AAAA2", "AAAA3"])
        #expect(try store.sshKeys(of: ann.id).map(\.number) == [1, 2])
        #expect(try store.removeSSHKey(userID: ann.id, number: 3) == nil)
        #expect(try store.removeSSHKey(userID: ann.id, number: 0) == nil)
        #expect(try store.removeSSHKey(userID: bob.id, number: 2) == nil)
        #expect(try store.sshKeys(of: bob.id).count == 1)
        // A removed key may be added again, by anyone.
        #expect(
            try store.addSSHKey(userID: bob.id, type: "ssh-ed25519", blob: "AAAA1", comment: "", at: later, limit: 3)
                .number == 2)
    }
}

/// Where the PostgreSQL half of the store tests connects: a connection URI, or nil to skip it.
let postgresTestURI = ProcessInfo.processInfo.environment["MICROBLOG_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

/// Runs `body` on a new PostgreSQL store in a schema of its own on `postgresTestURI`, dropped afterwards.
func withPostgresStore(_ body: (PostgresStore) throws -> Void) throws {
    let uri = try #require(postgresTestURI)
    let schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    let admin = try PostgresConnection(uri: uri)
    defer { admin.close() }
    try admin.execute("CREATE SCHEMA \(schema)")
    defer { try? admin.execute("DROP SCHEMA \(schema) CASCADE") }
    // The store's connection looks in the new schema first (libpq's `options`, URI-encoded).
    let separator = uri.contains("?") ? "&" : "?"
    let store = try PostgresStore(uri: uri + separator + "options=-csearch_path%3D\(schema)")
    defer { store.close() }
    try body(store)
}

/// The engines the contract runs on: SQLite always, PostgreSQL when `MICROBLOG_TEST_POSTGRES` names a
/// server (left out otherwise, as the other PostgreSQL suites are skipped).
enum StoreEngine: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [StoreEngine] { postgresTestURI == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// Runs `body` on a new, empty store of this engine (a file in a temporary directory, or a schema of
    /// its own dropped afterwards).
    func withStore(_ body: (any Store) throws -> Void) throws {
        switch self {
        case .sqlite: try withDatabasePath { path in try body(try SQLiteStore(path: path)) }
        case .postgres: try withPostgresStore { try body($0) }
        }
    }
}

@Suite("Store contract")
struct StoreContractTests {
    /// The transaction contract: a transaction opened inside another is refused with `misuse`, its body never
    /// runs, and the outer one still commits what it wrote.
    static func nestedTransactionIsRefused<Database: SQLConnection>(_ store: SQLStore<Database>) throws {
        let connection = store.database
        var innerRan = false
        try connection.transaction {
            try connection.statement("UPDATE users SET bio = 'outer' WHERE name_key = 'ann'").run([])
            #expect(throws: StoreError.misuse("a transaction is already open on this connection", context: "BEGIN")) {
                try connection.transaction { innerRan = true }
            }
        }
        #expect(!innerRan)
        #expect(try store.user(nameKey: "ann").flatMap { try store.profile(of: $0.id) }?.bio == "outer")
    }

    @Test(arguments: StoreEngine.available)
    func aTransactionInsideAnotherIsRefusedOnEveryEngine(_ engine: StoreEngine) throws {
        let start = StoreContract.start
        switch engine {
        case .sqlite:
            try withDatabasePath { path in
                let store = try SQLiteStore(path: path)
                defer { store.close() }
                _ = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
                try Self.nestedTransactionIsRefused(store)
            }
        case .postgres:
            try withPostgresStore { store in
                _ = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
                try Self.nestedTransactionIsRefused(store)
            }
        }
    }

    @Test(arguments: StoreEngine.available)
    func webSessionsSignInUntilTheyEnd(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.webSessionsSignInUntilTheyEnd)
    }

    @Test(arguments: StoreEngine.available)
    func repliesRepostsLikesThreadsAndDeletion(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.repliesRepostsLikesThreadsAndDeletion)
    }

    @Test(arguments: StoreEngine.available)
    func substringSearchFindsWordsInsideUnspacedText(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.substringSearchFindsWordsInsideUnspacedText)
    }

    @Test(arguments: StoreEngine.available)
    func notificationsAreKeptUnlessTurnedOffAndPaged(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.notificationsAreKeptUnlessTurnedOffAndPaged)
    }

    @Test(arguments: StoreEngine.available)
    func notificationGroupsAreKeptInOneTransactionAndAnsweredEachInOrder(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.notificationGroupsAreKeptInOneTransactionAndAnsweredEachInOrder)
    }

    @Test(arguments: StoreEngine.available)
    func bansAreKeptWithTheirReasonAndLogged(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.bansAreKeptWithTheirReasonAndLogged)
    }

    @Test(arguments: StoreEngine.available)
    func endingsNameTheBannedAndTheDeleted(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.endingsNameTheBannedAndTheDeleted)
    }

    @Test(arguments: StoreEngine.available)
    func catchUpCountsWhatHappenedSince(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.catchUpCountsWhatHappenedSince)
    }

    @Test(arguments: StoreEngine.available)
    func createsUserAndLooksItUpByKey(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.createsUserAndLooksItUpByKey)
    }

    @Test(arguments: StoreEngine.available)
    func duplicateNameKeyIsNameTaken(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.duplicateNameKeyIsNameTaken)
    }

    @Test(arguments: StoreEngine.available)
    func insertPostsReturnsIncreasingIDsWithAuthorsAndExactText(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.insertPostsReturnsIncreasingIDsWithAuthorsAndExactText)
    }

    @Test(arguments: StoreEngine.available)
    func feedSlicesAreOldestFirstAndLimited(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.feedSlicesAreOldestFirstAndLimited)
    }

    @Test(arguments: StoreEngine.available)
    func batchWithUnknownAuthorCommitsNothing(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.batchWithUnknownAuthorCommitsNothing)
    }

    @Test(arguments: StoreEngine.available)
    func followsAreOnePerPairAndListedByName(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.followsAreOnePerPairAndListedByName)
    }

    @Test(arguments: StoreEngine.available)
    func homeTimelineHoldsOwnAndFollowedPostsOnly(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.homeTimelineHoldsOwnAndFollowedPostsOnly)
    }

    @Test(arguments: StoreEngine.available)
    func mentionsAndTagsAreStoredAndListed(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.mentionsAndTagsAreStoredAndListed)
    }

    @Test(arguments: StoreEngine.available)
    func wordsAreWordsAndNeverQuerySyntax(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.wordsAreWordsAndNeverQuerySyntax)
    }

    @Test(arguments: StoreEngine.available)
    func conversationsAndInbox(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.conversationsAndInbox)
    }

    @Test(arguments: StoreEngine.available)
    func sshKeysAreNumberedOwnedOnceLimitedAndRemoved(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.sshKeysAreNumberedOwnedOnceLimitedAndRemoved)
    }

    @Test(arguments: StoreEngine.available)
    func accountsExportAndDeleteTheirData(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.accountsExportAndDeleteTheirData)
    }

    @Test(arguments: StoreEngine.available)
    func exportPagesCoverEverythingInOrder(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.exportPagesCoverEverythingInOrder)
    }

    @Test(arguments: StoreEngine.available)
    func aDeletedAccountWritesNothingMore(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.aDeletedAccountWritesNothingMore)
    }

    @Test(arguments: StoreEngine.available)
    func reportsInvitesAndPasswordsAreKept(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.reportsInvitesAndPasswordsAreKept)
    }
}

extension Store {
    /// A listing without a viewer, as the contract's checks read them.
    func posts(in scope: PostScope, _ query: FeedQuery) throws -> [Post] {
        try posts(in: scope, query, viewer: nil)
    }
}

/// Listings on PostgreSQL are served by indexes too: checked on its own plans, with enough rows (and
/// fresh statistics) that the planner would rather scan a table if no index served.
@Suite(
    "Listing plans: PostgreSQL",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the PostgreSQL plan tests were skipped"))
struct PostgresListingPlanTests {
    /// Step 6's trigram block never fails a migration: when the index cannot be made (here because it
    /// exists already; on a server without pg_trgm because the extension is refused) it warns and goes on,
    /// and substring search still answers.
    @Test func theTrigramIndexIsOptional() throws {
        try withPostgresStore { store in
            try store.database.execute(PostgresMigrations.trigramIndexIfAvailable)
            try store.database.execute("DROP INDEX posts_trigram")
            let alice = try store.createUser(
                name: "alice", nameKey: "allce", passwordHash: "h", at: StoreContract.start)
            _ = try store.insertPosts([
                NewPost(authorID: alice.id, text: "今日は日本語の勉強", createdAt: StoreContract.start)
            ])
            #expect(try store.search(["日本語"], limit: 10, viewer: nil).count == 1)
            try store.database.execute(PostgresMigrations.trigramIndexIfAvailable)
            let indexes = try store.database.statement(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'posts_trigram'"
            ).rows([]) { $0.int64(at: 0) }
            #expect(indexes == [1])
        }
    }

    @Test func everyListingUsesAnIndex() throws {
        try withPostgresStore { store in
            let users = try (0..<100).map {
                try store.createUser(name: "u\($0)", nameKey: "u\($0)", passwordHash: "h", at: StoreContract.start)
            }
            for round in 0..<20 {
                _ = try store.insertPosts(
                    (0..<1000).map { index in
                        let text =
                            index % 10 == 0
                            ? "tagged #tag\(index % 30) @u\(index % 100)" : "post \(round) \(index) words"
                        return NewPost(
                            authorID: users[index % 100].id, text: text, createdAt: StoreContract.start,
                            entities: PostEntities(in: text))
                    })
            }
            _ = try store.insertPosts([
                NewPost(authorID: users[0].id, text: "a zebra here", createdAt: StoreContract.start)
            ])
            try store.database.execute("VACUUM ANALYZE")
            func plan(_ sql: String, _ values: [SQLValue]) throws -> String {
                try store.database.statement("EXPLAIN " + sql).rows(values) { try $0.nonNullString(at: 0) }
                    .joined(separator: "\n")
            }
            for scope in [PostScope.author(users[7].id), .mentioning(users[5].id), .tagged("tag3"), .everyone] {
                let (sql, values) = store.listing(scope, .before(id: 15_000, limit: 20), viewer: users[1].id)
                let text = try plan(sql, values)
                #expect(text.contains("Index"), "\(scope): \(text)")
                #expect(!text.contains("Seq Scan on posts"), "\(scope): \(text)")
            }
            let author = try plan(SQL.authorBefore, [.integer(users[7].id), .integer(15_000), .integer(20)])
            #expect(author.contains("posts_by_user"), "\(author)")
            // The search's candidates: a rare word's matches through the GIN index. (For a word in most
            // posts, walking the primary key back from the newest is cheaper, and the planner does.)
            let search = try plan(
                "SELECT id FROM posts WHERE search @@ plainto_tsquery('simple', microblog_unaccent(?)) ORDER BY id DESC LIMIT ?",
                [.text("zebra"), .integer(2000)])
            #expect(search.contains("posts_search") || search.contains("Bitmap Index Scan"), "\(search)")
            // A substring search's candidates: a rare string's matches through the trigram index (pg_trgm is
            // installed in the test cluster).
            let substring = try plan(
                SQLDialect.postgres.substringCandidates,
                store.database.substringValues(["ebr"], candidates: 2000, window: nil))
            #expect(substring.contains("posts_trigram"), "\(substring)")
        }
    }
}
