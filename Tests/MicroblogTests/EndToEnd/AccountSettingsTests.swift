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

@Suite("End to end: changing a password")
struct PasswordChangeTests {
    /// Answers the `/passwd` prompts of a client without telnet (nc), the first `answers` of them (the
    /// prompts after a refused answer never come), and returns the reply line.
    private func changePassword(
        _ client: TestClient, old: String, new: String, repeated: String? = nil, flag: String = "", answers: Int = 3
    ) throws -> String {
        client.send("/passwd" + flag)
        let steps = [
            ("Current password: ", old), ("New password: ", new), ("Repeat the new password: ", repeated ?? new),
        ]
        for (prompt, answer) in steps.prefix(answers) {
            try client.readUntilBytes(Array(prompt.utf8))
            client.send(answer)
        }
        return try client.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last ?? ""
    }

    @Test func oldThenNewTwiceChangesItAndOtherSessionsMayBeEnded() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let other = try server.greetedClient()
        try other.run("/login alice password1")
        try alice.run("/watch off")
        // Wrapped at words to 80 columns, the rest two columns in.
        #expect(
            try changePassword(alice, old: "password1", new: "password2")
                == "* password changed; your 1 other session stays logged in (/passwd")
        #expect(try alice.readLine() == "  --logout-others would have ended it)")
        // The old password no longer works; the new one does.
        let fresh = try server.greetedClient()
        #expect(try fresh.run("/login alice password1").hasSuffix("(bad_login)"))
        #expect(try fresh.run("/login alice password2") == "* welcome back, alice")
        // --logout-others ends every other session of the account.
        #expect(
            try changePassword(alice, old: "password2", new: "password3", flag: " --logout-others")
                == "* password changed; 2 other sessions ended")
        for ended in [other, fresh] {
            #expect(try ended.readUntilClosed().contains("* your password was changed in another session"))
        }
        #expect(try alice.run("/who") == "* 1 user online, 0 guests")
    }

    @Test func aWrongPasswordAMismatchOrAnEmptyAnswerChangesNothing() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        #expect(
            try changePassword(alice, old: "nope-nope", new: "x", answers: 1)
                == "! wrong password; nothing changed (bad_login)")
        #expect(
            try changePassword(alice, old: "password1", new: "password2", repeated: "password3")
                == "! the two new passwords differ; nothing changed (password_mismatch)")
        #expect(try changePassword(alice, old: "password1", new: "short", answers: 2).hasSuffix("(bad_password)"))
        alice.send("/passwd")
        try alice.readUntilBytes(Array("Current password: ".utf8))
        alice.send("")
        #expect(try alice.readLine() == "! password change cancelled; nothing changed (bad_password)")
        let fresh = try server.greetedClient()
        #expect(try fresh.run("/login alice password1") == "* welcome back, alice")
        #expect(try server.greetedClient().run("/passwd").hasSuffix("(not_logged_in)"))
    }

    @Test func wrongCurrentPasswordsCountAsFailedLogins() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        try alice.run("/watch off")
        for _ in 1...3 {
            #expect(try changePassword(alice, old: "guess-guess", new: "x", answers: 1).hasSuffix("(bad_login)"))
        }
        // The address is throttled now, as after three failed logins: the next check waits.
        #expect(try changePassword(alice, old: "password1", new: "x", answers: 1).hasSuffix("(throttled)"))
    }

    @Test func promptsAreHiddenOverTelnetAndNamedInJSON() throws {
        let server = try TestServer(lineModeTelnet: true)
        try server.registeredClient("alice").send("/quit")
        let telnet = try server.greetedClient()
        telnet.send("/login alice password1", ending: "\r\n")
        try telnet.readUntil { $0.contains("welcome back") }
        telnet.send("/passwd", ending: "\r\n")
        #expect(
            try telnet.readUntilBytes(Array("Current password: ".utf8)) == TelnetTests.willEcho
                + Array("Current password: ".utf8))

        let bot = try server.greetedClient()
        try bot.switchToJSON()
        bot.send("/login alice password1")
        try bot.readJSONUntil { $0["type"] as? String == "ok" }
        bot.send("/passwd")
        var fields: [String] = []
        for answer in ["password1", "password2", "password2"] {
            let prompt = try bot.readJSON()
            #expect(prompt["type"] as? String == "prompt")
            fields.append(prompt["field"] as? String ?? "")
            bot.send(answer)
        }
        #expect(fields == ["password", "new_password", "repeat_new_password"])
        let ok = try #require(try bot.readJSONUntil { $0["type"] as? String == "ok" }.last)
        #expect(ok["command"] as? String == "passwd" && ok["others"] as? Int == 1 && ok["ended"] as? Int == 0)
    }
}

