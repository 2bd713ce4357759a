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

@Suite("End to end: telnet clients")
struct TelnetTests {
    static let willEcho: [UInt8] = [255, 251, 1]
    static let wontEcho: [UInt8] = [255, 252, 1]
    static let doEcho: [UInt8] = [255, 253, 1]
    static let dontEcho: [UInt8] = [255, 254, 1]

    @Test func hiddenPasswordLoginAsATelnetClientDoesIt() throws {
        let server = try TestServer(lineModeTelnet: true)
        try server.registeredClient("alice").send("/quit")

        let telnet = try server.greetedClient()
        telnet.send("/login alice", ending: "\r\n")
        // IAC WILL ECHO, so the client stops echoing what is typed, then the prompt.
        let prompt = try telnet.readUntilBytes(Array("Password: ".utf8))
        #expect(prompt == Self.willEcho + Array("Password: ".utf8))
        telnet.sendBytes(Self.doEcho)
        telnet.send("password1", ending: "\r\n")
        // Echo is given back (IAC WONT ECHO), with the line end the client did not show.
        let after = try telnet.readUntilBytes(Self.wontEcho)
        #expect(after == Self.wontEcho)
        telnet.sendBytes(Self.dontEcho)  // the client's acknowledgement needs no answer
        #expect(try telnet.readLine() == "")
        #expect(try telnet.readLine() == "* welcome back, alice")
        telnet.send("/who", ending: "\r\n")
        // Had the server answered the DONT ECHO, those bytes would precede this line.
        #expect(try telnet.readLineBytes() == Array("  alice".utf8))
    }

    @Test func registeringWithPromptsAsksTwiceAndHoldsLivePostsUntilTheReply() throws {
        let server = try TestServer(lineModeTelnet: true)
        let bob = try server.registeredClient("bob")
        let telnet = try server.greetedClient()
        telnet.send("/register carol", ending: "\r\n")
        #expect(
            try telnet.readUntilBytes(Array("Choose a password: ".utf8)) == Self.willEcho
                + Array("Choose a password: ".utf8))
        telnet.sendBytes(Self.doEcho)

        // A post made while the prompt is on screen must not be printed into it.
        bob.send("while carol types")
        try bob.readUntil { $0.hasPrefix("* posted") }

