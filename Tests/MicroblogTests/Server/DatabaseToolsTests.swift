import Foundation
import Synchronization
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

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the real executable with `arguments`; returns its exit status, standard output and error.
private func runTool(_ arguments: [String], input: String? = nil) throws -> (
    status: Int32, output: String, errors: String
) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("microblogd")
    process.arguments = arguments
    let stdin = Pipe()
    process.standardInput = stdin
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

private func fileBytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

@Suite("Operations: backup, check and export")
struct DatabaseToolsTests {
    /// A server's database with alice (3 posts, one with a mention and a tag), bob (1 post) and a direct
    /// message; the server is stopped, so the file is complete.
    private func community() throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory()
        let server = try TestServer(directory: directory) { $0.settings.postRate = 0 }
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        for text in ["first from alice", "hello @bob #swift", "third from alice"] {
            alice.send(text)
            try alice.readUntil { $0.hasPrefix("* posted #") }
        }
        bob.send("bob was here")
        try bob.readUntil { $0.hasPrefix("* posted #") }
        bob.send("/msg alice a private word, never exported")
        try bob.readUntil { $0.hasPrefix("* ") }
        try server.stop()
        return (directory, server.databasePath)
    }

    @Test func checkReportsAHealthyDatabase() throws {
        let (directory, path) = try community()
        let before = fileBytes(path)
        let report = DatabaseTools.check(path: path)
        #expect(report.ok)
        #expect(report.lines.contains("integrity: ok"))
        #expect(report.lines.contains("schema: version \(Migrations.newestVersion), current"))
        #expect(report.lines.contains("users: 2") && report.lines.contains("posts: 4"))
        #expect(fileBytes(path) == before, "check must not modify the file")
        let run = try runTool(["check", "--db", path])
        #expect(run.status == 0 && run.output.contains("healthy"))
        withExtendedLifetime(directory) {}
    }

    @Test func checkRefusesBrokenAndForeignFiles() throws {
        let (directory, path) = try community()
        // A complete, checkpointed copy, then half of it.
        let copy = directory.path + "/copy.db"
        #expect(DatabaseTools.backup(path: path, to: copy, force: false).ok)
        let whole = fileBytes(copy)
        let truncated = directory.path + "/truncated.db"
        try #require(FileManager.default.createFile(atPath: truncated, contents: whole.prefix(whole.count / 2)))
        let random = directory.path + "/random.db"
        var generator = SplitMix64(seed: 7)
        try #require(
            FileManager.default.createFile(
                atPath: random, contents: Data((0..<8192).map { _ in UInt8(truncatingIfNeeded: generator.next()) })))
        let empty = directory.path + "/empty.db"
        try #require(FileManager.default.createFile(atPath: empty, contents: Data()))
        let newer = directory.path + "/newer.db"
        try #require(FileManager.default.createFile(atPath: newer, contents: whole))
        do {
            let database = try SQLiteDatabase(path: newer)
            try database.execute("PRAGMA user_version = \(Migrations.newestVersion + 1)")
            database.close()
        }
        for (file, expected) in [
            (truncated, "corrupt"), (random, "not a SQLite database"), (empty, "not a microblogd database"),
            (newer, "newer than this microblogd knows"), (directory.path + "/missing.db", "no such file"),
        ] {
            let report = DatabaseTools.check(path: file)
            #expect(!report.ok, "\(file)")
            #expect(report.lines.joined(separator: "\n").contains(expected), "\(file): \(report.lines)")
            let run = try runTool(["check", "--db", file])
            #expect(run.status == 1, "\(file): \(run)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/missing.db"), "check creates nothing")
    }

    @Test func backupWhileClientsPostHoldsEveryPostAcknowledgedBeforeIt() throws {
        let directory = try TemporaryDirectory()
        let server = try TestServer(directory: directory) {
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
        }
        let acknowledged = Mutex<[Int64]>([])
        let stop = Atomic<Bool>(false)
        let posters = try (0..<4).map { try server.registeredClient("poster\($0)") }
        let group = DispatchGroup()
        for (index, poster) in posters.enumerated() {
            nonisolated(unsafe) let poster = poster
            DispatchQueue.global().async(group: group) {
                var number = 0
                while !stop.load(ordering: .relaxed) && number < 5000 {
                    number += 1
                    poster.send("post \(number) from \(index)")
                    guard let line = try? poster.readUntil(timeout: 10, { $0.hasPrefix("* posted #") }).last,
                        let id = Int64(line.dropFirst("* posted #".count))
                    else { return }
                    acknowledged.withLock { $0.append(id) }
                }
            }
        }
        // Let posts flow, then note what was acknowledged before the backup began.
        waitUntil(timeout: 20) { acknowledged.withLock { $0.count } >= 200 }
        let before = Set(acknowledged.withLock { $0 })
        let output = directory.path + "/backup.db"
        let run = try runTool(["backup", "--db", server.databasePath, output])
        let afterCount = acknowledged.withLock { $0.count }
        stop.store(true, ordering: .relaxed)
        group.wait()
        #expect(run.status == 0, "\(run)")
        #expect(afterCount > before.count, "posting went on during the backup")
        #expect(DatabaseTools.check(path: output).ok)
        let copy = try SQLiteDatabase(path: output, readOnly: true)
        let ids = Set(try copy.statement("SELECT id FROM posts").rows { $0.int64(at: 0) })
        copy.close()
        #expect(before.isSubset(of: ids), "missing: \(before.subtracting(ids).sorted().prefix(10))")
        #expect(!FileManager.default.fileExists(atPath: output + "-wal") || fileBytes(output + "-wal").isEmpty)
    }

    @Test func backupNeverOverwritesWithoutForce() throws {
        let (directory, path) = try community()
        let output = directory.path + "/out.db"
        try #require(FileManager.default.createFile(atPath: output, contents: Data("precious".utf8)))
        let refused = try runTool(["backup", "--db", path, output])
        #expect(refused.status == 1 && refused.errors.contains("--force"))
        #expect(fileBytes(output) == Data("precious".utf8))
        let forced = try runTool(["backup", "--db", path, output, "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(DatabaseTools.check(path: output).ok)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains("partial")
        }
        #expect(leftovers.isEmpty)
    }

    /// A copy that cannot be written names where it was to go.
    @Test func aBackupIntoAMissingDirectorySaysWhere() throws {
        let (directory, path) = try community()
        let output = directory.path + "/no-such-directory/out.db"
        let refused = try runTool(["backup", "--db", path, output])
        #expect(refused.status == 1 && refused.errors.contains("cannot write " + output), "\(refused)")
    }

    @Test func exportWritesPostsOldestFirstAsJSONLinesOrTwtxt() throws {
        let (directory, path) = try community()
        let before = fileBytes(path)
        let all = try runTool(["export", "--db", path])
        #expect(all.status == 0, "\(all)")
        let objects = try all.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["type"] as? String } == Array(repeating: "post", count: 4))
        #expect(objects.compactMap { $0["id"] as? Int } == [1, 2, 3, 4])
        #expect(objects.compactMap { $0["author"] as? String } == ["alice", "alice", "alice", "bob"])
        #expect(objects[1]["text"] as? String == "hello @bob #swift")
        #expect((objects[1]["tags"] as? [String]) == ["swift"])
        #expect(!all.output.contains("private word"), "direct messages are never exported")
        #expect(!all.output.contains("$y$"), "password hashes are never exported")

        let alices = try runTool(["export", "--db", path, "--user", "ALICE", "--since", "1", "--format", "twtxt"])
        let lines = alices.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2, "\(alices)")
        for line in lines {
            #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[^\t]+/) != nil, "\(line)")
        }
        #expect(lines.last?.hasSuffix("\tthird from alice") == true)
        let nobody = try runTool(["export", "--db", path, "--user", "nobody"])
        #expect(nobody.status == 1 && nobody.errors.contains("no account named nobody"))
        #expect(fileBytes(path) == before, "export must not modify the file")
        withExtendedLifetime(directory) {}
    }

    @Test func backupNeverWritesOverTheDatabaseHoweverItIsSpelled() throws {
        let (directory, path) = try community()
        let before = fileBytes(path)
        let link = directory.path + "/link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let dotted = directory.path + "/./" + (path as NSString).lastPathComponent
        for spelling in [dotted, link] {
            let report = DatabaseTools.backup(path: path, to: spelling, force: true)
            #expect(!report.ok && report.lines.joined().contains("the database itself"), "\(spelling): \(report.lines)")
        }
        #expect(fileBytes(path) == before)
        #expect(DatabaseTools.check(path: path).ok)
    }

    @Test func aForeignSQLiteFileIsNeitherHealthyNorTakenOver() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/foreign.db"
        let other = try SQLiteDatabase(path: path)
        try other.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        other.close()
        let report = DatabaseTools.check(path: path)
        #expect(!report.ok && report.lines.joined().contains("something else"), "\(report.lines)")
        #expect(throws: StoreError.notMicroblog) { try SQLiteStore(path: path) }
        let database = try SQLiteDatabase(path: path)
        #expect(try database.statement("SELECT count(*) FROM sqlite_schema").rows { $0.int64(at: 0) } == [1])
        database.close()
    }

    @Test func toolErrorsSayWhichEngineFailed() {
        let unreachable = StoreError.postgres(sqlstate: "08001", message: "connection refused", context: "connect")
        #expect(DatabaseTools.describe(unreachable).hasPrefix("cannot reach PostgreSQL"))
        let sqlite = StoreError.sqlite(code: 14, message: "unable to open database file", context: "open x")
        #expect(DatabaseTools.describe(sqlite).hasPrefix("cannot open the file"))
    }

    @Test func databasePasswordsNeverReachTheLog() {
        for (given, shown) in [
            ("postgresql://u:secret@db/x", "postgresql://u:***@db/x"),
            ("host=db password='hunter2 secret' dbname=x", "host=db password=*** dbname=x"),
            ("host=db password=plain dbname=x", "host=db password=*** dbname=x"),
            ("host=db password='it\\'s' dbname=x", "host=db password=*** dbname=x"),
        ] {
            #expect(DatabaseLocation(given).redacted == shown, "\(given)")
        }
        #expect(DatabaseLocation("microblog.db").redacted == "microblog.db")
    }

    @Test func subcommandsParseTheirArguments() throws {
        #expect(
            try Options.parse(["backup", "--db", "a.db", "b.db"]).action
                == .tool(.backup(database: "a.db", output: "b.db", force: false)))
        #expect(try Options.parse(["check", "--db", "a.db"]).action == .tool(.check(database: "a.db")))
        #expect(
            try Options.parse(["export", "--db", "a.db", "--user", "x", "--since", "9", "--format", "twtxt"]).action
                == .tool(.export(database: "a.db", user: "x", since: 9, format: .twtxt)))
        #expect(try Options.parse(["export", "--help"]).action == .toolHelp)
        for bad in [
            ["check"], ["backup", "--db", "a.db"], ["backup", "--db", "a.db", "a.db"],
            ["export", "--db", "a.db", "--format", "xml"], ["export", "--db", "a.db", "--since", "-1"],
            ["check", "--db", "a.db", "--force"],
        ] {
            #expect(throws: OptionsError.self, "\(bad)") { try Options.parse(bad) }
        }
    }

    /// `account create` makes the administrator's account the wire refuses, with the password read from
    /// standard input; a taken name or a bad password creates nothing and exits 1.
    @Test func accountCreateMakesAnAdministratorsAccount() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/test.db"
        let made = try runTool(["account", "create", "boss", "--db", path], input: "boss-password\n")
        #expect(made.status == 0 && made.output.contains("account boss created"), "\(made)")
        let again = try runTool(["account", "create", "B0SS", "--db", path], input: "boss-password\n")
        #expect(again.status == 1 && again.errors.contains("taken"), "\(again)")
        let short = try runTool(["account", "create", "other", "--db", path], input: "short\n")
        #expect(short.status == 1, "\(short)")
        let server = try TestServer(directory: directory) { $0.settings.admins = ["boss"] }
        let boss = try server.greetedClient()
        // Never logged in before: greeted as new, not "welcome back" (issue 25).
        #expect(
            try boss.run("/login boss boss-password")
                == "* welcome, boss! this is your first login; /help lists commands")
        #expect(try boss.run("/stats").hasPrefix("* "))
        // Once seen, a login is a return.
        boss.send("/quit")
        try server.waitFor("boss's session to end") { $0.connections == 0 }
        let returning = try server.greetedClient()
        #expect(try returning.run("/login boss boss-password") == "* welcome back, boss")
    }
}
