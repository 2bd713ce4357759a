import Dispatch
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

@Suite("End to end: /export streams")
struct ExportStreamTests {
    static let names = ["anna", "bob", "cosy"]
    static let postsEach = 20_000

    /// Three large accounts, made straight in the database file before the server opens it.
    static func seed(_ path: String) throws {
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        let hash = try PasswordHasher.hash("password1")
        let filler = String(repeating: "x", count: 150)
        for name in names {
            let user = try store.createUser(
                name: name, nameKey: AccountRules.nameKey(name), passwordHash: hash, at: .now())
            for start in stride(from: 0, to: postsEach, by: 1000) {
                _ = try store.insertPosts(
                    (start..<start + 1000).map {
                        NewPost(authorID: user.id, text: "\(name) \($0) \(filler)", createdAt: .now())
                    })
            }
        }
    }

    /// Exporters of large accounts that stop reading hold at most about the output limit each, read only
    /// the pages their sockets took, and read none once closed; meanwhile another user's `/help` and post
    /// answer promptly. An exporter that reads gets every record. Before export streamed, each
    /// non-reader made the server hold its whole export (about 4 MB here).
    @Test func exportersThatDoNotReadCostAboutTheOutputLimit() throws {
        let directory = try TemporaryDirectory()
        try Self.seed(directory.path + "/test.db")
        let outputLimit = 256 * 1024
        let server = try TestServer(directory: directory) {
            $0.settings.outputLimit = outputLimit
            $0.settings.socketSendBuffer = 65536
        }
        var exporters: [TestClient] = []
        for name in Self.names {
            let client = try TestClient(port: server.port, receiveBuffer: 65536)
            try client.readUntil { $0.contains("new posts appear below") }
            try client.run("/watch off")
            try client.run("/login \(name) password1")
            client.send("/export")
            try client.readUntil { $0.hasPrefix("{\"type\":\"export\"") }
            exporters.append(client)  // and reads no more
        }
        // The three stall at their sockets: the server holds output for each and reads no more pages.
        try server.waitFor(timeout: 30, "the exporters to stall") { $0.largestPendingOutput > 0 }

        let other = try server.registeredClient("dora")
        try other.run("/watch off")
        var started = Date()
        other.send("/help")
        other.send("/color off")
        try other.readUntil { $0 == "* colour off" }
        let help = Date().timeIntervalSince(started)
        started = Date()
        let posted = try other.run("/post still here")
        #expect(posted.hasPrefix("* posted #"), "\(posted)")
        let post = Date().timeIntervalSince(started)
        #expect(help < 1 && post < 1, "help \(help) s, post \(post) s")

        let stats = server.server.stats()
        #expect(stats.largestPendingOutput <= outputLimit, "\(stats)")
        // Each export needs about 80 pages; a few each were read before its socket filled.
        #expect(stats.exportPagesRead < 30, "\(stats)")

        // A second export of the same account while one runs is refused (from another address, whose
        // budget of exports is untouched).
        let again = try TestClient(port: server.port, source: "127.0.0.2")
        try again.readUntil { $0.contains("new posts appear below") }
        try again.run("/watch off")
        try again.run("/login anna password1")
        let refused = try again.run("/export")
        #expect(refused.contains("already running") && refused.hasSuffix("(rate_limited)"), "\(refused)")
        // The three exporters' address has used its burst of exports.
        let fourth = try server.greetedClient()
        try fourth.run("/login dora password1")
        let spent = try fourth.run("/export")
        #expect(spent.contains("too many exports from your address"), "\(spent)")
        fourth.close()

        for exporter in exporters { exporter.close() }
        try server.waitFor("the exporters' connections to close") { $0.connections == 2 }
        let pagesAtClose = server.server.stats().exportPagesRead
        // Storage round trips after the close: any page still asked for would be read by now.
        for _ in 0..<3 { #expect(try other.run("/feed 1").hasPrefix("* ")) }
        #expect(server.server.stats().exportPagesRead == pagesAtClose)

        // The account's export is free again; one that reads gets all of it, in order, then the reply.
        again.send("/export")
        let lines = try again.readUntil(timeout: 60) { $0.hasPrefix("* exported") }
        let records = lines.filter { $0.hasPrefix("{\"type\":\"export\",\"kind\":\"post\"") }
        #expect(records.count == Self.postsEach)
        #expect(
            lines.contains { $0.hasPrefix("{\"type\":\"export_end\",\"name\":\"anna\",\"posts\":\(Self.postsEach),") })
        #expect(lines.last == "* exported \(Self.postsEach) posts, 0 likes, 0 follows, 0 messages")
    }
}
