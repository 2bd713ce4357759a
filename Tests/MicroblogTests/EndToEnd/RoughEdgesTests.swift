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

/// Attack 8: small rough edges an outsider found with only the documents and a socket, each as that
/// outsider sees it.
@Suite("End to end: rough edges")
struct RoughEdgesTests {
    private func deleteAccount(_ client: TestClient, password: String = "password1") throws {
        client.send("/delete-account")
        try client.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        client.send(password)
        try client.readUntil { $0.hasPrefix("* your account ") }
    }

    @Test func tabNoLongerOffersADeletedAccount() throws {
        let server = try TestServer()
        // Both known at start of the session below: carol logged in, then deleted her account.
        try server.registeredClient("cathy").send("/quit")
        let carol = try server.registeredClient("carol")
        try deleteAccount(carol)
        let alice = try NewcomerTests.characterModeClient(server, firstLine: "/register alice password1")
        alice.sendBytes(Array("/profile ca\t".utf8))
        try alice.readUntilBytes(Array("\r> /profile cathy \u{1B}[K".utf8))
    }

    @Test func tabForgetsAnAccountDeletedBeforeTheServerStarted() throws {
        let directory = try TemporaryDirectory()
        do {
            let first = try TestServer(directory: directory)
            try first.registeredClient("cathy").send("/quit")
            try deleteAccount(try first.registeredClient("carol"))
            try first.stop()
        }
        let server = try TestServer(directory: directory)
        let alice = try NewcomerTests.characterModeClient(server, firstLine: "/register alice password1")
        alice.sendBytes(Array("/profile ca\t".utf8))
        try alice.readUntilBytes(Array("\r> /profile cathy \u{1B}[K".utf8))
    }

    @Test func registeringAHeldNameIsRefusedBeforeThePasswordIsAsked() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try deleteAccount(alice)
        let line = try alice.run("/register alice")
        #expect(line.hasPrefix("! the name alice belonged to a deleted account and is held until "), "\(line)")
        #expect(line.hasSuffix("; choose another (name_taken)"), "\(line)")
        // A name that is free still gets its prompt.
        alice.send("/register alicia")
        try alice.readUntilBytes(Array("Choose a password: ".utf8))
    }

    @Test func anSSHGuestUsingAHeldNameIsToldTheTruth() throws {
        let kit = try SSHKit()
        let dana = try kit.server.registeredClient("dana")
        try deleteAccount(dana)
        let guest = try kit.ssh("dana", options: ["-tt"])
        #expect(
            waitUntil { guest.output.contains("the name dana is held until ") }, "output: \(guest.output)")
        #expect(!guest.output.contains("makes it yours"), "output: \(guest.output)")
        guest.send("/quit\r")
        _ = guest.waitForExit()
    }

    @Test func anSSHGuestUsingAnAdministratorsNameIsToldItIsReserved() throws {
        let kit = try SSHKit { $0.settings.admins = ["root"] }
        let guest = try kit.ssh("r00t", options: ["-tt"])
        #expect(
            waitUntil { guest.output.contains("the name r00t is reserved for an administrator") },
            "output: \(guest.output)")
        guest.send("/quit\r")
        _ = guest.waitForExit()
    }

    @Test func everyZoneOfTheSystemDatabaseIsAcceptedAndNoPath() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        for (typed, zone) in [
            ("Asia/Kolkata", "Asia/Kolkata"), ("Asia/Calcutta", "Asia/Calcutta"), ("asia/kolkata", "Asia/Kolkata"),
            ("Etc/GMT+12", "Etc/GMT+12"), ("etc/gmt-14", "Etc/GMT-14"), ("US/Eastern", "US/Eastern"),
        ] {
            let line = try alice.run("/tz \(typed)")
            #expect(line.hasPrefix("* times are now shown in \(zone) ("), "\(typed): \(line)")
        }
        for junk in [
            "../../../../etc/passwd", "/etc/localtime", "/usr/share/zoneinfo/Asia/Kolkata", "Asia/../Asia/Kolkata",
            "Asia//Kolkata", "./UTC", "posix/Asia/Kolkata", "right/UTC", "zone.tab", "tzdata.zi", "Asia", "localtime",
            "Nowhere/Atlantis", "GMT+5",
        ] {
            let line = try alice.run("/tz \(junk)")
            #expect(line.hasSuffix("(bad_zone)"), "\(junk): \(line)")
        }
    }

    @Test func areYouThereIsNotAnsweredInJSONMode() throws {
        let server = try TestServer()
        let bot = try server.greetedClient()
        try bot.switchToJSON()
        bot.sendBytes([255, 246])
        bot.send("/who")
        let first = try bot.readJSON()
        #expect(first["type"] as? String != "notice", "\(first)")
        // Text mode still answers it.
        let person = try server.greetedClient()
        person.sendBytes([255, 246])
        #expect(try person.readLine() == "* microblogd is here")
    }

    @Test func aUsedInviteCodeAndAnUnknownOneGetTheSameAnswer() throws {
        let server = try TestServer {
            $0.settings.registration = .invite
            $0.settings.admins = ["root"]
        }
        // The administrator is made as the operator would, beside the running server (WAL).
        let store = try SQLiteStore(path: server.databasePath)
        let admin = try store.createUser(name: "root", nameKey: "root", passwordHash: "x", at: .now())
        #expect(try store.createInvite(code: "AAAA-BBBB", by: admin.id, unlimited: true, at: .now()))
        let first = try server.greetedClient()
        #expect(try first.run("/register newone AAAA-BBBB password1").hasPrefix("* welcome, newone"))
        var answers: [String] = []
        for code in ["AAAA-BBBB", "aaaa-bbbb", "CCCC-DDDD"] {
            let client = try server.greetedClient()
            answers.append(try client.run("/register other \(code) password1"))
            client.send("/mode json")
            _ = try client.readJSON()
            client.send("/register other \(code) password1")
            let json = try client.readJSON()
            answers.append("\(json["code"] ?? "") \(json["message"] ?? "")")
        }
        #expect(Set(answers.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)).count == 1, "\(answers)")
        #expect(Set(answers.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)).count == 1, "\(answers)")
        #expect(answers[0].hasSuffix("(bad_invite)"), "\(answers)")
    }
}
