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

@Suite("CommandAccess")
struct CommandAccessTests {
    /// The table says which commands need an account and which an administrator; the server checks
    /// it before any handler runs, so a guest's refusal never depends on a handler remembering it.
    @Test func theTableNamesWhoMayRunEachCommand() {
        var account: Set<String> = []
        var administrator: Set<String> = []
        for spec in CommandTable.all {
            switch spec.access {
            case .anyone: break
            case .account: account.insert(spec.name)
            case .administrator: administrator.insert(spec.name)
            }
        }
        #expect(
            account == [
                "logout", "post", "follow", "unfollow", "mute", "unmute", "timeline", "mentions", "reply", "like",
                "unlike", "repost", "delete", "catchup", "bio", "away", "back", "msg", "inbox", "notify",
                "notifications", "bell", "key", "passwd", "tz", "web", "export", "delete-account", "invite", "invites",
                "report",
            ])
        #expect(administrator == ["ban", "unban", "stats", "kick", "announce", "reports"])
    }

    @Test func guestsAreToldWhatToDo() {
        func access(_ line: String) -> CommandAccess? { CommandParser.read(line)?.spec?.access }
        #expect(
            access("/post hello") == .account(notLoggedIn: "log in to post: /login NAME, or /register NAME to join"))
        #expect(access("hello") == access("/post hello"))
        #expect(access("//hello") == access("/post hello"))
        #expect(access("/logout") == .account(notLoggedIn: "you are not logged in"))
        #expect(
            access("/stats")
                == .administrator(
                    notLoggedIn: "log in to stats: /login NAME, or /register NAME to join",
                    forbidden: "only administrators can see /stats"))
        #expect(access("/feed 5") == .anyone)
    }
}