        telnet.send("carolpass1", ending: "\r\n")
        #expect(
            try telnet.readUntilBytes(Array("Repeat the password: ".utf8)) == Array("\r\nRepeat the password: ".utf8))
        telnet.send("carolpass1", ending: "\r\n")
        #expect(try telnet.readUntilBytes(Self.wontEcho) == Self.wontEcho)
        #expect(try telnet.readLine() == "")
        // The command's reply comes first; the post held during the prompt follows it.
        #expect(try telnet.readLine() == "* welcome, carol! you are registered and logged in")
        #expect(try telnet.readLine().hasSuffix("bob: while carol types"))
    }

    @Test func netcatNeverReceivesTelnetBytes() throws {
        let server = try TestServer()
        let nc = try server.greetedClient()
        nc.send("/register dave")
        nc.send("davepass1")
        nc.send("davepass1")
        nc.send("a post")
        nc.send("/logout")
        nc.send("/login dave")
        nc.send("davepass1")
        nc.send("/quit")
        let bytes = try nc.readBytesUntilClosed()
        #expect(!bytes.contains(255))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("* your terminal will show what you type; an empty line cancels\r\nChoose a password: "))
        #expect(text.contains("* welcome back, dave\r\n"))
        #expect(text.hasSuffix("* goodbye\r\n"))
    }

    /// `nc -C` ends lines with CR LF, as the Linux telnet client does, but never answers telnet: it is
    /// offered character mode once, before its first line runs (the offer followed by CR ESC [K, which
    /// erases whatever its terminal showed of it), and, unanswered, is then treated as netcat: its
    /// password prompt warns that the terminal shows what is typed, and it is sent no telnet byte again.
    @Test func ncWithCRLFIsProbedOnceThenTreatedAsNetcat() throws {
        let server = try TestServer()
        let nc = try server.greetedClient()
        nc.send("/register dave", ending: "\r\n")
        let offer: [UInt8] = [255, 251, 1, 255, 251, 3, 255, 253, 31, 255, 251, 0, 255, 253, 0]
        #expect(try nc.readUntilBytes(offer + Array("\r\u{1B}[K".utf8)) == offer + Array("\r\u{1B}[K".utf8))
        let warning = "* your terminal will show what you type; an empty line cancels\r\nChoose a password: "
        #expect(String(decoding: try nc.readUntilBytes(Array(warning.utf8)), as: UTF8.self) == warning)
        nc.send("davepass1", ending: "\r\n")
        nc.send("davepass1", ending: "\r\n")
        nc.send("/term char", ending: "\r\n")
        nc.send("/logout", ending: "\r\n")
        nc.send("/login dave", ending: "\r\n")
        nc.send("davepass1", ending: "\r\n")
        nc.send("/mode json", ending: "\r\n")
        nc.send("/quit", ending: "\r\n")
        let bytes = try nc.readBytesUntilClosed()
        #expect(!bytes.contains(255), "\(String(decoding: bytes, as: UTF8.self).debugDescription)")
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("Repeat the password: * welcome, dave! you are registered and logged in\r\n"))
        #expect(text.contains("! character mode needs a telnet client in text mode (bad_usage)\r\n"))
        #expect(text.contains("* your terminal will show what you type; an empty line cancels\r\nPassword: "))
        #expect(text.contains("* welcome back, dave\r\n"))
    }

    @Test func optionsWeDoNotUseAreRefused() throws {
        let server = try TestServer(lineModeTelnet: true)
        let telnet = try server.greetedClient()
        // DO TERMINAL-TYPE and WILL NAWS, split across writes mid-sequence.
        telnet.sendBytes([255, 253])
        telnet.sendBytes([24, 255])
        telnet.sendBytes([251, 31])
        #expect(try telnet.readUntilBytes([255, 254, 31]) == [255, 252, 24, 255, 254, 31])
        // A subnegotiation and AYT are consumed without breaking the line around them.
        telnet.sendBytes([0x2F, 0x77, 255, 250, 24, 0, 65, 255, 240, 0x68, 0x6F] + Array("\r\n".utf8))
        #expect(try telnet.readLine() == "* 0 users online, 1 guest")
        telnet.sendBytes([255, 246])
        #expect(try telnet.readLine() == "* microblogd is here")
    }

    /// Ctrl-D as the very first key: a telnet client still in line mode sends it as one EOT byte with no
    /// line end (its terminal reads the key as the end of input), before any negotiation. It leaves as
    /// Ctrl-D on an empty line does in character mode.
    @Test func ctrlDAsTheFirstKeyLeaves() throws {
        let server = try TestServer()
        // As the Linux telnet client connects: nothing of its own before the server offers.
        let telnet = try server.greetedClient()
        telnet.sendBytes([4])
        #expect(String(decoding: try telnet.readBytesUntilClosed(), as: UTF8.self) == "* goodbye\r\n")
        // A client that negotiated first (DO SUPPRESS-GO-AHEAD) and has not agreed to character mode.
        let negotiating = try server.greetedClient()
        negotiating.sendBytes([255, 253, 3, 4])
        let rest = String(decoding: try negotiating.readBytesUntilClosed(), as: UTF8.self)
        #expect(rest.hasSuffix("* goodbye\r\n"), "\(rest.debugDescription)")
    }

    /// A telnet client whose first line says goodbye is offered nothing after it: the goodbye is the last
    /// thing it is sent.
    @Test func nothingIsOfferedAfterAGoodbye() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/quit", ending: "\r\n")
        #expect(try telnet.readBytesUntilClosed() == Array("* goodbye\r\n".utf8))
    }

    /// At a password prompt, Ctrl-D in line mode cancels it, as an empty answer; within a line (nc) EOT is
    /// a character like any other: the line is refused, and the session goes on.
    @Test func ctrlDAtAPromptCancelsItAndWithinALineIsText() throws {
        let server = try TestServer()
        try server.registeredClient("alice").send("/quit")
        let client = try server.greetedClient()
        client.send("/login alice")
        try client.readUntilBytes(Array("Password: ".utf8))
        client.sendBytes([4])
        #expect(try client.readLine() == "! login cancelled (bad_login)")
        #expect(try client.run("/login alice password1") == "* welcome back, alice")
        client.send("hello\u{4}world")
        #expect(try client.readWrapped(error: client.readLine()).hasSuffix("(bad_text)"))
        #expect(try client.run("/who").hasPrefix("* 1 user online"))
    }

    @Test func quitSaysGoodbyeAndCloses() throws {
        let server = try TestServer(lineModeTelnet: true)
        let client = try server.greetedClient()
        client.send("/quit\r\n/who", ending: "\r\n")
        #expect(try client.readUntilClosed() == ["* goodbye"])
    }

    @Test func shutdownAtAPasswordPromptGivesEchoBackAndAnswersTheCommand() throws {
        let server = try TestServer(lineModeTelnet: true)
        let telnet = try server.greetedClient()
        telnet.send("/login alice", ending: "\r\n")
        try telnet.readUntilBytes(Array("Password: ".utf8))
        telnet.sendBytes(Self.doEcho)
        telnet.send("/who", ending: "\r\n")  // the DO ECHO has been read once the prompt takes this line...
        telnet.sendBytes(Self.doEcho)
        try server.stop()
        let rest = try telnet.readBytesUntilClosed()
        let text = String(decoding: rest, as: UTF8.self)
        #expect(text.contains("! the server is shutting down; that was not done (shutting_down)"))
        #expect(text.hasSuffix("* the server is shutting down; goodbye\r\n"))
    }

    @Test func jsonModeSendsNoTelnetBytes() throws {
        let server = try TestServer()
        let bot = try server.greetedClient()
        try bot.switchToJSON()
        bot.sendBytes([255, 251, 31, 255, 253, 24])  // WILL NAWS, DO TERMINAL-TYPE
        bot.send("/who")
        let line = try bot.readLineBytes()
        #expect(line.first == UInt8(ascii: "{"))
        #expect(!line.contains(255))
    }
}

