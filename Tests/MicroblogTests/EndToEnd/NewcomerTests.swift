import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// What a newcomer tripped on (issue 15): each as a person sees it, over real sockets.
@Suite("End to end: what got in a newcomer's way")
struct NewcomerTests {
    static let prompt = Array("\r> \u{1B}[K".utf8)

    /// A telnet client in character mode, after `firstLine` and the first message of its reply; with
    /// `width`, it reports that window width. As the Linux telnet client does, it negotiates nothing
    /// itself, ends its first line with CR LF, and answers the server's offer, which comes before the
    /// line runs, at once.
    static func characterModeClient(_ server: TestServer, firstLine: String = "/who", width: UInt8? = nil) throws
        -> TestClient
    {
        let telnet = try server.greetedClient()
        telnet.send(firstLine, ending: "\r\n")
        try telnet.readUntilBytes([255, 253, 31])  // the offer ends with DO NAWS
        var agree: [UInt8] = [255, 253, 1, 255, 253, 3]
        if let width { agree += [255, 251, 31, 255, 250, 31, 0, width, 0, 24, 255, 240] }
        telnet.sendBytes(agree)
        try telnet.readUntilBytes(prompt)
        try telnet.readUntilBytes([13, 10] + prompt)  // the line's reply, shown above the input line
        return telnet
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Names

    @Test func atNameWorksWhereANameIsAndTabCompletesNamesAfterCommands() throws {
        let server = try TestServer()
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        // carol has an account but is not online: a known account, offered after those online.
        try server.registeredClient("carol").send("/quit")
        try server.waitFor("carol to leave") { $0.connections == 1 }
        let alice = try Self.characterModeClient(server, firstLine: "/register alice password1")
        alice.sendBytes(Array("/follow @bob\r".utf8))
        try alice.readUntilBytes(Array("* you now follow bob".utf8))
        alice.sendBytes(Array("/msg @bob hi\r".utf8))
        try alice.readUntilBytes(Array("sent to bob".utf8))

        // After a command that takes a NAME, Tab completes a bare name, online or not.
        alice.sendBytes(Array("/profile ca\t".utf8))
        try alice.readUntilBytes(Array("\r> /profile carol \u{1B}[K".utf8))
        alice.sendBytes([0x15])  // Ctrl-U
        try alice.readUntilBytes(Self.prompt)
        // Several: the people online first (alice, bob), then the other accounts (carol).
        alice.sendBytes(Array("/msg ".utf8))
        try alice.readUntilBytes(Array("\r> /msg \u{1B}[K".utf8))
        alice.sendBytes([9])
        let listing = Self.text(try alice.readUntilBytes(Array("\r> /msg \u{1B}[K".utf8)))
        #expect(listing.contains("alice  bob  carol\r\n"), "\(listing)")
        // Not where no name goes: /feed takes a number.
        alice.sendBytes(Array("\u{15}/feed b\t!".utf8))
        try alice.readUntilBytes(Array("\r> /feed b!\u{1B}[K".utf8))
    }

    @Test func tabOffersOnlyTheCommandsASessionMayUseWithinTheWindow() throws {
        let server = try TestServer(configure: { $0.settings.admins = ["root"] })
        let guest = try Self.characterModeClient(server)
        guest.sendBytes(Array("/".utf8))
        try guest.readUntilBytes(Array("\r> /\u{1B}[K".utf8))
        guest.sendBytes([9])
        let listing = Self.text(try guest.readUntilBytes(Array("\r> /\u{1B}[K".utf8)))
        let rows = listing.split(separator: "\r\n").dropFirst(0).map(String.init).filter { $0.contains("/") }
        #expect(!listing.contains("/ban") && !listing.contains("/stats"), "\(listing.debugDescription)")
        #expect(listing.contains("/follow") && listing.contains("/help"))
        // 80 columns when the window is not known; a hanging indent; no command broken.
        let listed = rows.dropLast()
        #expect(listed.allSatisfy { $0.replacingOccurrences(of: "\r\u{1B}[K", with: "").count <= 80 }, "\(rows)")
        #expect(listed.dropFirst().allSatisfy { $0.hasPrefix("  /") }, "\(rows)")

        let root = try server.registeredClient("root")
        root.send("/quit")
        let admin = try Self.characterModeClient(server, firstLine: "/login root password1")
        admin.sendBytes(Array("/".utf8))
        try admin.readUntilBytes(Array("\r> /\u{1B}[K".utf8))
        admin.sendBytes([9])
        #expect(Self.text(try admin.readUntilBytes(Array("\r> /\u{1B}[K".utf8))).contains("/ban"))
    }

    // MARK: - /help

    @Test func helpFitsA24RowScreenAndIsGroupedByTopic() throws {
        let server = try TestServer(configure: { $0.settings.admins = ["root"] })
        let guest = try server.greetedClient()
        guest.send("/help")
        let help = try guest.readUntil { $0.hasPrefix("* /help COMMAND") }
        // With the line typed and the prompt, it fits 24 rows of 80 columns.
        #expect(help.count <= 22, "\(help.count) lines: \(help)")
        #expect(help.allSatisfy { $0.count <= 80 }, "\(help)")
        #expect(help.contains { $0.hasPrefix("  social    /who /follow") })
        #expect(help.contains("* most used:"))
        #expect(help.contains { $0.hasPrefix("  /register NAME [PASSWORD]") })
        // Administrators' commands are for administrators only.
        #expect(!help.contains { $0.contains("/ban") || $0.hasPrefix("  admin") })

        guest.send("/help social")
        let social = try guest.readUntil { $0.hasPrefix("* /help COMMAND") }
        #expect(social.first == "* social: following, muting, who is who and who is here")
        #expect(social.contains { $0.hasPrefix("  /follow NAME") })
        #expect(!social.contains { $0.hasPrefix("  /feed") })
        // The usage in the list is /help COMMAND's: /inbox has two forms in both.
        guest.send("/help messages")
        let messages = try guest.readUntil { $0.hasPrefix("* /help COMMAND") }
        #expect(messages.contains { $0.hasPrefix("  /inbox [N] | /inbox NAME [N]") }, "\(messages)")
        guest.send("/help inbox")
        let inbox = try guest.readUntil { $0.hasPrefix("* ") }
        #expect(inbox.prefix(2) == ["  /inbox [N]", "  /inbox NAME [N]"])
        #expect(try guest.run("/help nothing") == "! no command or topic nothing; /help lists them (unknown_command)")

        let root = try server.registeredClient("root")
        root.send("/help")
        #expect(try root.readUntil { $0.hasPrefix("* /help COMMAND") }.contains { $0.hasPrefix("  admin     /ban") })
        root.send("/help admin")
        #expect(try root.readUntil { $0.hasPrefix("* /help COMMAND") }.contains { $0.hasPrefix("  /stats") })
        #expect(try guest.run("/help admin").hasSuffix("(unknown_command)"))

        try root.switchToJSON()
        root.send("/help")
        let topic = try root.readJSON()
        #expect(topic["type"] as? String == "notice")
        let first = try root.readJSON()
        #expect(first["type"] as? String == "help_topic" && first["topic"] as? String == "start")
        #expect((first["commands"] as? [String])?.contains("register") == true)
        #expect(first["summary"] as? String == CommandTopic.start.summary)
    }

    @Test func helpFollowsTheWindowWidthWithAHangingIndent() throws {
        let server = try TestServer()
        let telnet = try Self.characterModeClient(server, width: 40)
        telnet.sendBytes(Array("/help reading\r".utf8))
        let shown = Self.text(try telnet.readUntilBytes(Array("* /help COMMAND explains one".utf8)))
        // What the screen shows, without the input line redrawn between messages.
        let screen = shown.replacingOccurrences(of: "\r> \u{1B}[K", with: "")
            .replacingOccurrences(of: "\r\u{1B}[K", with: "").replacingOccurrences(of: "\r> /help reading", with: "")
            .replacingOccurrences(of: "\u{1B}[K", with: "")
        let rows = screen.split(separator: "\r\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("* /help") }
        #expect(rows.allSatisfy { $0.count <= 40 }, "\(rows)")
        // Continuations are indented, and no word is cut: every row's words are whole words of the help.
        let sources = CommandTable.commands(of: .reading).map { $0.usage.joined(separator: " | ") + " " + $0.summary }
        let words = Set((sources + ["* reading: " + CommandTopic.reading.summary]).flatMap { $0.split(separator: " ") })
        for row in rows {
            for word in row.split(separator: " ") { #expect(words.contains(word), "\(word) in \(row)") }
        }
        #expect(rows.contains { $0.hasPrefix("    ") })
    }

    // MARK: - Greeting, goodbye, long lines

    @Test func everyGreetingLineFits80Columns() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let long = (1...40).map { "word\($0)" }.joined(separator: " ")
        #expect(try alice.run(long).hasPrefix("* posted #1"))
        let client = try server.client()
        let greeting = try client.readUntil { $0.contains("new posts appear below") }
        #expect(greeting.count >= 5)
        #expect(greeting.allSatisfy { $0.count <= 80 }, "\(greeting.map(\.count))")
        // The long post is wrapped at words, its continuation under its text.
        let post = greeting.drop { !$0.hasPrefix("#1 ") }.prefix { !$0.hasPrefix("* ") }
        #expect(post.count > 1)
        let indent = (post.first?.firstRange(of: ": ")).map { post.first![..<$0.upperBound].count } ?? 0
        #expect(post.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: indent)) })
        #expect(post.map { $0.trimmingPrefix(while: { $0 == " " }) }.joined(separator: " ").hasSuffix("alice: " + long))
    }

    @Test func noPromptAfterGoodbye() throws {
        let server = try TestServer()
        let telnet = try Self.characterModeClient(server)
        telnet.sendBytes(Array("/quit\r".utf8))
        let rest = Self.text(try telnet.readBytesUntilClosed())
        #expect(rest.hasSuffix("* goodbye\r\n"), "\(rest.debugDescription)")

        // Nor after a shutdown's goodbye.
        let other = try Self.characterModeClient(server)
        try server.stop()
        let last = Self.text(try other.readBytesUntilClosed())
        #expect(last.hasSuffix("* the server is shutting down; goodbye\r\n"), "\(last.debugDescription)")
    }

    @Test func noPromptAfterABanOrIdleGoodbye() throws {
        let server = try TestServer(configure: {
            $0.settings.admins = ["root"]
            $0.settings.idleTimeout = 1
        })
        let root = try server.registeredClient("root")
        let alice = try Self.characterModeClient(server, firstLine: "/register alice password1")
        #expect(try root.run("/ban alice spam").hasPrefix("* "))
        let banned = Self.text(try alice.readBytesUntilClosed())
        #expect(banned.hasSuffix("* your account is banned: spam\r\n"), "\(banned.debugDescription)")

        let idle = try Self.characterModeClient(server, firstLine: "/watch off")
        let closing = Self.text(try idle.readBytesUntilClosed())
        #expect(closing.hasSuffix("and the live feed is off\r\n"), "\(closing.debugDescription)")
    }

    @Test func aLongSentLineIsShownWholeAndWrapped() throws {
        let server = try TestServer()
        let telnet = try Self.characterModeClient(server, firstLine: "/register alice password1", width: 30)
        let text = "the quick brown fox jumps over the lazy dog again"
        telnet.sendBytes(Array(text.utf8))
        try telnet.readUntilBytes(Array("again\u{1B}[K".utf8))
        telnet.sendBytes([13, 0])
        let shown = Self.text(try telnet.readUntilBytes(Array("* posted #1".utf8)))
        #expect(
            shown.contains("> the quick brown fox jumps\r\n  over the lazy dog again\r\n"), "\(shown.debugDescription)")
    }

    // MARK: - Keys

    @Test func ctrlDEndsTheSessionOnAnEmptyLine() throws {
        let server = try TestServer()
        let telnet = try Self.characterModeClient(server)
        telnet.sendBytes(Array("ab\u{1B}[D\u{04}".utf8))  // deletes the b under the cursor
        try telnet.readUntilBytes(Array("\r> a\u{1B}[K".utf8))
        telnet.sendBytes([0x15, 0x04])
        #expect(Self.text(try telnet.readBytesUntilClosed()).hasSuffix("* goodbye\r\n"))
    }

    @Test func ctrlCCancelsAPasswordPrompt() throws {
        let server = try TestServer()
        try server.registeredClient("alice").send("/quit")
        let telnet = try Self.characterModeClient(server)
        telnet.sendBytes(Array("/login alice\r".utf8))
        try telnet.readUntilBytes(Array("Password: \u{1B}[K".utf8))
        telnet.sendBytes(Array("pass\u{03}".utf8))
        #expect(Self.text(try telnet.readUntilBytes(Array("(bad_login)".utf8))).contains("! login cancelled"))
        // The prompt is gone: the next line is a command again.
        telnet.sendBytes(Array("/who\r".utf8))
        try telnet.readUntilBytes(Array("* 0 users online, 1 guest".utf8))

        // In line mode the telnet client sends Ctrl-C as IAC IP: the same.
        let lineMode = try TestServer(lineModeTelnet: true)
        try lineMode.registeredClient("bob").send("/quit")
        let other = try lineMode.greetedClient()
        other.send("/login bob", ending: "\r\n")
        try other.readUntilBytes(Array("Password: ".utf8))
        other.sendBytes([255, 244])
        #expect(
            try other.readUntil { $0.contains("(bad_login)") }.last?.hasSuffix("! login cancelled (bad_login)") == true)
    }

