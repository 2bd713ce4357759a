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

@Suite("End to end: replies, threads, likes, reposts, deletion")
struct ThreadTests {
    /// Sends `line` and returns the reply line that ends it (skipping live posts).
    @Test func aConversationReadsAsATree() throws {
        let server = try TestServer { $0.settings.postRate = 0 }
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        for client in [alice, bob] { try client.run("/watch off") }
        #expect(try alice.run("root post") == "* posted #1")
        #expect(try bob.run("/reply 1 first answer") == "* posted #2, a reply to #1")
        #expect(try alice.run("/reply #2 answer to the answer") == "* posted #3, a reply to #2")
        #expect(try bob.run("/reply 1 second answer") == "* posted #4, a reply to #1")
        #expect(try bob.run("unrelated") == "* posted #5")

        alice.send("/thread 3")
        // Live notifications of bob's replies may come in between.
        let lines = try alice.readUntil { $0.hasPrefix("* ") }.filter { !$0.hasPrefix("~ ") }
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("#1 ") && lines[0].hasSuffix("alice: root post"))
        #expect(lines[1].hasPrefix("  └ #2 ") && lines[1].hasSuffix("bob: first answer"))
        #expect(lines[2].hasPrefix("    └ #3 ") && lines[2].hasSuffix("alice: answer to the answer"))
        #expect(lines[3].hasPrefix("  └ #4 "))
        #expect(lines[4] == "* 4 posts in the conversation")
        // Outside a thread a reply says what it answers.
        alice.send("/feed before 3 1")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.first?.contains("bob (re #1 alice): first answer") == true)

        #expect(try alice.run("/thread 99") == "! there is no post #99 (no_such_post)")
        #expect(try alice.run("/reply 99 hello?") == "! there is no post #99 (no_such_post)")
    }

    @Test func likesAreCountedWhereverPostsAreListed() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        try alice.run("/watch off")
        try alice.run("likeable")
        #expect(try bob.run("/like 1") == "* you like #1 (1 like)")
        #expect(try bob.run("/like 1") == "* you already like #1 (1 like)")
        #expect(try alice.run("/like 1") == "* you like #1 (2 likes)")
        alice.send("/feed")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.first?.hasSuffix("alice: likeable (2 likes)") == true)
        #expect(try bob.run("/unlike 1") == "* you no longer like #1 (1 like)")
        try bob.switchToJSON()
        bob.send("/posts alice")
        #expect(try bob.readJSON()["likes"] as? Int == 1)
        _ = try bob.readJSON()  // the listing's ok
        // A like that changes nothing says so, as the text does with "already".
        bob.send("/like 1")
        #expect(try bob.readJSON()["changed"] as? Bool == true)
        bob.send("/like 1")
        let again = try bob.readJSON()
        #expect(again["type"] as? String == "ok" && again["changed"] as? Bool == false, "\(again)")
    }

    @Test func repostsShareTheOriginalAndDeletionTakesThemAlong() throws {
        let server = try TestServer { $0.settings.admins = ["mod"] }
        let alice = try server.registeredClient("alice")
        let carol = try server.registeredClient("carol")
        let moderator = try server.registeredClient("mod")
        let watcher = try server.greetedClient()
        for client in [alice, carol, moderator] { try client.run("/watch off") }
        try alice.run("worth sharing")
        #expect(try watcher.readLine().hasSuffix("alice: worth sharing"))
        #expect(try carol.run("/repost 1") == "* reposted #1 as #2")
        #expect(try watcher.readLine().hasSuffix("carol reposted #1 alice: worth sharing"))
        #expect(try carol.run("/repost 2") == "* you already reposted #1")

        #expect(try carol.run("/delete 1") == "! you can only delete your own posts (forbidden)")
        #expect(try alice.run("/delete 1") == "* deleted #1")
        #expect(try watcher.readLine() == "* deleted: #1, #2")
        watcher.send("/feed")
        #expect(try watcher.readLine() == "* no posts yet; be the first")
        #expect(try carol.run("/like 1") == "! there is no post #1 (no_such_post)")

        // An administrator may delete anyone's post.
        try watcher.switchToJSON()
        try carol.run("second thoughts")
        #expect(try watcher.readJSON()["text"] as? String == "second thoughts")
        #expect(try moderator.run("/delete 3") == "* deleted #3")
        let deleted = try watcher.readJSON()
        #expect(deleted["type"] as? String == "deleted" && deleted["ids"] as? [Int] == [3])
    }

    @Test func searchFindsWordsBestFirstAndSurvivesHostileInput() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("learning Swift today")
        try alice.run("swift swift swift")
        alice.send("/search SWIFT")
        let lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 3 && lines[0].hasSuffix("swift swift swift"))
        #expect(lines.last == "* 2 found, best first")
        for hostile in ["NEAR(a b)", "a AND", "x:y", "'; DROP TABLE posts;--"] {
            let answer = try alice.run("/search \(hostile)")
            #expect(answer == "* nothing found", "\(hostile): \(answer)")
        }
        // Nothing to search for: said, not searched.
        for wordless in ["\"", "*", "(("] {
            let answer = try alice.run("/search \(wordless)")
            #expect(answer.hasSuffix("(bad_query)"), "\(wordless): \(answer)")
        }
        #expect(try alice.run("/search").hasSuffix("(bad_usage)"))
    }
}

@Suite("End to end: moderation")
struct ModerationTests {
    @Test func administratorsBanAndUnbanAndEveryActionIsKept() throws {
        let server = try TestServer { $0.settings.admins = ["mod"] }
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
        let log = try store.moderationRows(limit: 10)
        #expect(log.count == 2)
        #expect(log[0].contains(" mod unban spammer "))
        #expect(log[1].contains(" mod ban spammer ") && log[1].hasSuffix("selling pills"))
    }
}
