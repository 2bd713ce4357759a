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

@Suite("End to end: profiles, presence, direct messages")
struct PeopleTests {
    @Test func profilesShowBioCountsAndPresence() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        for client in [alice, bob] { try client.run("/watch off") }
        #expect(try alice.run("/bio I write Swift on Linux") == "* bio set")
        #expect(try alice.run("/bio " + String(repeating: "x", count: 161)).hasSuffix("(too_long)"))
        try alice.run("hello")
        try bob.run("/follow alice")
        #expect(try alice.run("/away at lunch") == "* you are away: at lunch; /back when you are back")

        bob.send("/profile ALICE")
        let profile = try bob.readUntil { $0.hasPrefix("* ") }
        #expect(profile[0] == "  alice: I write Swift on Linux")
        #expect(profile[1].hasSuffix("; 1 post, 1 follower, following 0"))
        #expect(profile[2] == "  online now (away: at lunch)")
        bob.send("/who")
        #expect(try bob.readUntil { $0.hasPrefix("* ") }.first == "  alice (away: at lunch)")
        #expect(try alice.run("/back") == "* welcome back")

        alice.send("/quit")
        _ = try alice.readUntilClosed()
        try server.waitFor("alice to leave") { $0.connections == 1 }
        try bob.switchToJSON()
        bob.send("/profile alice")
        let json = try bob.readJSON()
        #expect(json["type"] as? String == "profile" && json["sessions"] as? Int == 0)
        #expect((json["last_seen"] as? String)?.hasSuffix("Z") == true)
        #expect(json["bio"] as? String == "I write Swift on Linux")
    }

    @Test func directMessagesAreLiveKeptAndPrivate() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let eve = try server.registeredClient("eve")
        for client in [alice, bob, eve] { try client.run("/watch off") }
        #expect(try alice.run("/msg bob the secret is 42") == "* message #1 sent to bob")
        #expect(try bob.readLine().hasSuffix("alice → bob: the secret is 42"))
        // Kept for someone offline, and counted as unread.
        eve.send("/quit")
        _ = try eve.readUntilClosed()
        #expect(try bob.run("/msg eve for later") == "* message #2 sent to eve")

        let eveAgain = try server.greetedClient()
        try eveAgain.run("/login eve password1")
        #expect(try eveAgain.readLine().hasSuffix("): 1 unread message (/inbox)"))
        #expect(try eveAgain.run("/inbox") == "* 1 conversation, 1 unread; /inbox NAME reads one")
        eveAgain.send("/inbox bob")
        let conversation = try eveAgain.readUntil { $0.hasPrefix("* ") }
        #expect(conversation.first?.hasSuffix("bob → eve: for later") == true)
        #expect(try eveAgain.run("/inbox") == "* 1 conversation, 0 unread; /inbox NAME reads one")

        // Never anywhere else: not in listings, not in search, not in someone else's inbox.
        eveAgain.send("/search secret")
        #expect(try eveAgain.readLine() == "* nothing found")
        eveAgain.send("/inbox alice")
        #expect(try eveAgain.readLine() == "* 0 messages with alice")
        eveAgain.send("/feed")
        #expect(try eveAgain.readLine() == "* no posts yet; be the first")

        // Nothing typed after the name: a usage error that says so, not a post's `empty_post` (issue 25).
        #expect(try bob.run("/msg alice") == "! nothing to send to alice: /msg alice TEXT (bad_usage)")
        #expect(try bob.run("/msg bob hi me").hasSuffix("(bad_usage)"))
        #expect(try bob.run("/msg nobody hi").hasSuffix("(no_such_user)"))
    }
}

@Suite("End to end: catching up")
struct CatchUpTests {
    @Test func loginSummarisesWhatHappenedAndCatchupShowsIt() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let carol = try server.registeredClient("carol")
        alice.send("/follow bob")
        _ = try alice.readLine()
        alice.send("/quit")
        _ = try alice.readUntilClosed()
        try server.waitFor("alice to leave") { $0.connections == 2 }
        // Let a millisecond pass, so everything below is strictly after alice was last seen.
        let leftAt = Date()
        while Date().timeIntervalSince(leftAt) < 0.002 {}

        for (client, line) in [
            (bob, "bob while alice is away"), (carol, "carol says hi @alice"), (bob, "/msg alice call me"),
            (carol, "/follow alice"), (carol, "carol, not followed, no mention"),
        ] {
            client.send(line)
            try client.readUntil { $0.hasPrefix("* ") }
        }

        let back = try server.greetedClient()
        back.send("/login alice password1")
        #expect(try back.readLine() == "* welcome back, alice")
        // One sentence, wrapped at words to 80 columns.
        let summary = try back.readJoined { $0.hasSuffix("(/inbox)") }
        #expect(summary.hasPrefix("* while you were away (since "))
        #expect(
            summary.hasSuffix(
                "1 new post from people you follow, 1 mention, new follower carol (/catchup); 1 unread message (/inbox)"
            ))
        back.send("/catchup")
        let lines = try back.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 4)
        #expect(lines[0] == "  new follower: carol (online)")
        #expect(lines[1].hasSuffix("bob: bob while alice is away"))
        #expect(lines[2].hasSuffix("carol: carol says hi @alice"))
        #expect(lines[3] == "* 2 posts and 1 new follower since you were last here; 1 unread message: /inbox")

        let fresh = try server.registeredClient("dave")
        fresh.send("/catchup")
        #expect(try fresh.readLine().hasPrefix("* nothing to catch up on"))
    }
}

@Suite("End to end: colour")
struct ColorModeTests {
    @Test func colourIsOptInAndNeverInJSON() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        bob.send("/color on")
        #expect(try bob.readLine() == "* colour on")
        alice.send("hey @bob")
        try alice.readUntil { $0.hasPrefix("* posted") }
        let line = try bob.readLine()
        #expect(line.contains(TextColors.name("alice")) && line.contains("\u{1B}[1;7m@bob\u{1B}[0m"))
        try bob.switchToJSON()
        alice.send("plain for bots")
        try alice.readUntil { $0.hasPrefix("* posted") }
        let json = try bob.readLineBytes()
        #expect(!json.contains(0x1B))
    }
}
