import Foundation
import Testing

@testable import MicroblogCore

@Suite("End to end: replies, threads, likes, reposts, deletion")
struct ThreadTests {
    /// Sends `line` and returns the reply line that ends it (skipping live posts).
    @discardableResult
    private func run(_ line: String, on client: TestClient) throws -> String {
        client.send(line)
        return try client.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last ?? ""
    }

    @Test func aConversationReadsAsATree() throws {
        let server = try TestServer { $0.settings.postRate = 0 }
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        for client in [alice, bob] { try run("/watch off", on: client) }
        #expect(try run("root post", on: alice) == "* posted #1")
        #expect(try run("/reply 1 first answer", on: bob) == "* posted #2, a reply to #1")
        #expect(try run("/reply #2 answer to the answer", on: alice) == "* posted #3, a reply to #2")
        #expect(try run("/reply 1 second answer", on: bob) == "* posted #4, a reply to #1")
        #expect(try run("unrelated", on: bob) == "* posted #5")

        alice.send("/thread 3")
        let lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("#1 ") && lines[0].hasSuffix("alice: root post"))
        #expect(lines[1].hasPrefix("  └ #2 ") && lines[1].hasSuffix("bob: first answer"))
        #expect(lines[2].hasPrefix("    └ #3 ") && lines[2].hasSuffix("alice: answer to the answer"))
        #expect(lines[3].hasPrefix("  └ #4 "))
        #expect(lines[4] == "* 4 posts in the conversation")
        // Outside a thread a reply says what it answers.
        alice.send("/feed before 3 1")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.first?.contains("bob (re #1 alice): first answer") == true)

        #expect(try run("/thread 99", on: alice) == "! there is no post #99 (no_such_post)")
        #expect(try run("/reply 99 hello?", on: alice) == "! there is no post #99 (no_such_post)")
    }

    @Test func likesAreCountedWhereverPostsAreListed() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        try run("/watch off", on: alice)
        try run("likeable", on: alice)
        #expect(try run("/like 1", on: bob) == "* you like #1 (1 like)")
        #expect(try run("/like 1", on: bob) == "* you already like #1 (1 like)")
        #expect(try run("/like 1", on: alice) == "* you like #1 (2 likes)")
        alice.send("/feed")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.first?.hasSuffix("alice: likeable (2 likes)") == true)
        #expect(try run("/unlike 1", on: bob) == "* you no longer like #1 (1 like)")
        try bob.switchToJSON()
        bob.send("/posts alice")
        #expect(try bob.readJSON()["likes"] as? Int == 1)
    }

    @Test func repostsShareTheOriginalAndDeletionTakesThemAlong() throws {
        let server = try TestServer { $0.settings.admins = [AccountRules.nameKey("mod")] }
        let alice = try server.registeredClient("alice")
        let carol = try server.registeredClient("carol")
        let moderator = try server.registeredClient("mod")
        let watcher = try server.greetedClient()
        for client in [alice, carol, moderator] { try run("/watch off", on: client) }
        try run("worth sharing", on: alice)
        #expect(try watcher.readLine().hasSuffix("alice: worth sharing"))
        #expect(try run("/repost 1", on: carol) == "* reposted #1 as #2")
        #expect(try watcher.readLine().hasSuffix("carol reposted #1 alice: worth sharing"))
        #expect(try run("/repost 2", on: carol) == "* you already reposted #1")

        #expect(try run("/delete 1", on: carol) == "! you can only delete your own posts (forbidden)")
        #expect(try run("/delete 1", on: alice) == "* deleted #1")
        #expect(try watcher.readLine() == "* deleted: #1, #2")
        watcher.send("/feed")
        #expect(try watcher.readLine() == "* no posts yet; be the first")
        #expect(try run("/like 1", on: carol) == "! there is no post #1 (no_such_post)")

        // An administrator may delete anyone's post.
        try watcher.switchToJSON()
        try run("second thoughts", on: carol)
        #expect(try watcher.readJSON()["text"] as? String == "second thoughts")
        #expect(try run("/delete 3", on: moderator) == "* deleted #3")
        let deleted = try watcher.readJSON()
        #expect(deleted["type"] as? String == "deleted" && deleted["ids"] as? [Int] == [3])
    }

    @Test func searchFindsWordsBestFirstAndSurvivesHostileInput() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try run("/watch off", on: alice)
        try run("learning Swift today", on: alice)
        try run("swift swift swift", on: alice)
        alice.send("/search SWIFT")
        let lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 3 && lines[0].hasSuffix("swift swift swift"))
        #expect(lines.last == "* 2 found, best first")
        for hostile in ["\"", "*", "NEAR(a b)", "((", "a AND", "x:y", "'; DROP TABLE posts;--"] {
            #expect(try run("/search \(hostile)", on: alice) == "* nothing found", "\(hostile)")
        }
        #expect(try run("/search", on: alice).hasSuffix("(bad_usage)"))
    }
}

@Suite("End to end: moderation")
struct ModerationTests {
    @Test func administratorsBanAndUnbanAndEveryActionIsKept() throws {
        let server = try TestServer { $0.settings.admins = [AccountRules.nameKey("mod")] }
        let moderator = try server.registeredClient("mod")
        let spammer = try server.registeredClient("spammer")
        let bystander = try server.registeredClient("bystander")
        bystander.send("/ban spammer no")
        #expect(try bystander.readUntil { $0.hasPrefix("! ") }.last == "! only administrators can ban (forbidden)")
        moderator.send("/ban mod myself")
        #expect(try moderator.readUntil { $0.hasPrefix("! ") }.last == "! administrators cannot be banned (forbidden)")

        moderator.send("/ban SPAMMER selling pills")
        #expect(try moderator.readUntil { $0.hasPrefix("* ") }.last == "* spammer is banned")
        #expect(try spammer.readUntilClosed().last == "* your account is banned: selling pills")
        let again = try server.greetedClient()
        again.send("/login spammer password1")
        #expect(try again.readLine() == "! this account is banned: selling pills (banned)")
        // Someone without the password learns nothing about the ban.
        again.send("/login spammer wrong-password")
        #expect(try again.readLine() == "! wrong name or password (bad_login)")

        moderator.send("/unban spammer")
        #expect(try moderator.readUntil { $0.hasPrefix("* ") }.last == "* spammer may log in again")
        again.send("/login spammer password1")
        #expect(try again.readLine() == "* welcome back, spammer")

        // The actions are in the database.
        try server.stop()
        let store = try SQLiteStore(path: server.databasePath)
        let log = try store.moderationLog(limit: 10)
        #expect(log.count == 2)
        #expect(log[0].contains(" mod unban spammer "))
        #expect(log[1].contains(" mod ban spammer ") && log[1].hasSuffix("selling pills"))
    }
}
