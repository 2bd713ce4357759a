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

@Suite("End to end: accounts and the live feed")
struct LiveFeedTests {
    @Test func greetingShowsHowToStartAndTheLatestPosts() throws {
        // Twelve posts in a row are more than the default posting burst allows.
        let server = try TestServer { $0.settings.postRate = 0 }
        let client = try server.client()
        let lines = try client.readUntil { $0.contains("new posts appear below") }
        #expect(lines.first?.hasPrefix("* welcome to microblogd") == true)
        #expect(lines.contains { $0.contains("/help") })
        #expect(lines.contains("* no posts yet"))

        let alice = try server.registeredClient("alice")
        for number in 1...12 {
            alice.send("post \(number)")
            try alice.readUntil { $0.hasPrefix("* posted #") }
        }
        let later = try server.client()
        let greeting = try later.readUntil { $0.contains("new posts appear below") }
        let posts = greeting.filter { $0.hasPrefix("#") }
        #expect(posts.count == 10)
        #expect(posts.first?.hasSuffix("alice: post 3") == true)
        #expect(posts.last?.hasSuffix("alice: post 12") == true)
    }

    @Test func postsReachOtherUsersAndAnonymousWatchersLive() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.greetedClient()
        bob.send("/register Bob password2")
        try bob.readUntil { $0 == "* welcome, Bob! you are registered and logged in" }
        bob.send("/logout")
        bob.send("/login bob password2")
        try bob.readUntil { $0 == "* welcome back, Bob" }
        let guest = try server.greetedClient()

        alice.send("hello from alice")
        let ack = try alice.readLine()
        #expect(ack.hasPrefix("* posted #"))
        let id = try #require(Int(ack.dropFirst("* posted #".count)))

        let seenByBob = try bob.readLine()
        #expect(seenByBob.wholeMatch(of: /#\d+ \d\d:\d\d alice: hello from alice/) != nil, "\(seenByBob)")
        #expect(seenByBob.hasPrefix("#\(id) "))
        let seenByGuest = try guest.readLine()
        #expect(seenByGuest.hasPrefix("#\(id) "))
        #expect(seenByGuest.hasSuffix(" alice: hello from alice"))

        // The author is acknowledged instead of receiving the live copy: the next line is the reply to /who.
        alice.send("/who")
        let who = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(who == ["  alice", "  Bob", "* 2 users online, 1 guest"])