@Suite("End to end: character mode")
struct CharacterModeTests {
    @Test func aLivePostRedrawsThePartialInputIntact() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        // A telnet client's first line ends with CR LF: character mode is offered before it runs (WILL
        // ECHO, WILL SUPPRESS-GO-AHEAD, ...).
        telnet.send("/register alice password1", ending: "\r\n")
        #expect(try telnet.readUntilBytes([255, 251, 3]) == [255, 251, 1, 255, 251, 3])
        // The client agrees, the prompt appears, and the line runs.
        telnet.sendBytes([255, 253, 1, 255, 253, 3])
        #expect(try telnet.readUntilBytes(Array("\r> \u{1B}[K".utf8)).suffix(6) == Array("\r> \u{1B}[K".utf8))
        try telnet.readUntilBytes(Array("registered and logged in\r\n\r> \u{1B}[K".utf8))

        // Typed one key at a time, each echoed by the server.
        for key in "half" {
            telnet.sendBytes(Array(String(key).utf8))
            try telnet.readUntilBytes(Array("\u{1B}[K".utf8))
        }
        let bob = try server.registeredClient("bob")
        bob.send("from bob")
        try bob.readUntil { $0.hasPrefix("* posted") }
        // The input line is cleared, the post printed, then the prompt and the partial input redrawn.
        let redrawn = try telnet.readUntilBytes(Array("\r> half\u{1B}[K".utf8))
        let text = String(decoding: redrawn, as: UTF8.self)
        #expect(text.hasPrefix("\r\u{1B}[K#"))
        #expect(text.contains(" bob: from bob\r\n\r> half\u{1B}[K"))

        // Finish the line: it is posted as typed.
        telnet.sendBytes(Array(" done\r\0".utf8))
        try telnet.readUntilBytes(Array("* posted #".utf8))
        bob.send("/feed 1")
        #expect(try bob.readUntil { $0.hasPrefix("#") }.last?.hasSuffix("alice: half done") == true)

        // Back to line mode: WONT ECHO and WONT SUPPRESS-GO-AHEAD.
        telnet.send("/term line", ending: "\r\0")
        #expect(try telnet.readUntilBytes([255, 252, 3]).suffix(6) == [255, 252, 1, 255, 252, 3])
    }

    @Test func netcatCannotEnterCharacterMode() throws {
        let server = try TestServer()
        let nc = try server.greetedClient()
        nc.send("/term char")
        #expect(try nc.readLine() == "! character mode needs a telnet client in text mode (bad_usage)")
    }
}

