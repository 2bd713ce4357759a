import Foundation
import MicroblogModel
import MicroblogServer
import MicroblogTestSupport
import Testing

/// Every message says what is true (issue 25): what the server tells a newcomer matches what happens,
/// and each pointer leads to where the thing is.
@Suite struct TruthfulMessagesTests {
    /// The greeting is a listing, and shows a post's likes as `/feed` does: from the database, and from
    /// the newest posts the server keeps for greetings (a like after the post was broadcast).
    @Test func theGreetingShowsLikesAsTheFeedDoes() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        #expect(try alice.run("nice day for a walk").hasPrefix("* posted #1"))
        #expect(try bob.run("/like 1").hasPrefix("* you like #1 (1 like)"))
        bob.send("/feed")
        let listed = try #require(try bob.readUntil { $0.hasPrefix("* ") }.first { $0.contains("nice day") })
        #expect(listed.hasSuffix("(1 like)"), "\(listed)")
        let guest = try server.client()
        let greeting = try guest.readUntil { $0.contains("new posts appear below") }
        #expect(greeting.contains(listed), "\(greeting)")
        // Taken back, the count goes with it.
        #expect(try bob.run("/unlike 1").hasPrefix("* you no longer like #1 (0 likes)"))
        let later = try server.client()
        let again = try later.readUntil { $0.contains("new posts appear below") }
        #expect(again.contains { $0.hasSuffix("nice day for a walk") }, "\(again)")
    }

    /// A restarted server reads the greeting's posts from the database, counts and all.
    @Test func theGreetingAfterARestartShowsLikes() throws {
        let directory = try TemporaryDirectory()
        do {
            let server = try TestServer(directory: directory)
            let alice = try server.registeredClient("alice")
            let bob = try server.registeredClient("bob")
            try alice.run("liked by two")
            try bob.run("/like 1")
            try alice.run("/like 1")
        }
        let server = try TestServer(directory: directory)
        let guest = try server.client()
        let greeting = try guest.readUntil { $0.contains("new posts appear below") }
        #expect(greeting.contains { $0.hasSuffix("liked by two (2 likes)") }, "\(greeting)")
    }

    /// A member's `/help` shows no administrators' sub-command; an administrator's does.
    @Test func helpShowsAdministratorsFormsToAdministratorsOnly() throws {
        let server = try TestServer { $0.settings.admins = ["boss"] }
        let member = try server.registeredClient("carol")
        member.send("/help social")
        let shown = try member.readUntil { $0.hasPrefix("* help") || $0.hasPrefix("* /help") }
        #expect(shown.contains { $0.contains("/invites") }, "\(shown)")
        #expect(!shown.contains { $0.contains("allow") }, "\(shown)")
        member.send("/help invites")
        let explained = try member.readUntil { $0.hasPrefix("* /help") }
        #expect(!explained.contains { $0.contains("allow") }, "\(explained)")
        #expect(try member.run("/invites nonsense") == "! usage: /invites (bad_usage)")
        let boss = try server.registeredClient("boss")
        boss.send("/help invites")
        let full = try boss.readUntil { $0.hasPrefix("* /help") }
        #expect(full.contains { $0.contains("/invites allow NAME N") }, "\(full)")
        #expect(try boss.run("/invites allow carol") == "! usage: /invites allow NAME N (bad_usage)")
    }

    /// A mistyped command is answered with the nearest ones, as git and shells do.
    @Test func unknownCommandsSuggestTheNearest() throws {
        let server = try TestServer()
        let guest = try server.greetedClient()
        #expect(
            try guest.run("/folow carol")
                == "! unknown command /folow; did you mean /follow? (/help lists them all) (unknown_command)")
        #expect(try guest.run("/xyzzy") == "! unknown command /xyzzy; type /help for the list (unknown_command)")
        // Never an administrator's command.
        #expect(try guest.run("/bna x").hasSuffix("type /help for the list (unknown_command)"))
    }

    /// Under `--registration invite` every hint to join names the code; under `closed`, the operator.
    @Test func joinHintsFollowTheRegistration() throws {
        let invite = try TestServer { $0.settings.registration = .invite }
        let guest = try invite.client()
        let greeting = try guest.readUntil { $0.contains("new posts appear below") }
        #expect(greeting.contains("* /register NAME CODE to join with an invitation, /login NAME to log in"))
        #expect(!greeting.contains { $0.contains("/register NAME to join") }, "\(greeting)")
        #expect(
            try guest.run("hello")
                == "! log in to post: /login NAME, or /register NAME CODE to join with an invitation (not_logged_in)")

        let closed = try TestServer { $0.settings.registration = .closed }
        let other = try closed.client()
        let closedGreeting = try other.readUntil { $0.contains("new posts appear below") }
        #expect(!closedGreeting.contains { $0.contains("/register") }, "\(closedGreeting)")
        #expect(
            try other.run("/follow bob")
                == "! log in to follow: /login NAME, or ask the operator for an account (not_logged_in)")
    }

    /// Arguments that are wrong say what is wrong, not only the usage.
    @Test func wrongArgumentsSayWhatIsWrong() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        #expect(
            try alice.run("/reply 99999999999999999999 hi") == "! there is no post #99999999999999999999 (no_such_post)"
        )
        #expect(try alice.run("/reply abc hi") == "! ID must be a post number, like 42 (bad_usage)")
        #expect(
            try alice.run("/notify bogus off")
                == "! no notification kind bogus; KIND is one of follow, like, repost, reply, mention (bad_usage)")
        #expect(try alice.run("/notify like maybe") == "! on or off: /notify like on|off (bad_usage)")
    }
}
