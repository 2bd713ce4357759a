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

@Suite("End to end: following and timelines")
struct SocialTests {
    @Test func followShapesTheTimeline() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let carol = try server.registeredClient("carol")
        for (client, text) in [(alice, "alice speaks"), (bob, "bob speaks"), (carol, "carol speaks")] {
            client.send(text)
            try client.readUntil { $0.hasPrefix("* posted #") }
        }

        alice.send("/follow BOB")
        #expect(try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last == "* you now follow bob")
        alice.send("/follow bob")
        #expect(try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last == "* you already follow bob")
        alice.send("/timeline")
        var lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(
            lines.filter { $0.hasPrefix("#") }.map { String($0.split(separator: " ", maxSplits: 2)[2]) } == [
                "alice: alice speaks", "bob: bob speaks",
            ])
        #expect(lines.last == "* 2 posts, #1 to #2")

        alice.send("/following")
        #expect(try alice.readUntil { $0.hasPrefix("* ") } == ["  bob (online)", "* alice follows 1 account"])
        carol.send("/followers bob")
        #expect(try carol.readUntil { $0.hasPrefix("* ") } == ["  alice (online)", "* bob has 1 follower"])

        alice.send("/unfollow bob")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* you no longer follow bob")
        alice.send("/timeline")
        lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 2 && lines[0].hasSuffix("alice: alice speaks"))
    }

    @Test func postsListsOnePersonAndPagesByName() throws {
        let server = try TestServer { $0.settings.postRate = 0 }
        let bob = try server.registeredClient("bob")
        let reader = try server.greetedClient()
        reader.send("/watch off")
        _ = try reader.readLine()
        for number in 1...3 {
            bob.send("bob \(number)")
            try bob.readUntil { $0.hasPrefix("* posted #") }
        }
        reader.send("/posts Bob 2")
        let lines = try reader.readUntil { $0.hasPrefix("* ") }
        #expect(lines.dropLast().map { String($0.suffix(5)) } == ["bob 2", "bob 3"])
        #expect(lines.last == "* 2 posts, #2 to #3; older: /posts bob before 2")
        reader.send("/posts bob before 2")
        #expect(try reader.readUntil { $0.hasPrefix("* ") }.last == "* 1 post, #1 to #1")
    }

    @Test func socialErrors() throws {
        let server = try TestServer()
        let guest = try server.greetedClient()
        try guest.switchToJSON()
        func error(_ line: String) throws -> [String: Any] {
            guest.send(line)
            return try guest.readJSON()
        }
        #expect(try error("/follow bob")["code"] as? String == "not_logged_in")
        #expect(try error("/timeline")["code"] as? String == "not_logged_in")
        #expect(try error("/following")["code"] as? String == "not_logged_in")
        #expect(try error("/posts nobody")["code"] as? String == "no_such_user")
        #expect(try error("/followers x!")["code"] as? String == "no_such_user")
        guest.send("/register dana password1")
        _ = try guest.readJSON()
        #expect(try error("/follow nobody")["code"] as? String == "no_such_user")
        let selfFollow = try error("/follow DANA")
        #expect(selfFollow["code"] as? String == "bad_usage")
        #expect(selfFollow["command"] as? String == "follow")
        guest.send("/following")
        let empty = try guest.readJSON()
        #expect(empty["type"] as? String == "ok" && (empty["count"] as? Int) == 0)
    }
}

@Suite("End to end: mentions and hashtags")
struct ConversationTests {
    @Test func aMentionReachesItsTargetEvenWithTheFeedOff() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        bob.send("/watch off")
        _ = try bob.readLine()
        alice.send("not for bob")
        try alice.readUntil { $0.hasPrefix("* posted") }
        alice.send("hey @Bob, look at #Swift")
        try alice.readUntil { $0.hasPrefix("* posted") }
        // The first thing bob receives is the mention, not the post before it.
        #expect(try bob.readLine().hasSuffix("alice: hey @Bob, look at #Swift"))

        try bob.switchToJSON()
        bob.send("/mentions")
        // The mention's live notification may come first: it is not part of the listing.
        let mentions = try bob.readJSONUntil { $0["type"] as? String == "ok" }.filter {
            $0["type"] as? String != "notification"
        }
        #expect(mentions.count == 2)
        #expect(mentions[0]["mentions"] as? [String] == ["bob"])
        #expect(mentions[0]["tags"] as? [String] == ["swift"])

        bob.send("/tag SWIFT")
        let tagged = try bob.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(tagged.count == 2 && tagged[0]["text"] as? String == "hey @Bob, look at #Swift")

        bob.send("/trending")
        let trending = try bob.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(trending.first?["type"] as? String == "tag")
        #expect(trending.first?["tag"] as? String == "swift" && trending.first?["posts"] as? Int == 1)
    }

    @Test func trendingInText() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        for text in ["#a1 #b2", "#b2 again"] {
            alice.send(text)
            try alice.readUntil { $0.hasPrefix("* posted") }
        }
        alice.send("/trending")
        #expect(
            try alice.readUntil { $0.hasPrefix("* ") } == [
                "  #b2 (2 posts)", "  #a1 (1 post)", "* the most used hashtags of the last 24 hours",
            ])
        alice.send("/mentions")
        #expect(try alice.readLine() == "* no posts")
    }
}

@Suite("End to end: watching and muting")
struct WatchTests {
    @Test func watchFollowingAndTagsAndTheChoiceIsRemembered() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let carol = try server.registeredClient("carol")
        alice.send("/follow bob")
        _ = try alice.readLine()
        alice.send("/watch following")
        #expect(try alice.readLine() == "* live feed: your posts and those of people you follow")
        alice.send("/watch #swift")
        #expect(
            try alice.readLine() == "* live feed: your posts and those of people you follow, and posts tagged #swift")

        try carol.run("carol, not followed")
        try carol.run("carol on #Swift")
        try bob.run("bob, followed")
        #expect(try alice.readLine().hasSuffix("carol: carol on #Swift"))
        #expect(try alice.readLine().hasSuffix("bob: bob, followed"))

        // The choice belongs to the account: a new session of alice starts with it.
        let again = try server.greetedClient()
        again.send("/login alice password1")
        _ = try again.readLine()
        again.send("/watch")
        #expect(
            try again.readLine() == "* live feed: your posts and those of people you follow, and posts tagged #swift")
        try again.switchToJSON()
        again.send("/watch -#swift")
        let ok = try again.readJSON()
        #expect(ok["watch"] as? String == "following" && ok["watching"] as? Bool == true)

        let guest = try server.greetedClient()
        guest.send("/watch following")
        #expect(try guest.readWrapped(error: guest.readLine()).hasSuffix("(not_logged_in)"))
    }

    @Test func mutedAuthorsVanishLiveAndFromListings() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let troll = try server.registeredClient("troll")
        let bob = try server.registeredClient("bob")
        alice.send("/mute TROLL")
        #expect(try alice.readLine() == "* troll is muted: you will not see their posts")
        try troll.run("noise @alice")
        try bob.run("signal")
        // Not even a mention from a muted account gets through.
        #expect(try alice.readLine().hasSuffix("bob: signal"))
        alice.send("/feed")
        let feed = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(feed.count == 2 && feed[0].hasSuffix("bob: signal"))
        alice.send("/unmute troll")
        #expect(try alice.readLine() == "* troll is no longer muted")
        alice.send("/feed")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.count == 3)
    }
}
