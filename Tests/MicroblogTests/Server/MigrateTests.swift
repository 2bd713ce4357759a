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

@Suite(
    "Operations: migrate a SQLite community to PostgreSQL",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the migration tests were skipped"))
struct MigrateTests {
    @Test func everythingArrivesWithItsIDsAndPasswordsStillWork() throws {
        let directory = try TemporaryDirectory()
        let sqlite = try TestServer(directory: directory) {
            $0.settings.postRate = 0
            $0.settings.admins = ["alice"]
        }
        let alice = try sqlite.registeredClient("alice", password: "alice-pass-1")
        let bob = try sqlite.registeredClient("bob", password: "bob-pass-2")
        for line in ["first #swift", "second @bob", "to be deleted", "/reply 1 a reply", "/like 2", "/delete 3"] {
            alice.send(line)
            try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        }
        for line in ["/follow alice", "/repost 1", "/msg alice a private word", "/mute alice"] {
            bob.send(line)
            try bob.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        }
        for seed in [1, 2] {
            alice.send("/key add \(SSHKeyTests.keyLine(seed, comment: "key \(seed)"))")
            try alice.readUntil { $0.hasPrefix("* key \(seed) added") }
        }
        alice.send("/key list")
        let keysBefore = try alice.readUntil { $0.hasPrefix("* ") }
        alice.send("/ban bob enough")
        try alice.readUntil { $0.hasPrefix("* bob is banned") }
        alice.send("/feed 50")
        let feedBefore = try alice.readUntil { $0.hasPrefix("* ") && $0.contains("posts") }
        try sqlite.stop()

        let schema = try PostgresTestSchema()
        let report = DatabaseTools.migrate(from: sqlite.databasePath, to: schema.uri)
        #expect(report.ok, "\(report.lines)")
        #expect(report.lines.contains("  users: 2") && report.lines.contains("  posts: 5"), "\(report.lines)")
        #expect(report.lines.contains("  ssh_keys: 2"), "\(report.lines)")

        let postgres = try TestServer { $0.databasePath = schema.uri }
        let again = try postgres.greetedClient()
        again.send("/login alice alice-pass-1")
        try again.readUntil { $0.contains("welcome back, alice") }
        again.send("/feed 50")
        let feedAfter = try again.readUntil { $0.hasPrefix("* ") && $0.contains("posts") }
        #expect(feedAfter.filter { !$0.contains("while you were away") } == feedBefore)
        // The keys keep their numbers, and new ones continue after them.
        again.send("/key list")
        #expect(try again.readUntil { $0.hasPrefix("* ") } == keysBefore)
        again.send("/key add \(SSHKeyTests.keyLine(3))")
        try again.readUntil { $0.hasPrefix("* key 3 added") }
        again.send("/inbox bob")
        #expect(try again.readUntil { $0.hasPrefix("* ") }.contains { $0.contains("a private word") })
        again.send("/search swift")
        #expect(try again.readUntil { $0.hasPrefix("* ") }.first?.hasSuffix("alice: first #swift") == true)
        again.send("new on postgres")
        #expect(try again.readUntil { $0.hasPrefix("* posted #") }.last == "* posted #6")
        let banned = try postgres.greetedClient()
        banned.send("/login bob bob-pass-2")
        #expect(try banned.readUntil { $0.hasPrefix("! ") }.last?.hasSuffix("(banned)") == true)

        // check and export work on PostgreSQL too; backup points to pg_dump.
        let checked = DatabaseTools.check(path: schema.uri)
        #expect(checked.ok && checked.lines.contains("posts: 6"), "\(checked.lines)")
        var exported: [String] = []
        _ = try DatabaseTools.export(path: schema.uri, user: "alice", since: 0, format: .twtxt) { exported.append($0) }
        #expect(
            exported.map { $0.split(separator: "\t").last.map(String.init) ?? "" } == [
                "first #swift", "second @bob", "a reply", "new on postgres",
            ])
        #expect(!DatabaseTools.backup(path: schema.uri, to: directory.path + "/x.db", force: false).ok)

        // Only into an empty database.
        let twice = DatabaseTools.migrate(from: sqlite.databasePath, to: schema.uri)
        #expect(!twice.ok && twice.lines.joined().contains("not empty"))
    }

    @Test func migrateParsesItsArguments() throws {
        #expect(
            try Options.parse(["migrate", "--from", "a.db", "--to", "postgresql://x@y/z"]).action
                == .tool(.migrate(from: "a.db", to: "postgresql://x@y/z")))
        for bad in [["migrate", "--from", "a.db"], ["migrate", "--from", "a.db", "--to", "b.db"]] {
            #expect(throws: OptionsError.self, "\(bad)") { try Options.parse(bad) }
        }
    }
}