@Suite("End to end: a community's own tools")
struct CommunityToolsTests {
    @Test func kickEndsTheSessionsButIsNoBanAndIsLogged() throws {
        let server = try TestServer { $0.settings.admins = ["boss"] }
        let boss = try server.registeredClient("boss")
        let bob = try server.registeredClient("bob")
        let bobAgain = try server.greetedClient()
        try bobAgain.run("/login bob password1")
        try boss.run("/watch off")
        #expect(try bob.run("/kick boss") == "! only administrators can kick (forbidden)")
        #expect(try boss.run("/kick boss") == "! administrators cannot be kicked (forbidden)")
        #expect(try boss.run("/kick bob") == "* bob was kicked (2 sessions here)")
        for kicked in [bob, bobAgain] {
            #expect(
                try kicked.readUntilClosed().contains(
                    "* you were disconnected by boss, an administrator; you may log in again"))
        }
        #expect(try server.greetedClient().run("/login bob password1") == "* welcome back, bob")
        #expect(try boss.run("/kick nobody").hasSuffix("(no_such_user)"))
        try server.stop()
        let store = try SQLiteStore(path: server.databasePath)
        defer { store.close() }
        #expect(try store.moderationRows(limit: 5).first?.contains(" boss kick bob ") == true)
    }

    @Test func announcementsReachEveryoneOnline() throws {
        let server = try TestServer { $0.settings.admins = ["boss"] }
        let boss = try server.registeredClient("boss")
        let bob = try server.registeredClient("bob")
        let guest = try server.greetedClient()
        let bot = try server.greetedClient()
        try bot.switchToJSON()
        try bob.run("/watch off")  // announcements arrive whatever one watches
        #expect(try bob.run("/announce hi").hasSuffix("(forbidden)"))
        #expect(try guest.run("/announce hi").hasSuffix("(not_logged_in)"))
        #expect(try boss.run("/announce back in 5 minutes") == "* announced to 3 other sessions here")
        for client in [bob, guest] {
            #expect(try client.readLine() == "*** announcement from boss: back in 5 minutes")
        }
        let json = try #require(try bot.readJSONUntil { $0["type"] as? String == "announcement" }.last)
        #expect(json["from"] as? String == "boss" && json["message"] as? String == "back in 5 minutes")
        #expect(try boss.run("/announce").hasSuffix("(bad_usage)"))
    }

    @Test func reportsAreFiledSeenByAdministratorsAndClosed() throws {
        let server = try TestServer { $0.settings.admins = ["boss"] }
        let boss = try server.registeredClient("boss")
        let bob = try server.registeredClient("bob")
        let carol = try server.registeredClient("carol")
        for client in [boss, bob, carol] { try client.run("/watch off") }
        try bob.run("buy cheap pills")
        #expect(try carol.run("/report 1 spam") == "* thank you: report 1 on #1 goes to the administrators")
        #expect(try carol.run("/report 99 spam").hasSuffix("(no_such_post)"))
        #expect(try server.greetedClient().run("/report 1 spam").hasSuffix("(not_logged_in)"))
        #expect(try carol.run("/reports").hasSuffix("(forbidden)"))
        boss.send("/reports")
        let listed = try boss.readUntil { $0.hasPrefix("* ") }
        #expect(listed.count == 2)
        #expect(listed[0].hasPrefix("  report 1 ") && listed[0].hasSuffix("by carol (spam) on #1 bob: buy cheap pills"))
        #expect(listed[1] == "* 1 open report; /reports close N")
        #expect(try boss.run("/reports close 1 deleted it") == "* report 1 on #1 closed")
        #expect(try boss.run("/reports close 1").hasSuffix("(no_such_report)"))
        #expect(try boss.run("/reports") == "* no open reports")
        try boss.switchToJSON()
        #expect(try carol.run("/report 1 still spam").hasPrefix("* thank you: report 2"))
        boss.send("/reports")
        let report = try boss.readJSON()
        #expect(report["type"] as? String == "report" && report["id"] as? Int == 2 && report["post"] as? Int == 1)
        #expect(report["reporter"] as? String == "carol" && report["reason"] as? String == "still spam")
        try server.stop()
        let store = try SQLiteStore(path: server.databasePath)
        defer { store.close() }
        #expect(
            try store.moderationRows(limit: 5).first?.contains(" boss close_report bob 1 report 1: deleted it") == true)
    }

    @Test func registrationByInvitation() throws {
        let server = try TestServer {
            $0.settings.admins = ["boss"]
            $0.settings.registration = .invite
        }
        let boss = try server.registeredClient("boss")
        try boss.run("/watch off")
        let newcomer = try server.greetedClient()
        #expect(try newcomer.run("/register bob password1").hasSuffix("(bad_invite)"))
        #expect(try newcomer.run("/register bob").hasSuffix("(invite_required)"))
        boss.send("/invite")
        let code = try #require(try boss.readUntil { $0.hasPrefix("* ") }.first?.split(separator: " ").last)
        #expect(try newcomer.run("/register bob \(code.lowercased()) password1").hasPrefix("* welcome, bob!"))
        let late = try server.greetedClient()
        #expect(
            try late.run("/register eve \(code) password1")
                == "! that invite code is unknown or was used already (bad_invite)")
        // Members invite only as far as an administrator lets them.
        #expect(try newcomer.run("/invite").hasSuffix("(no_invites)"))
        #expect(try newcomer.run("/invites allow bob 5").hasSuffix("(forbidden)"))
        #expect(try boss.run("/invites allow bob 1") == "* bob may make 1 more invite code")
        newcomer.send("/invite")
        let second = try #require(try newcomer.readUntil { $0.hasPrefix("* ") }.first?.split(separator: " ").last)
        #expect(try newcomer.run("/invites") == "* 1 unused code; you may make 0 more with /invite")
        // A prompt for the password keeps the code.
        late.send("/register eve \(second)")
        try late.readUntilBytes(Array("Choose a password: ".utf8))
        late.send("password1")
        try late.readUntilBytes(Array("Repeat the password: ".utf8))
        late.send("password1")
        #expect(
            try late.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last?.hasPrefix("* welcome, eve!") == true)
        #expect(try newcomer.run("/invites") == "* 0 unused codes; you may make 0 more with /invite")
    }

    @Test func closedRegistrationRefusesEveryone() throws {
        let server = try TestServer { $0.settings.registration = .closed }
        let client = try server.greetedClient()
        #expect(try client.run("/register bob password1").hasSuffix("(registration_closed)"))
    }

    @Test func theMessageOfTheDayIsInTheGreetingAndReloaded() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/motd.txt"
        let rules = "Rules: be kind.\u{1B}[2J " + String(repeating: "Stay on topic. ", count: 8)
        try rules.write(toFile: path, atomically: true, encoding: .utf8)
        let server = try TestServer(directory: directory) { $0.motdPath = path }
        let client = try TestClient(port: server.port)
        let greeting = try client.readUntil { $0.contains("new posts appear below") }
        let start = try #require(greeting.firstIndex { $0.hasPrefix("* Rules: be kind.") })
        #expect(greeting[start].contains("\u{FFFD}[2J"))
        #expect(greeting[start + 1].hasPrefix("* ") && greeting[start + 1].hasSuffix("Stay on topic."))
        #expect(greeting[start + 2] == "* no posts yet")
        #expect(greeting[start...(start + 1)].allSatisfy { $0.count <= 80 })
        // A file that cannot be read at start stops the start.
        #expect(throws: (any Error).self) { try TestServer { $0.motdPath = directory.path + "/missing.txt" } }
        try "Welcome to the new rules.".write(toFile: path, atomically: true, encoding: .utf8)
        server.server.reloadMotd()
        #expect(
            waitUntil(timeout: 10) {
                guard let again = try? TestClient(port: server.port),
                    let lines = try? again.readUntil({ $0.contains("new posts appear below") })
                else { return false }
                return lines.contains("* Welcome to the new rules.")
            })
    }
}

