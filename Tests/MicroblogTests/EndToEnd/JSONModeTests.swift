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

@Suite("End to end: JSON mode")
struct JSONModeTests {
    @Test func everyCommandEndsWithOneOkOrErrorAndLivePostsAreTyped() throws {
        let server = try TestServer()
        let bot = try server.greetedClient()
        try bot.switchToJSON()

        bot.send("/register robot password1")
        let registered = try bot.readJSON()
        #expect(registered["type"] as? String == "ok")
        #expect(registered["command"] as? String == "register")
        #expect(registered["name"] as? String == "robot")

        bot.send("beep \"quoted\" \\ back")
        let posted = try bot.readJSON()
        #expect(posted["type"] as? String == "ok")
        #expect(posted["command"] as? String == "post")
        let id = try #require(posted["id"] as? Int)
        let at = try #require(posted["at"] as? String)
        #expect(at.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)

        bot.send("/feed 1")
        let listing = try bot.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(listing.count == 2)
        #expect(listing[0]["type"] as? String == "post")
        #expect(listing[0]["id"] as? Int == id)
        #expect(listing[0]["author"] as? String == "robot")
        #expect(listing[0]["text"] as? String == "beep \"quoted\" \\ back")
        #expect(listing[0]["at"] as? String == at)
        #expect(listing[0]["live"] as? Bool == false)
        #expect(listing[1]["command"] as? String == "feed")
        #expect(listing[1]["count"] as? Int == 1)

        let human = try server.registeredClient("human")
        human.send("hi bot")
        try human.readUntil { $0.hasPrefix("* posted") }
        let live = try bot.readJSON()
        #expect(live["type"] as? String == "post")
        #expect(live["live"] as? Bool == true)
        #expect(live["author"] as? String == "human")
        #expect(live["text"] as? String == "hi bot")

        bot.send("/who")
        let who = try bot.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(who.dropLast().map { $0["name"] as? String } == ["human", "robot"])
        #expect(who.last?["users"] as? Int == 2)
        #expect(who.last?["guests"] as? Int == 0)

        bot.send("/nonsense")
        let error = try bot.readJSON()
        #expect(error["type"] as? String == "error")
        #expect(error["code"] as? String == "unknown_command")
        #expect((error["message"] as? String)?.isEmpty == false)

        bot.send("/help feed")
        let help = try bot.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(help.first?["type"] as? String == "help")
        #expect((help.first?["usage"] as? [String])?.count == 3)

        // The reply to /mode comes in the new mode.
        bot.send("/mode text")
        #expect(try bot.readLine() == "* text mode")
        bot.send("/who")
        #expect(try bot.readLine() == "  human")
    }

    @Test func everyJSONLineIsOneObjectEndingInCRLF() throws {
        let server = try TestServer()
        let bot = try server.greetedClient()
        try bot.switchToJSON()
        bot.send("/register robot password1\nline one\n/feed\n/bad\n/quit")
        let bytes = try bot.readBytesUntilClosed()
        #expect(bytes.suffix(2) == [13, 10])
        let objects = bytes.split(separator: 10)
        #expect(objects.count == 6)
        for object in objects {
            #expect(object.last == 13 && object.dropLast().allSatisfy { $0 != 13 })
            let parsed = try JSONSerialization.jsonObject(with: Data(object)) as? [String: Any]
            #expect(parsed?["type"] is String)
        }
    }

    @Test func aHiddenPromptInJSONModeIsAPromptObject() throws {
        let server = try TestServer()
        try server.registeredClient("robot").send("/quit")
        let bot = try server.greetedClient()
        try bot.switchToJSON()
        bot.send("/login robot")
        let prompt = try bot.readJSON()
        #expect(prompt["type"] as? String == "prompt")
        #expect(prompt["field"] as? String == "password")
        bot.send("password1")
        let ok = try bot.readJSON()
        #expect(ok["type"] as? String == "ok")
        #expect(ok["command"] as? String == "login")
    }

    /// Protocol.md §7: every error names the command it answers, a post's being "post", even when the
    /// server stops before running it; only a line that names no command gets an error without one.
    @Test func shuttingDownErrorsNameTheCommandOfEveryLineLeft() throws {
        let server = try TestServer {
            $0.settings.busyTimeoutMilliseconds = 2000
            $0.settings.postRate = 0
        }
        let bot = try server.registeredClient("stopping_bot")
        try bot.switchToJSON()
        // A held lock keeps the first post in flight, so the lines after it are still waiting at the stop.
        // One write: the first /who's reply shows the server has read every line and started the post.
        let holder = try SQLiteFile(server.databasePath, readOnly: false)
        try holder.execute("BEGIN EXCLUSIVE")
        defer { holder.close() }
        bot.send("/who\na post that waits for the lock\n/who\nanother post\n/nosuchcommand\n//slashed post")
        try bot.readJSONUntil { $0["command"] as? String == "who" && $0["type"] as? String == "ok" }

        let stopping = Thread.detach(UncheckedBox(server)) { try? $0.value.stop(timeout: 20) }
        let objects = try bot.readUntilClosed(timeout: 15).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let errors = objects.filter { $0["type"] as? String == "error" }
        // The post in flight gets its own answer (the lock outlasts it: storage, or shutting_down); the
        // lines that never ran are each told the server is stopping.
        #expect(errors.dropFirst().allSatisfy { $0["code"] as? String == "shutting_down" }, "\(errors)")
        let commands = errors.map { ($0["command"] as? String) ?? "(none)" }
        #expect(commands == ["post", "who", "post", "(none)", "post"], "\(errors)")
        #expect(objects.last?["type"] as? String == "bye")
        #expect(stopping.wait(timeout: 20), "the server did not stop")
    }
}
