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

/// Issue 15: notifications of follows, likes, reposts, replies and mentions; `/notify`, `/notifications`,
/// the login catch-up's counts, and `/bell`.
@Suite("End to end: notifications and the bell")
struct NotificationTests {
    private func quietServer() throws -> TestServer {
        try TestServer { $0.settings.postRate = 0 }
    }

    /// Reads until a notification line (`~ `) and returns it.
    private func nextNotification(_ client: TestClient) throws -> String {
        try client.readUntil { $0.hasPrefix("~ ") }.last ?? ""
    }

    @Test func eachKindArrivesLiveAsOneLine() throws {
        let server = try quietServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        #expect(try alice.run("a post by alice") == "* posted #1")

        try bob.run("/follow alice")
        #expect(try nextNotification(alice).hasSuffix(" bob followed you"))
        try bob.run("/like 1")
        #expect(try nextNotification(alice).hasSuffix(" bob liked your post #1"))
        try bob.run("/repost 1")
        #expect(try nextNotification(alice).hasSuffix(" bob reposted your post #1"))
        #expect(try bob.run("/reply 1 no at sign here") == "* posted #3, a reply to #1")
        #expect(try nextNotification(alice).hasSuffix(" bob replied to your post #1 with #3"))
        try bob.run("hello @alice")
        let mention = try alice.readUntil { $0.hasPrefix("~ ") }
        #expect(mention.last?.hasSuffix(" bob mentioned you in #4") == true, "\(mention)")
        // The mention itself arrived first, as a post.
        #expect(mention.contains { $0.hasSuffix("bob: hello @alice") }, "\(mention)")

        // Nothing for one's own actions, nor for a like that changed nothing (#2 is a repost of #1).
        try alice.run("/like 1")
        try alice.run("/reply 1 replying to myself")
        try bob.run("/like 2")
        alice.send("/notifications")
        let listed = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(listed.filter { $0.hasPrefix("~ n") }.count == 5, "\(listed)")
        #expect(listed.last == "* 5 notifications, n1 to n5", "\(listed)")
    }

    @Test func aKindTurnedOffIsNeitherSentNorKeptAndTheChoiceIsRemembered() throws {
        let server = try quietServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        let bob = try server.registeredClient("bob")
        try alice.run("first")
        try alice.run("second")
        #expect(try alice.run("/notify like off") == "* like notifications off")
        alice.send("/notify")
        let shown = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(shown.contains("  notifications: follow on, like off, repost on, reply on, mention on; bell off"))
        #expect(try alice.run("/notify nonsense off").hasPrefix("! "))

        try bob.run("/like 1")
        try bob.run("/follow alice")
        // The follow arrives; the like before it was never recorded.
        let lines = try alice.readUntil { $0.hasPrefix("~ ") }
        #expect(lines.last?.hasSuffix(" bob followed you") == true && !lines.contains { $0.contains("liked") })

        // Remembered for the account, in a new session.
        let again = try server.greetedClient()
        try again.run("/login alice password1")
        again.send("/notify")
        #expect(try again.readUntil { $0.hasPrefix("* ") }.contains { $0.contains("like off") })
        #expect(try again.run("/notify like on") == "* like notifications on")
        try bob.run("/like 2")
        #expect(try nextNotification(again).hasSuffix(" bob liked your post #2"))
    }

    @Test func notificationsArePagedLikeTheListings() throws {
        let server = try quietServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        for index in 1...5 {
            try alice.run("post \(index)")
            try bob.run("/like \(index)")
        }
        alice.send("/notifications 2")
        let page = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(page.last == "* 2 notifications, n4 to n5; older: /notifications before 4", "\(page)")
        alice.send("/notifications before n4 2")
        #expect(
            try alice.readUntil { $0.hasPrefix("* ") }.last
                == "* 2 notifications, n2 to n3; older: /notifications before 2")

        let json = try server.greetedClient()
        try json.switchToJSON()
        json.send("/login alice password1")
        try json.readJSONUntil { $0["type"] as? String == "ok" }
        json.send("/notifications since 4")
        let objects = try json.readJSONUntil { $0["type"] as? String == "ok" }
        let note = try #require(objects.first { $0["type"] as? String == "notification" })
        #expect(note["id"] as? Int == 5 && note["kind"] as? String == "like" && note["from"] as? String == "bob")
        #expect(note["post"] as? Int == 5 && note["live"] as? Bool == false && note["at"] is String)
    }

    @Test func theLoginCatchUpCountsReactions() throws {
        let server = try quietServer()
        let alice = try server.registeredClient("alice")
        try alice.run("a post")
        try alice.run("/quit")
        let bob = try server.registeredClient("bob")
        try bob.run("/like 1")
        try bob.run("/repost 1")
        try bob.run("/reply 1 first reply")
        try bob.run("/reply 1 second reply")

        let back = try server.greetedClient()
        back.send("/login alice password1")
        let lines = try back.readUntil { $0.hasPrefix("* while you were away") }
        #expect(lines.last?.contains("1 like, 1 repost, 2 replies of your posts") == true, "\(lines)")
    }

    @Test func theBellRingsOnlyWhenAskedAndNeverInJSON() throws {
        let server = try quietServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")

        // Off at first: a direct message carries no BEL.
        try bob.run("/msg alice before the bell")
        let quiet = try alice.readUntilBytes(Array("before the bell\r\n".utf8))
        #expect(!quiet.contains(0x07))

        #expect(try alice.run("/bell on") == "* bell on: a mention or a direct message rings your terminal")
        try bob.run("/msg alice ring")
        let rung = try alice.readUntilBytes([0x07])
        #expect(String(decoding: rung, as: UTF8.self).contains("ring"))
        try bob.run("hey @alice")
        #expect(String(decoding: try alice.readUntilBytes([0x07]), as: UTF8.self).contains("hey @alice"))

        // Remembered; never in JSON mode.
        let json = try server.greetedClient()
        try json.switchToJSON()
        json.send("/login alice password1")
        try json.readJSONUntil { $0["type"] as? String == "ok" }
        try bob.run("/msg alice to json")
        let bytes = try json.readUntilBytes(Array("to json".utf8))
        #expect(!bytes.contains(0x07))
        // The text session rang for the same message; then the bell goes off.
        try alice.readUntilBytes([0x07])
        #expect(try alice.run("/bell off") == "* bell off")
        try bob.run("/msg alice after")
        #expect(!(try alice.readUntilBytes(Array("after\r\n".utf8))).contains(0x07))
    }
}