@Suite("End to end: time zones")
struct TimeZoneTests {
    /// Minutes after midnight of the `HH:MM` in a post line.
    private func minutes(_ line: String) throws -> Int {
        let match = try #require(line.firstMatch(of: #/(\d\d):(\d\d) /#))
        return (Int(match.1) ?? 0) * 60 + (Int(match.2) ?? 0)
    }

    /// The post line of `/feed 1`, its reply read too.
    private func latest(_ client: TestClient) throws -> String {
        client.send("/feed 1")
        return try client.readUntil { $0.hasPrefix("* ") }.first { $0.hasSuffix(": namaste") } ?? ""
    }

    @Test func everyTimeShownIsInTheReadersZoneAndRemembered() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        try alice.run("/watch off")
        let inUTC = try alice.run("/tz")
        #expect(
            inUTC.wholeMatch(of: /\* times are shown in UTC \(now \d\d:\d\d\); \/tz ZONE changes it/) != nil, "\(inUTC)"
        )
        #expect(try alice.run("/tz Mars/Olympus").hasSuffix("(bad_zone)"))
        #expect(try alice.run("/tz asia/kathmandu") == "* times are now shown in Asia/Kathmandu (GMT+5:45)")
        let second = try server.greetedClient()
        try second.run("/login alice password1")
        try alice.run("/watch on")
        // A live post: alice reads it at UTC+5:45, bob in UTC.
        try bob.run("namaste")
        let utcLine = try latest(bob)
        let zonedLine = try alice.readUntil { $0.hasSuffix("bob: namaste") }.last ?? ""
        #expect((try minutes(zonedLine) - minutes(utcLine) + 1440) % 1440 == 345)
        // Her other session too, and listings.
        #expect(try minutes(latest(second)) == minutes(zonedLine))
        // JSON keeps UTC.
        try second.switchToJSON()
        second.send("/feed 1")
        #expect((try second.readJSON()["at"] as? String)?.hasSuffix("Z") == true)
        // Remembered for the next login.
        alice.send("/quit")
        _ = try alice.readUntilClosed()
        let again = try server.greetedClient()
        try again.run("/login alice password1")
        try again.run("/watch off")
        #expect(try again.run("/tz").hasPrefix("* times are shown in Asia/Kathmandu (GMT+5:45, now "))
        #expect(try minutes(latest(again)) == minutes(zonedLine))
        #expect(try again.run("/tz UTC") == "* times are now shown in UTC")
        #expect(try minutes(latest(again)) == minutes(utcLine))
    }
}

