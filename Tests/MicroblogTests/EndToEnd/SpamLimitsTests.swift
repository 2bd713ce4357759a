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

/// Attack 5: likes, follows and reports as a megaphone. Likes and follows (and their undoing) have a rate
/// per account; doing one again notifies once a window; a post is reported once per reporter while open.
@Suite("End to end: likes, follows and reports are not a megaphone")
struct SpamLimitsTests {
    @Test func likesAndFollowsAndTheirUndoingAreRateLimitedPerAccount() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.socialRate = 0.01
            $0.settings.socialBurst = 4
        }
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("a post")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        #expect(try bob.run("/like 1").hasPrefix("* you like #1"))
        #expect(try bob.run("/unlike 1").hasPrefix("* you no longer like #1"))
        #expect(try bob.run("/follow alice") == "* you now follow alice")
        #expect(try bob.run("/unfollow alice") == "* you no longer follow alice")
        // The burst is spent, whichever of the four it goes on; the refusal says how long to wait.
        try bob.switchToJSON()
        for line in ["/like 1", "/follow alice", "/unlike 1", "/unfollow alice"] {
            bob.send(line)
            let refused = try bob.readJSON()
            #expect(refused["code"] as? String == "rate_limited", "\(line): \(refused)")
            #expect((refused["retry_after_ms"] as? Int ?? 0) > 1000, "\(refused)")
        }
        // Per account: another account is not held back, and mutes (which tell nobody) are not counted.
        #expect(try alice.run("/follow bob") == "* you now follow bob")
        bob.send("/mute alice")
        let muted = try bob.readJSONUntil { $0["command"] as? String == "mute" }.last
        #expect(muted?["type"] as? String == "ok", "\(String(describing: muted))")
    }

    @Test func likingOrFollowingAgainNotifiesOnceAWindowStoredAndLive() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.socialRate = 0
        }
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("first")
        try alice.run("second")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        let carol = try server.registeredClient("carol")
        try carol.run("/watch off")
        for _ in 0..<5 {
            #expect(try bob.run("/like 1").hasPrefix("* you like #1"))
            try bob.run("/unlike 1")
            #expect(try bob.run("/follow alice") == "* you now follow alice")
            try bob.run("/unfollow alice")
        }
        // Another post is another like, and another person another follow.
        try bob.run("/like 2")
        try carol.run("/follow alice")
        // Live: one of each, then carol's follow, which came last.
        let live = try alice.readUntil { $0.hasSuffix(" carol followed you") }.filter { $0.hasPrefix("~ ") }
        #expect(live.count == 4, "\(live)")
        #expect(live.filter { $0.hasSuffix(" bob liked your post #1") }.count == 1, "\(live)")
        #expect(live.filter { $0.hasSuffix(" bob followed you") }.count == 1, "\(live)")
        #expect(live.filter { $0.hasSuffix(" bob liked your post #2") }.count == 1, "\(live)")
        // Stored: the same four.
        alice.send("/notifications")
        let listed = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(listed.last == "* 4 notifications, n1 to n4", "\(listed)")
    }

    @Test func afterTheWindowALikeNotifiesAgain() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.socialRate = 0
            $0.settings.repeatNotificationWindow = 0.001
        }
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("first")
        let bob = try server.registeredClient("bob")
        try bob.run("/like 1")
        try alice.readUntil { $0.hasSuffix(" bob liked your post #1") }
        try bob.run("/unlike 1")
        // The window is a millisecond: any later like is outside it.
        let start = Date()
        while Date().timeIntervalSince(start) < 0.005 {}
        try bob.run("/like 1")
        try alice.readUntil { $0.hasSuffix(" bob liked your post #1") }
    }

    @Test func aPostIsReportedOncePerReporterWhileTheReportIsOpen() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.admins = ["root"]
        }
        let root = try server.registeredClient("root")
        try root.run("/watch off")
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("buy now")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        #expect(try bob.run("/report 1 spam") == "* thank you: report 1 on #1 goes to the administrators")
        for _ in 0..<3 {
            #expect(
                try bob.run("/report 1 spam again")
                    == "* you already reported #1: report 1 is open until an administrator closes it")
        }
        try bob.switchToJSON()
        bob.send("/report 1 still spam")
        let again = try bob.readJSON()
        #expect(again["type"] as? String == "ok" && again["already"] as? Bool == true && again["id"] as? Int == 1)
        // Someone else's report of the same post is theirs.
        #expect(try alice.run("/report 1 mine") == "* thank you: report 2 on #1 goes to the administrators")
        root.send("/reports")
        #expect(try root.readUntil { $0.hasPrefix("* ") }.last == "* 2 open reports; /reports close N")
        // Once closed, the post may be reported again.
        #expect(try root.run("/reports close 1") == "* report 1 on #1 closed")
        bob.send("/report 1 back again")
        let reopened = try bob.readJSON()
        #expect(reopened["already"] as? Bool == false && reopened["id"] as? Int == 3, "\(reopened)")
    }
}