        bob.send("/post   second, with /post  ")
        try bob.readUntil { $0.hasPrefix("* posted #") }
        #expect(try alice.readLine().hasSuffix(" Bob: second, with /post"))
        bob.send("//slash at the start")
        try bob.readUntil { $0.hasPrefix("* posted #") }
        #expect(try alice.readLine().hasSuffix(" Bob: /slash at the start"))
    }

    @Test func watchOffStopsTheLiveFeedAndWatchOnResumesIt() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let watcher = try server.greetedClient()
        watcher.send("/watch off")
        #expect(try watcher.readLine() == "* live feed off; /watch on to resume")

        alice.send("unseen")
        try alice.readUntil { $0.hasPrefix("* posted #") }
        // The broadcast for "unseen" was handed out before the acknowledgement above, so had the watcher
        // been subscribed, the post would arrive before this reply.
        watcher.send("/watch on")
        #expect(try watcher.readLine() == "* live feed on; posts made meanwhile: /feed since 0")

        alice.send("seen")
        try alice.readUntil { $0.hasPrefix("* posted #") }
        #expect(try watcher.readLine().hasSuffix(" alice: seen"))
    }

    @Test func feedPagesBackAndResumesSinceAnID() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        var ids: [Int] = []
        for number in 1...5 {
            alice.send("note \(number)")
            let ack = try alice.readLine()
            ids.append(try #require(Int(ack.dropFirst("* posted #".count))))
        }
        alice.send("/feed 2")
        var lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix("note 4") && lines[1].hasSuffix("note 5"))
        #expect(lines[2] == "* 2 posts, #\(ids[3]) to #\(ids[4]); older: /feed before \(ids[3])")

        alice.send("/feed before \(ids[3]) 2")
        lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.map { $0.suffix(6) } == ["note 2", "note 3", lines[2].suffix(6)])

        alice.send("/feed since #\(ids[1])")
        lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.dropLast().map { String($0.suffix(6)) } == ["note 3", "note 4", "note 5"])
        #expect(lines.last == "* 3 posts, #\(ids[2]) to #\(ids[4])")

        alice.send("/feed since \(ids[4])")
        #expect(try alice.readLine() == "* no posts since #\(ids[4])")
    }

    @Test func linesMayEndWithCRLFOrCRNULOrCR() throws {
        let server = try TestServer()
        let alice = try server.greetedClient()
        alice.send("/register alice password1", ending: "\r\n")
        try alice.readUntil { $0.contains("registered") }
        alice.sendBytes(Array("one\r\0two\rthree\r".utf8))
        let acks = try alice.readUntil { $0.hasPrefix("* posted #3") }
        #expect(acks.count == 3)
        alice.send("/feed 3")
        let lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.dropLast().map { $0.split(separator: ":").last.map(String.init) } == [" one", " two", " three"])
    }

    @Test func pipelinedCommandsAreAnsweredInOrder() throws {
        let server = try TestServer()
        let setup = try server.registeredClient("bot")
        setup.send("/quit")
        _ = try setup.readUntilClosed()

        let bot = try server.greetedClient()
        // All in one write: the post must wait for the login (which waits for hashing) to finish.
        bot.send("/login bot password1\nfirst\nsecond\n/feed 2\n/quit")
        let lines = try bot.readUntilClosed()
        #expect(lines.count == 7)
        #expect(lines[0] == "* welcome back, bot")
        #expect(lines[1].hasPrefix("* posted #1"))
        #expect(lines[2].hasPrefix("* posted #2"))
        #expect(lines[3].hasSuffix("bot: first"))
        #expect(lines[4].hasSuffix("bot: second"))
        #expect(lines[5].hasPrefix("* 2 posts"))
        #expect(lines[6] == "* goodbye")
    }

    @Test func endOfInputFinishesTheRepliesThenCloses() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        client.send("/register scripted password1\nposted by a script\n/feed 1")
        client.shutdownWrite()
        let lines = try client.readUntilClosed()
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("* posted #"))
        #expect(lines[2].hasSuffix("scripted: posted by a script"))
    }

    @Test func helpListsEveryCommandAndExplainsOne() throws {
        let server = try TestServer(configure: { $0.settings.admins = ["root"] })
        let client = try server.registeredClient("root")
        client.send("/help")
        let topics = try client.readUntil { $0.hasPrefix("* /help COMMAND") }
        for spec in CommandTable.all {
            let topic = (spec.topic ?? .other).rawValue
            #expect(topics.contains { $0.hasPrefix("  \(topic) ") }, "missing topic \(topic)")
            client.send("/help \(topic)")
            let listed = try client.readUntil { $0.hasPrefix("* /help COMMAND") }
            // The usage in a list is the usage of /help COMMAND: every form.
            let usage = "  " + spec.usage.joined(separator: " | ")
            #expect(listed.contains { $0.hasPrefix(usage) }, "\(spec.name) in /help \(topic): \(listed)")
        }
        client.send("/HELP /feed")
        let feed = try client.readUntil { $0.hasPrefix("* ") }
        #expect(feed.contains("  /feed since ID [N]"))
    }

    @Test func postsSurviveARestart() throws {
        let directory = try TemporaryDirectory()
        var server: TestServer? = try TestServer(directory: directory)
        let alice = try #require(server).registeredClient("alice")
        alice.send("still here after a restart")
        let ack = try alice.readLine()
        try server?.stop()
        #expect(try alice.readUntilClosed().last == "* the server is shutting down; goodbye")
        server = nil

        let restarted = try TestServer(directory: directory)
        let client = try restarted.greetedClient()
        client.send("/login alice password1")
        #expect(try client.readLine() == "* welcome back, alice")
        client.send("/feed")
        let lines = try client.readUntil { $0.hasPrefix("* ") }
        #expect(lines.first?.hasPrefix("#" + ack.dropFirst("* posted #".count) + " ") == true)
        #expect(lines.first?.hasSuffix("alice: still here after a restart") == true)
    }

    @Test func aLastLineWithoutALineEndIsStillRun() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        client.sendBytes(Array("/register closer password1\nlast words".utf8))
        client.shutdownWrite()
        let lines = try client.readUntilClosed()
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("* posted #") == true)
    }

    @Test func feedSaysWhetherAnotherPageExists() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        for number in 1...3 {
            alice.send("note \(number)")
            try alice.readUntil { $0.hasPrefix("* posted #") }
        }
        alice.send("/feed 3")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 3 posts, #1 to #3")
        alice.send("/feed 2")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 2 posts, #2 to #3; older: /feed before 2")
        alice.send("/feed since 0 2")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 2 posts, #1 to #2; newer: /feed since 2")
        alice.send("/feed since 1 2")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.last == "* 2 posts, #2 to #3")
        try alice.switchToJSON()
        alice.send("/feed 2")
        let ok = try alice.readJSONUntil { $0["type"] as? String == "ok" }.last
        #expect(ok?["more"] as? Bool == true)
    }

    @Test func pipelinedPostsShareACommitAndAreAcknowledgedInOrder() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
        }
        let bot = try server.registeredClient("bot")
        bot.send((1...50).map { "post \($0)" }.joined(separator: "\n") + "\n/who")
        let replies = try bot.readUntil { $0.hasPrefix("* 1 user online") }
        let acks = replies.filter { $0.hasPrefix("* posted #") }
        #expect(acks == (1...50).map { "* posted #\($0)" })
        // The /who came after every acknowledgement, and the posts did not go one commit each.
        #expect(replies.firstIndex { $0.hasPrefix("* 1 user online") } == replies.count - 1)
        #expect(server.server.stats().largestCommit > 1)
    }
}
