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

/// Who may run what, as the wire shows it: the registry's access, checked before any handler runs. The
/// refusals are written out here byte for byte, so a change to the dispatch that changes one shows.
@Suite("End to end: access refusals")
struct AccessRefusalTests {
    /// What a guest is told for each command that needs an account, as `log in to ACTION: ...`.
    private static let guestActions: [String: String] = [
        "post": "post", "follow": "follow", "unfollow": "unfollow", "mute": "mute", "unmute": "unmute",
        "timeline": "see your timeline", "mentions": "see your mentions", "reply": "reply", "like": "like",
        "unlike": "unlike", "repost": "repost", "delete": "delete", "catchup": "catch up", "bio": "set a bio",
        "away": "say you are away", "back": "say you are away", "msg": "send messages", "inbox": "read messages",
        "notify": "choose your notifications", "notifications": "see your notifications", "bell": "set the bell",
        "key": "manage your SSH keys", "passwd": "change your password", "tz": "choose your time zone",
        "web": "choose web visibility",
        "export": "export your data", "delete-account": "delete your account", "invite": "invite someone",
        "invites": "see your invitations", "report": "report a post", "ban": "ban", "unban": "unban",
        "stats": "stats", "kick": "kick", "announce": "announce", "reports": "see reports",
    ]

    /// What an account that is not an administrator is told for each administrators' command.
    private static let forbidden: [String: String] = [
        "ban": "only administrators can ban", "unban": "only administrators can unban",
        "stats": "only administrators can see /stats", "kick": "only administrators can kick",
        "announce": "only administrators can announce", "reports": "only administrators can see reports",
    ]

    @Test func aGuestIsToldToLogInForEveryCommandThatNeedsAnAccount() throws {
        let server = try TestServer()
        let guest = try server.greetedClient()
        let refused = CommandTable.all.filter { $0.access != .anyone }.map(\.name)
        #expect(Set(refused) == Set(Self.guestActions.keys).union(["logout"]))
        for name in refused {
            let line = try #require(CommandSamples.lines[name])
            let expected =
                name == "logout"
                ? "! you are not logged in (not_logged_in)"
                : "! log in to \(Self.guestActions[name] ?? "?"): /login NAME, or /register NAME to join (not_logged_in)"
            #expect(try guest.run(line) == expected, "\(line)")
        }
        // A post is a line like any other: refused the same way, whether typed bare or with //.
        #expect(try guest.run("hello") == "! log in to post: /login NAME, or /register NAME to join (not_logged_in)")
        #expect(try guest.run("//hello") == "! log in to post: /login NAME, or /register NAME to join (not_logged_in)")
        try guest.switchToJSON()
        for name in refused {
            guest.send(try #require(CommandSamples.lines[name]))
            let error = try guest.readJSON()
            #expect(error["code"] as? String == "not_logged_in" && error["command"] as? String == name, "\(error)")
        }
    }

    @Test func anAccountIsForbiddenTheAdministratorsCommands() throws {
        let server = try TestServer { $0.settings.admins = ["root"] }
        let bob = try server.registeredClient("bob")
        let administrators = CommandTable.all.filter {
            if case .administrator = $0.access { return true }
            return false
        }.map(\.name)
        #expect(Set(administrators) == Set(Self.forbidden.keys))
        for name in administrators {
            let line = try #require(CommandSamples.lines[name])
            #expect(try bob.run(line) == "! \(Self.forbidden[name] ?? "?") (forbidden)", "\(line)")
        }
        try bob.switchToJSON()
        for name in administrators {
            bob.send(try #require(CommandSamples.lines[name]))
            let error = try bob.readJSON()
            #expect(error["code"] as? String == "forbidden" && error["command"] as? String == name, "\(error)")
        }
        // An administrator is let through: /stats answers with its figures.
        let root = try server.registeredClient("root")
        #expect(try root.run("/stats").hasPrefix("* server statistics"))
    }

    /// Bad arguments are answered by the entry that parsed them, and name it; an unknown command names none.
    @Test func parseErrorsNameTheirEntry() throws {
        let server = try TestServer()
        let guest = try server.greetedClient()
        #expect(try guest.run("/follow") == "! usage: /follow NAME (bad_usage)")
        #expect(try guest.run("/help a b") == "! usage: /help [TOPIC|COMMAND] (bad_usage)")
        #expect(try guest.run("/nonsense") == "! unknown command /nonsense; type /help for the list (unknown_command)")
        try guest.switchToJSON()
        guest.send("/FOLLOW")
        #expect(try guest.readJSON()["command"] as? String == "follow")
        guest.send("/nonsense")
        #expect(try guest.readJSON()["command"] == nil)
    }
}