/// The store's side: repeats left out in the transaction, and one open report per reporter and post held by
/// a unique index, on each engine (PostgreSQL when `MICROBLOG_TEST_POSTGRES` is set).
@Suite("Store: repeats of likes, follows and reports")
struct RepeatLimitsStoreTests {
    static let start = Timestamp(milliseconds: 1_700_000_000_000)

    @Test(arguments: StoreEngine.available)
    func aRepeatedNotificationIsLeftOutWithinItsWindow(_ engine: StoreEngine) throws {
        try engine.withStore { store in
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: Self.start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: Self.start)
            let post = try store.insertPosts([NewPost(authorID: ann.id, text: "hi", createdAt: Self.start)])[0]
            func like(_ at: Int64, window: Int64 = 1000) -> NewNotification {
                NewNotification(
                    recipientID: ann.id, kind: .like, actorID: bob.id, postID: post.id,
                    createdAt: Timestamp(milliseconds: Self.start.milliseconds + at),
                    repeatSince: Timestamp(milliseconds: Self.start.milliseconds + at - window))
            }
            func follow(_ at: Int64) -> NewNotification {
                NewNotification(
                    recipientID: ann.id, kind: .follow, actorID: bob.id, postID: nil,
                    createdAt: Timestamp(milliseconds: Self.start.milliseconds + at),
                    repeatSince: Timestamp(milliseconds: Self.start.milliseconds + at - 1000))
            }
            // Within one batch: the first of each is kept.
            let first = try store.addNotifications(grouped: [[like(0)], [like(1), follow(1)], [follow(2)]])
            #expect(first.map(\.count) == [1, 1, 0], "\(first)")
            // Later, within the window: nothing; past it: kept again.
            #expect(try store.addNotifications([like(500), follow(500)]).isEmpty)
            #expect(try store.addNotifications([like(1500)]).count == 1)
            // Without a window, always kept.
            var plain = like(1600)
            plain.repeatSince = nil
            #expect(try store.addNotifications([plain]).count == 1)
            #expect(try store.notifications(of: ann.id, .latest(limit: 10)).count == 4)
        }
    }

    @Test(arguments: StoreEngine.available)
    func oneOpenReportPerReporterAndPost(_ engine: StoreEngine) throws {
        try engine.withStore { store in
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: Self.start)
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: Self.start)
            let post = try store.insertPosts([NewPost(authorID: ann.id, text: "hi", createdAt: Self.start)])[0]
            let first = try store.addReport(postID: post.id, reporterID: bob.id, reason: "spam", at: Self.start)
            #expect(first.isNew)
            let second = try store.addReport(postID: post.id, reporterID: bob.id, reason: "spam", at: Self.start)
            #expect(second.id == first.id && !second.isNew)
            #expect(try store.openReports(limit: 10).count == 1)
            #expect(try store.closeReport(first.id, by: ann.id, note: "", at: Self.start) == post.id)
            let third = try store.addReport(postID: post.id, reporterID: bob.id, reason: "again", at: Self.start)
            #expect(third.isNew && third.id != first.id)
        }
    }

    /// What stops two nodes that both found no open report: the unique index, whoever inserts.
    @Test func theDatabaseRefusesASecondOpenReportAndMigrationClosesOldDuplicates() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: Self.start)
            let post = try store.insertPosts([NewPost(authorID: ann.id, text: "hi", createdAt: Self.start)])[0]
            let insert = "INSERT INTO reports (post_id, reporter_id, reason, created_at) VALUES (?, ?, 'x', 0)"
            _ = try store.database.insert(insert, [.integer(post.id), .integer(ann.id)])
            #expect(throws: StoreError.self) {
                _ = try store.database.insert(insert, [.integer(post.id), .integer(ann.id)])
            }
            // A database from before the index, with duplicates: the migration keeps the first open.
            try store.database.execute("DROP INDEX reports_open_once")
            for _ in 0..<3 { _ = try store.database.insert(insert, [.integer(post.id), .integer(ann.id)]) }
            try store.database.execute(
                RepeatLimitsSchema.sqlite.replacingOccurrences(
                    of: "CREATE INDEX notifications_by_actor", with: "CREATE INDEX IF NOT EXISTS notifications_by_actor"
                ))
            #expect(try store.openReports(limit: 10).map(\.id) == [1])
        }
    }
}

