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

/// What a user found wrong in the social layer, kept fixed.
@Suite("End to end: social layer regressions")
struct SocialRegressionTests {
    @Test func anyLeadingWhitespaceBeforeASlashStillMakesACommand() throws {
        let server = try TestServer()
        let carol = try server.registeredClient("carol")
        for prefix in ["\u{0C}", "\u{0B}", "\u{A0}", "\u{3000}"] {
            #expect(try carol.run(prefix + "/who").hasPrefix("* 1 user online"))
        }
        carol.send("/feed")
        #expect(try carol.readLine() == "* no posts yet; be the first")
    }

    @Test func mutingHidesRepostsOfTheMutedToo() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let carol = try server.registeredClient("carol")
        let bob = try server.registeredClient("bob")
        for client in [carol, bob] { try client.run("/watch off") }
        try alice.run("/mute carol")
        try carol.run("carol original")
        try bob.run("/repost 1")
        try bob.run("bob's own")
        // Neither the post nor its repost reached alice; bob's own post did.
        #expect(try alice.readLine().hasSuffix("bob: bob's own"))
        alice.send("/feed")
        let feed = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(feed.count == 2 && feed[0].hasSuffix("bob: bob's own"))
    }

    @Test func catchUpIgnoresMutedAccountsAndTheInboxDoesNotReadThem() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let carol = try server.registeredClient("carol")
        let bob = try server.registeredClient("bob")
        try alice.run("/mute carol")
        try alice.run("/follow bob")
        try alice.run("/quit")
        try server.waitFor("alice to leave") { $0.connections == 2 }
        let leftAt = Date()
        while Date().timeIntervalSince(leftAt) < 0.002 {}
        for line in ["hi @alice", "/msg alice psst", "/follow alice"] { try carol.run(line) }
        try bob.run("bob was here")

        let back = try server.greetedClient()
        #expect(try back.run("/login alice password1") == "* welcome back, alice")
        // Nothing of carol's is counted: not her mention, her message, or her following.
        #expect(
            try back.readJoined { $0.hasSuffix("(/catchup)") }.hasSuffix("): 1 new post from people you follow (/catchup)"))
        back.send("/catchup")
        #expect(
            try back.readUntil { $0.hasPrefix("* ") }.last == "* 1 post and 0 new followers since you were last here")
        #expect(try back.run("/inbox carol") == "* you muted carol; /unmute carol to read your messages")
        try back.run("/unmute carol")
        #expect(try back.run("/inbox") == "* 1 conversation, 1 unread; /inbox NAME reads one")
    }

    @Test func watchAllPointsAtWhatWasMissedAndTheChoiceIsKept() throws {
        let server = try TestServer()
        let grace = try server.registeredClient("grace")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        try bob.run("first")
        try grace.run("/watch off")
        try bob.run("while grace looked away")
        try grace.run("grace's own post")
        #expect(try grace.run("/watch all") == "* live feed on; posts made meanwhile: /feed since 1")

        // A guest's choice becomes the account's when it registers.
        let guest = try server.greetedClient()
        try guest.run("/watch off")
        try guest.run("/watch #go")
        try guest.run("/register frank password1")
        let frank = try server.greetedClient()
        try frank.run("/login frank password1")
        #expect(try frank.run("/watch") == "* live feed: posts tagged #go")
    }

    @Test func threadsOfRepostsAndDeletedRootsAndSearchAcrossPunctuation() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("the root, café bon")
        try alice.run("/reply 1 an answer")
        try alice.run("/repost 1")
        alice.send("/thread 3")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 2 posts in the conversation")
        try alice.run("/delete 1")
        alice.send("/thread 1")
        let lines = try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        #expect(lines.first == "#1 [deleted]" && lines.last == "* 2 posts in the conversation")
        try alice.run("café again, NEAR the bon")
        alice.send("/search NEAR(cafe bon)")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 1 found, best first")
    }

    /// Issue 15: a search finds a word inside a sentence of a language written without spaces.
    @Test func searchFindsJapaneseInsideASentence() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("今日は日本語の勉強をしました")
        try alice.run("something else entirely")
        alice.send("/search 日本語")
        let lines = try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        #expect(lines.last == "* 1 found, best first", "\(lines)")
        #expect(lines.contains { $0.contains("今日は日本語の勉強をしました") }, "\(lines)")
        alice.send("/search 勉強")
        #expect(try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last == "* 1 found, best first")
    }
}