@Suite("End to end: character mode negotiation")
struct CharacterModeNegotiationTests {
    @Test func aClientThatRefusesKeepsLineMode() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/who", ending: "\r\n")
        // The offer, before the line runs: WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO NAWS (the window size),
        // WILL BINARY, DO BINARY; then CR ESC [K.
        #expect(
            try telnet.readUntilBytes([255, 253, 0]) == [
                255, 251, 1, 255, 251, 3, 255, 253, 31, 255, 251, 0, 255, 253, 0,
            ])
        #expect(try telnet.readUntilBytes(Array("\r\u{1B}[K".utf8)) == Array("\r\u{1B}[K".utf8))
        telnet.sendBytes([255, 254, 1, 255, 254, 3])  // DONT ECHO, DONT SUPPRESS-GO-AHEAD
        // The line runs, lines still work as lines, and no prompt or echo appears.
        #expect(try telnet.readUntil { $0.hasPrefix("* ") }.last == "* 0 users online, 1 guest")
        telnet.send("/who", ending: "\r\n")
        #expect(try telnet.readLine() == "* 0 users online, 1 guest")
    }

    /// The offer includes BINARY both ways (after NAWS); a client that agrees sends UTF-8 as it is, and
    /// ends a line with a bare CR, as telnet does in binary mode.
    @Test func binaryModeCarriesUTF8() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/who", ending: "\r\n")
        let offer = try telnet.readUntilBytes([255, 253, 0])
        #expect(offer.suffix(15) == [255, 251, 1, 255, 251, 3, 255, 253, 31, 255, 251, 0, 255, 253, 0])
        telnet.sendBytes([255, 253, 1, 255, 253, 3, 255, 253, 0, 255, 251, 0])
        try telnet.readUntilBytes(Array("\r> \u{1B}[K".utf8))
        telnet.sendBytes(Array("/register alice password1\r".utf8))
        try telnet.readUntilBytes(Array("registered".utf8))
        telnet.sendBytes(Array("東京タワー\r".utf8))
        try telnet.readUntilBytes(Array("* posted #1".utf8))
        let reader = try server.greetedClient()
        reader.send("/feed")
        let feed = try reader.readUntil { $0.hasPrefix("* 1 post") }
        #expect(feed.contains { $0.hasSuffix("alice: 東京タワー") }, "\(feed)")
    }

    @Test func aHalfTypedLineSurvivesTheSwitch() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/register alice password1", ending: "\r\n")
        try telnet.readUntilBytes([255, 253, 0])
        // Half a line typed in line mode, then the client agrees to character mode.
        telnet.sendBytes(Array("hel".utf8))
        telnet.sendBytes([255, 253, 1, 255, 253, 3])
        #expect(
            String(decoding: try telnet.readUntilBytes(Array("\r> hel\u{1B}[K".utf8)), as: UTF8.self).hasSuffix(
                "> hel\u{1B}[K"))
        telnet.sendBytes(Array("lo\r\n".utf8))
        try telnet.readUntilBytes(Array("* posted #1".utf8))
    }

    @Test func tabCompletesCommandsAndNames() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")  // online, so her name completes
        let telnet = try server.greetedClient()
        telnet.send("/who", ending: "\r\n")
        try telnet.readUntilBytes([255, 251, 3])
        telnet.sendBytes([255, 253, 1, 255, 253, 3])
        try telnet.readUntilBytes(Array("\r> \u{1B}[K".utf8))
        telnet.sendBytes(Array("/pro\t".utf8))
        try telnet.readUntilBytes(Array("\r> /profile \u{1B}[K".utf8))
        telnet.sendBytes(Array("@ali\t".utf8))
        try telnet.readUntilBytes(Array("\r> /profile @alice \u{1B}[K".utf8))
        alice.send("/quit")
    }

    @Test func theWindowWidthWrapsPostsAndScrollsTheInputLine() throws {
        let server = try TestServer()
        let bob = try server.registeredClient("bob")
        let telnet = try server.greetedClient()
        telnet.send("/who", ending: "\r\n")
        try telnet.readUntilBytes([255, 253, 31])
        // Agree, and report a window 30 columns wide, 20 high; the line runs.
        telnet.sendBytes([255, 253, 1, 255, 253, 3, 255, 251, 31, 255, 250, 31, 0, 30, 0, 20, 255, 240])
        try telnet.readUntilBytes(Array("guest\r\n\r> \u{1B}[K".utf8))
        bob.send("one two three four five six seven eight")
        try bob.readUntil { $0.hasPrefix("* posted") }
        let shown = String(decoding: try telnet.readUntilBytes(Array("\r> \u{1B}[K".utf8)), as: UTF8.self)
        let lines = shown.split(separator: "\r\n").map(String.init)
        // "#1 HH:MM bob: " is 14 columns; the rest wraps at words under the text.
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[1] == "              four five six")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.count <= 30 })
        // Input wider than the window scrolls: the start scrolls out, the cursor stays in view.
        telnet.sendBytes(Array(String(repeating: "x", count: 40).utf8))
        let redraw = String(decoding: try telnet.readUntilBytes(Array("\u{1B}[K".utf8)), as: UTF8.self)
        #expect(redraw.hasSuffix("\r> " + String(repeating: "x", count: 27) + "\u{1B}[K"))
    }

    @Test func aBotThatEndsLinesWithCRLFAndSwitchesToJSONGetsNoTelnetBytes() throws {
        let server = try TestServer()
        let bot = try server.greetedClient()
        bot.send("/mode json\r\n/who", ending: "\r\n")
        let first = try bot.readLineBytes()
        let second = try bot.readLineBytes()
        #expect(!first.contains(255) && !second.contains(255))
        #expect(second.first == UInt8(ascii: "{"))
    }
}