/// The same across nodes sharing PostgreSQL: the database decides, so two nodes agree.
@Suite(
    "End to end: repeats across nodes on one PostgreSQL",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the multi-node tests were skipped"))
struct SpamLimitsClusterTests {
    private func nodes(_ count: Int, schema: PostgresTestSchema) throws -> [TestServer] {
        try (0..<count).map { _ in
            try TestServer {
                $0.databasePath = schema.uri
                $0.settings.postRate = 0
                $0.settings.socialRate = 0
                $0.statsInterval = 0
            }
        }
    }

    @Test func likesFromTwoNodesAtOnceNotifyOnceAndReportsStayOne() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema)
        let alice = try cluster[0].registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("a post")
        let bobs = [try cluster[0].registeredClient("bob"), try cluster[1].greetedClient()]
        try bobs[1].run("/login bob password1")
        for bob in bobs { try bob.run("/watch off") }
        // Both nodes at once, without waiting for the answers in between.
        let cycles = 20
        for bob in bobs {
            bob.send(Array(repeating: "/like 1\n/unlike 1\n/report 1 spam", count: cycles).joined(separator: "\n"))
        }
        for bob in bobs {
            for _ in 0..<(3 * cycles) { try bob.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") } }
        }
        let carol = try cluster[1].registeredClient("carol")
        try carol.run("/follow alice")
        let live = try alice.readUntil { $0.hasSuffix(" carol followed you") }.filter { $0.hasPrefix("~ ") }
        #expect(live.filter { $0.hasSuffix(" bob liked your post #1") }.count == 1, "\(live)")
        alice.send("/notifications")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 2 notifications, n1 to n2")
        let store = try PostgresStore(uri: schema.uri)
        defer { store.close() }
        #expect(try store.openReports(limit: 10).count == 1)
    }

    @Test func tabForgetsAnAccountDeletedOnAnotherNode() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema)
        try cluster[1].registeredClient("cathy").send("/quit")
        let carolHere = try cluster[1].registeredClient("carol")
        let carol = try cluster[0].greetedClient()
        try carol.run("/login carol password1")
        carol.send("/delete-account")
        try carol.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        carol.send("password1")
        try carol.readUntil { $0.hasPrefix("* your account carol is deleted") }
        // Node B heard of it: its session ended, and Tab there no longer offers the name.
        _ = try carolHere.readUntilClosed()
        let alice = try NewcomerTests.characterModeClient(cluster[1], firstLine: "/register alice password1")
        alice.sendBytes(Array("/profile ca\t".utf8))
        try alice.readUntilBytes(Array("\r> /profile cathy \u{1B}[K".utf8))
    }
}