@Suite("End to end: an account's data")
struct AccountDataTests {
    @Test func exportIsJSONLinesEndedByASummaryInBothModes() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        for client in [alice, bob] { try client.run("/watch off") }
        try alice.run("hello \"world\"")
        try bob.run("hi alice")
        try alice.run("/like 2")
        try alice.run("/follow bob")
        try bob.run("/msg alice psst")
        try alice.readUntil { $0.hasSuffix("bob → alice: psst") }  // a direct message arrives live
        // Text mode over nc: one JSON object a line up to export_end, then the reply.
        alice.send("/export")
        let lines = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(lines.last == "* exported 1 post, 1 like, 1 follow, 1 message")
        let objects = try lines.dropLast().map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(
            objects.map { $0["kind"] as? String ?? $0["type"] as? String ?? "" } == [
                "post", "like", "follow", "message", "export_end",
            ])
        #expect(
            objects[0]["text"] as? String == "hello \"world\"" && (objects[0]["at"] as? String)?.hasSuffix("Z") == true)
        #expect(objects[2]["name"] as? String == "bob")
        #expect(objects[3]["from"] as? String == "bob" && objects[3]["text"] as? String == "psst")
        #expect(
            objects[4]["posts"] as? Int == 1 && objects[4]["messages"] as? Int == 1
                && objects[4]["name"] as? String == "alice")
        // JSON mode: the same objects, then an ok.
        try alice.switchToJSON()
        alice.send("/export")
        let json = try alice.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(json.count == 6 && json[4]["type"] as? String == "export_end")
        #expect(try server.greetedClient().run("/export").hasSuffix("(not_logged_in)"))
    }

    @Test func deletingAnAccountRemovesItsDataEndsItsSessionsAndHoldsTheName() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let other = try server.greetedClient()
        try other.run("/login alice password1")
        let bob = try server.registeredClient("bob")
        try bob.run("/watch off")
        try alice.run("/watch off")
        try alice.run("mine")
        try bob.run("/repost 1")
        try bob.run("/msg alice bye")
        try bob.run("/follow alice")
        try alice.run("/follow bob")  // bob is notified: alice followed him
        try bob.run("/watch on")
        #expect(try bob.run("/notifications").hasPrefix("* 1 notification"))
        // A wrong password deletes nothing.
        alice.send("/delete-account")
        try alice.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        alice.send("wrong-password")
        #expect(try alice.readLine() == "! wrong password; not deleted (bad_login)")
        alice.send("/delete-account")
        try alice.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        alice.send("password1")
        #expect(
            try alice.readJoined { $0.hasSuffix("(/quit leaves)") }
                == "* your account alice is deleted, with 2 posts; the name is held for 30 days; you go on as a guest here (/quit leaves)"
        )
        // Watchers see its posts and the reposts of them go; the other session ends.
        #expect(try bob.readUntil { $0.hasPrefix("* deleted") }.last == "* deleted: #1, #2")
        #expect(try other.readUntilClosed().contains("* this account was deleted in another session"))
        // The session carries on as a guest; the account and its traces are gone.
        #expect(try alice.run("/post hi").hasSuffix("(not_logged_in)"))
        #expect(try alice.run("/login alice password1") == "! wrong name or password (bad_login)")
        #expect(try bob.run("/profile alice").hasSuffix("(no_such_user)"))
        #expect(try bob.run("/inbox") == "* no messages; /msg NAME TEXT sends one")
        #expect(try bob.run("/following") == "* bob follows 0 accounts")
        // Its notifications go too, those it caused and those it got.
        #expect(try bob.run("/notifications").hasPrefix("* no notifications"))
        // Nobody can take the name (or a look-alike) while it is held.
        #expect(try alice.run("/register ALlCE password2").hasSuffix("(name_taken)"))
    }

    /// `/help delete-account` says the hold this server keeps (`deletedNameHold`), not the default's.
    @Test func helpSaysTheConfiguredNameHold() throws {
        let server = try TestServer { $0.settings.deletedNameHold = 7 * 86_400 }
        let guest = try server.greetedClient()
        guest.send("/help delete-account")
        let lines = try guest.readUntil { $0.contains("/export first") }
        #expect(lines.contains { $0.contains("Your name stays held for 7 days") }, "\(lines)")
    }

    @Test func aDeletedNameIsFreeAgainAfterItsHold() throws {
        let server = try TestServer { $0.settings.deletedNameHold = 0 }
        let alice = try server.registeredClient("alice")
        alice.send("/delete-account")
        try alice.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        alice.send("password1")
        try alice.readUntil { $0.hasPrefix("* your account alice is deleted") }
        #expect(try alice.run("/register alice password2") == "* welcome, alice! you are registered and logged in")
    }
}