    @Test func linesTypedBeforeCharacterModeAreInTheUpHistory() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/watch off", ending: "\r\n")
        telnet.send("/who", ending: "\r\n")  // still line mode: the client has not agreed yet
        try telnet.readUntilBytes([255, 253, 31])
        telnet.sendBytes([255, 253, 1, 255, 253, 3])
        // Both run once it has: in character mode, though typed before it.
        try telnet.readUntilBytes(Array("online, 1 guest\r\n".utf8) + Self.prompt)
        telnet.sendBytes(Array("\u{1B}[A".utf8))
        try telnet.readUntilBytes(Array("\r> /who\u{1B}[K".utf8))
        telnet.sendBytes(Array("\u{1B}[A".utf8))
        try telnet.readUntilBytes(Array("\r> /watch off\u{1B}[K".utf8))
    }

    // MARK: - Wording

    @Test func peopleListsMarkOnlineAndOfflineAndTheWordingReadsWell() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let carol = try server.registeredClient("carol")
        for client in [alice, bob, carol] { try client.run("/watch off") }
        try alice.run("/follow bob")
        try alice.run("/follow carol")
        carol.send("/quit")
        _ = try carol.readUntilClosed()
        #expect(try bob.run("/away") == "* you are away; /back when you are back")
        alice.send("/following")
        #expect(
            try alice.readUntil { $0.hasPrefix("* ") } == [
                "  bob (online; away)", "  carol (offline)", "* alice follows 2 accounts",
            ])
        alice.send("/who")
        #expect(try alice.readUntil { $0.hasPrefix("* ") }.contains("  bob (away)"))
        #expect(try alice.run("/msg bob lunch?") == "* message #1 sent to bob; they are away")
        try bob.run("/away in a meeting")
        #expect(try alice.run("/msg @bob later") == "* message #2 sent to bob; they are away: in a meeting")
        try alice.switchToJSON()
        alice.send("/msg bob json")
        let ack = try alice.readJSONUntil { $0["type"] as? String == "ok" }.last ?? [:]
        #expect(ack["away"] as? String == "in a meeting")
    }

    @Test func termCharSaysWhatItMeans() throws {
        let server = try TestServer()
        let telnet = try Self.characterModeClient(server)
        telnet.sendBytes(Array("/term char\r".utf8))
        #expect(
            Self.text(try telnet.readUntilBytes(Array("(/term line gives it back)".utf8))).contains(
                "* character mode is on: the server edits your line"))
        let lineMode = try TestServer(lineModeTelnet: true)
        let other = try lineMode.greetedClient()
        other.send("/term char", ending: "\r\n")
        // The offer (WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO NAWS) comes first, on the same line; the
        // answer is wrapped at words to 80 columns.
        #expect(
            try other.readLine().hasSuffix(
                "* asked your telnet client to let the server edit your line; you will be told if"))
        #expect(try other.readLine() == "  it refuses")
    }

    // MARK: - Direct messages read live

    @Test func directMessagesReadLiveAreNotUnreadAfterARestart() throws {
        let directory = try TemporaryDirectory()
        var server: TestServer? = try TestServer(directory: directory)
        let alice = try #require(server).registeredClient("alice")
        let bob = try #require(server).registeredClient("bob")
        for client in [alice, bob] { try client.run("/watch off") }
        try alice.run("/msg bob one")
        try alice.run("/msg bob two")
        #expect(try bob.readLine().hasSuffix("alice → bob: one"))
        #expect(try bob.readLine().hasSuffix("alice → bob: two"))
        bob.send("/inbox")
        // The read mark is written after the delivery: wait for it rather than for a time.
        var unread = ""
        #expect(
            waitUntil {
                unread = (try? bob.run("/inbox")) ?? ""
                return unread == "* 1 conversation, 0 unread; /inbox NAME reads one"
            }, "\(unread)")
        try server?.stop()
        server = nil

        let restarted = try TestServer(directory: directory)
        let again = try restarted.greetedClient()
        again.send("/login bob password1")
        #expect(try again.readLine() == "* welcome back, bob")
        // No catch-up line about messages: the next reply is /who's.
        again.send("/who")
        #expect(try again.readLine() == "  bob")
    }

    // MARK: - Log

    @Test func theLogNamesAFailedLoginsAccountAndKeepsMutesAtDebug() throws {
        let log = LogCapture()
        let server = try TestServer(log: log.logger(.debug))
        let alice = try server.registeredClient("alice")
        try server.registeredClient("bob").run("/watch off")
        let guest = try server.greetedClient()
        #expect(try guest.run("/login alice wrong-password").hasSuffix("(bad_login)"))
        let failed = try log.waitFor("login_failed") { $0.contains("event=login_failed") }
        #expect(failed.contains("user=alice") && failed.contains("peer="))
        try alice.run("/mute bob")
        try alice.run("/follow bob")
        let mute = try log.waitFor("mute") { $0.contains("event=mute ") }
        #expect(mute.contains("level=debug"), "\(mute)")
        let follow = try log.waitFor("follow") { $0.contains("event=follow ") }
        #expect(follow.contains("level=info"), "\(follow)")
    }
}
