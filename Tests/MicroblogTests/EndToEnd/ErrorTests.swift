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

@Suite("End to end: every documented error")
struct ErrorTests {
    /// Sends `line` in JSON mode and returns the error object that answers it.
    private func error(after line: String, on client: TestClient) throws -> [String: Any] {
        client.send(line)
        let reply = try client.readJSON()
        #expect(reply["type"] as? String == "error", "\(line) -> \(reply)")
        return reply
    }

    @Test func errorsCarryStableCodes() throws {
        // Several failed logins below, all from one address: none of them may be throttled.
        let server = try TestServer { $0.settings.loginFreeFailures = 10 }
        let guest = try server.greetedClient()
        try guest.switchToJSON()

        #expect(try error(after: "/frobnicate", on: guest)["code"] as? String == "unknown_command")
        #expect(try error(after: "/feed many", on: guest)["code"] as? String == "bad_usage")
        #expect(try error(after: "/feed 500", on: guest)["code"] as? String == "bad_usage")
        #expect(try error(after: "hello", on: guest)["code"] as? String == "not_logged_in")
        #expect(try error(after: "/logout", on: guest)["code"] as? String == "not_logged_in")
        #expect(try error(after: "/register x password1", on: guest)["code"] as? String == "bad_name")
        #expect(try error(after: "/register bad-name password1", on: guest)["code"] as? String == "bad_name")
        #expect(try error(after: "/register alice short", on: guest)["code"] as? String == "bad_password")
        #expect(try error(after: "/login nobody password1", on: guest)["code"] as? String == "bad_login")

        guest.send(String(repeating: "x", count: 5000))
        let tooLong = try guest.readJSON()
        #expect(tooLong["code"] as? String == "line_too_long")
        guest.sendBytes([0x68, 0xC3, 0x28, 0x0A])
        #expect(try guest.readJSON()["code"] as? String == "bad_utf8")

        guest.send("/register alice password1")
        #expect(try guest.readJSON()["type"] as? String == "ok")
        #expect(try error(after: "/register other password1", on: guest)["code"] as? String == "already_logged_in")
        #expect(try error(after: "/login alice password1", on: guest)["code"] as? String == "already_logged_in")
        #expect(try error(after: "/post", on: guest)["code"] as? String == "empty_post")
        #expect(try error(after: "/post    ", on: guest)["code"] as? String == "empty_post")
        #expect(try error(after: String(repeating: "é", count: 281), on: guest)["code"] as? String == "too_long")
        #expect(try error(after: "evil \u{1B}[2J clear", on: guest)["code"] as? String == "bad_text")
        #expect(try error(after: "abc \u{202E}cba", on: guest)["code"] as? String == "bad_text")

        let other = try server.greetedClient()
        try other.switchToJSON()
        #expect(try error(after: "/register ALICE password1", on: other)["code"] as? String == "name_taken")
        #expect(try error(after: "/login alice wrongpassword", on: other)["code"] as? String == "bad_login")
        // A wrong password and an unknown name read the same.
        let wrong = try error(after: "/login alice wrongpassword", on: other)["message"] as? String
        let unknown = try error(after: "/login nosuchuser password1", on: other)["message"] as? String
        #expect(wrong == unknown)

        other.send("/register newbie")
        #expect(try other.readJSON()["field"] as? String == "password")
        other.send("password1")
        #expect(try other.readJSON()["field"] as? String == "repeat_password")
        #expect(try error(after: "password2", on: other)["code"] as? String == "password_mismatch")

        // Exactly 280 characters, emoji counting once each, is fine.
        guest.send(String(repeating: "🙂", count: 280))
        #expect(try guest.readJSON()["type"] as? String == "ok")
    }

    @Test func theConnectionStaysUsableAfterBadInput() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        client.sendBytes([UInt8](repeating: 0x41, count: 100_000) + [0x0A])
        #expect(
            try client.readLine()
                == "! lines are limited to 4096 bytes; that line was discarded (line_too_long)")
        client.sendBytes([0xFF, 0xFF, 0xFE, 0x0A])  // IAC IAC is a data byte 255: not UTF-8
        #expect(try client.readLine().hasSuffix("(bad_utf8)"))
        client.send("/who")
        #expect(try client.readLine() == "* 0 users online, 1 guest")
    }

    @Test func shutdownRefusesNothingSilently() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try server.stop()
        let lines = try alice.readUntilClosed()
        #expect(lines == ["* the server is shutting down; goodbye"])
    }

    @Test func errorsNameTheCommandThatFailed() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        try client.switchToJSON()
        #expect(try error(after: "/feed 0", on: client)["command"] as? String == "feed")
        #expect(try error(after: "/WATCH sideways", on: client)["command"] as? String == "watch")
        #expect(try error(after: "/post", on: client)["command"] as? String == "post")
        #expect(try error(after: "a post while logged out", on: client)["command"] as? String == "post")
        #expect(try error(after: "/nonsense", on: client)["command"] == nil)
    }

    @Test func anEmptyAnswerCancelsEitherRegisterPrompt() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        client.send("/register gina")
        client.send("")
        #expect(
            try client.readUntil { $0.contains("! ") }.last?.hasSuffix("! registration cancelled (bad_password)")
                == true)
        client.send("/register gina")
        client.send("okpassword1")
        client.send("")
        #expect(
            try client.readUntil { $0.contains("! ") }.last?.hasSuffix("! registration cancelled (bad_password)")
                == true)
        client.send("/register gina okpassword1")
        #expect(try client.readLine() == "* welcome, gina! you are registered and logged in")
    }

    @Test func postsThatLookEmptyOrSmearAreRefused() throws {
        let server = try TestServer()
        let client = try server.registeredClient("alice")
        try client.switchToJSON()
        // Hangul fillers are default-ignorable, so refused as invisible before they could look empty.
        #expect(try error(after: "\u{3164}\u{3164}", on: client)["code"] as? String == "bad_text")
        #expect(try error(after: "\u{2800} \u{200D}", on: client)["code"] as? String == "empty_post")
        #expect(try error(after: "\u{0301}leading mark", on: client)["code"] as? String == "bad_text")
        let zalgo = "a" + String(repeating: "\u{0301}", count: 9)
        #expect(try error(after: zalgo, on: client)["code"] as? String == "bad_text")
        client.send("cafe\u{0301} ok, na\u{0308}ive ok")
        #expect(try client.readJSON()["type"] as? String == "ok")
    }

    @Test func theLongestAllowedPasswordWorks() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        try client.switchToJSON()
        let longest = String(repeating: "p", count: AccountRules.maxPasswordBytes)
        #expect(try error(after: "/register longpw \(longest)p", on: client)["code"] as? String == "bad_password")
        client.send("/register longpw \(longest)")
        #expect(try client.readJSON()["type"] as? String == "ok")
        client.send("/logout")
        #expect(try client.readJSON()["type"] as? String == "ok")
        client.send("/login longpw \(longest)")
        #expect(try client.readJSON()["type"] as? String == "ok")
    }
}