@Suite("End to end: export in character mode")
struct ExportCharacterModeTests {
    @Test func exportLinesAreNeverWrappedToTheWindow() throws {
        let server = try TestServer()
        let telnet = try server.greetedClient()
        telnet.send("/register alice password1", ending: "\r\n")
        try telnet.readUntilBytes([255, 253, 0])
        telnet.sendBytes([255, 253, 1, 255, 253, 3])  // DO ECHO, DO SUPPRESS-GO-AHEAD: character mode
        telnet.sendBytes([255, 250, 31, 0, 40, 0, 24, 255, 240])  // a window 40 columns wide
        try telnet.readUntilBytes(Array("logged in\r\n\r> \u{1B}[K".utf8))
        let text = String(repeating: "a long post ", count: 6).trimmingBlanks()
        telnet.sendBytes(Array((text + "\r\0").utf8))
        try telnet.readUntilBytes(Array("* posted #1".utf8))
        telnet.sendBytes(Array("/export\r\0".utf8))
        let bytes = try telnet.readUntilBytes(Array("* exported".utf8))
        let output = String(decoding: bytes, as: UTF8.self)
        let line = try #require(output.split(separator: "\r\n").first { $0.contains("\"kind\":\"post\"") })
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(line.drop { $0 != "{" }.utf8)) as? [String: Any])
        #expect(json["text"] as? String == text)
        #expect(output.contains("\"type\":\"export_end\",\"name\":\"alice\",\"posts\":1,"))
    }
}
