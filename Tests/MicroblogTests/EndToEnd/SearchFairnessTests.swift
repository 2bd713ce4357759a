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
import Synchronization
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// Guests looping the searches that once stalled the server (4,000 `x`, sixteen words found nowhere, a
/// two-character word written without spaces that no index helps) against the real `microblogd` on
/// 200,000 posts: another user's posts are still acknowledged promptly, and the searchers are answered
/// `bad_query`, `rate_limited` or, for a search that runs too long, `search_timeout`.
@Suite("End to end: searches cannot stall posting")
struct SearchFairnessTests {
    static let posts = 200_000
    static let searchers = 16

    /// A database with `posts` posts, every one already in the word index (so the server starts with
    /// nothing to catch up), none holding the searched words.
    private func populatedDatabase(_ path: String) throws {
        let store = try SQLiteStore(path: path)
        defer { store.close() }
        try store.database.execute(
            """
            INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('filler', 'filler', 'h', 0);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(Self.posts))
            INSERT INTO posts (user_id, text, created_at)
            SELECT 1, 'post ' || i || ' about the weather and coffee in the morning with friends', i FROM n;
            INSERT INTO posts_fts(rowid, text) SELECT id, text FROM posts;
            UPDATE search_index SET words_through = \(Self.posts), trigrams_through = \(Self.posts);
            """)
    }

    @Test func guestsLoopingExpensiveSearchesDoNotDelayPosts() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/search.db"
        try populatedDatabase(database)
        // Default limits (searches, lines per connection, connections per address) except posting's own.
        let server = try MicroblogdProcess(arguments: ["--port", "0", "--db", database, "--post-rate", "0"])
        let port = server.port

        let expensive = [
            "/search " + String(repeating: "x", count: 4000),
            "/search " + (0..<16).map { "q\($0)zz" }.joined(separator: " "),
            "/search 日本",
        ]
        let tally = Tally()
        let searchersDone = DispatchGroup()
        for index in 0..<Self.searchers {
            searchersDone.enter()
            Thread.detachNewThread {
                defer { searchersDone.leave() }
                do {
                    let guest = try TestClient(port: port)
                    try guest.readUntil { $0.contains("new posts appear below") }
                    try guest.switchToJSON()
                    var turn = index
                    while !tally.stop.load(ordering: .relaxed) {
                        guest.send(expensive[turn % expensive.count])
                        turn += 1
                        let reply = try guest.readJSONUntil(timeout: 30) {
                            ($0["type"] as? String == "ok" || $0["type"] as? String == "error")
                                && $0["command"] as? String == "search"
                        }.last
                        let code = reply?["type"] as? String == "ok" ? "ok" : (reply?["code"] as? String ?? "?")
                        tally.codes.withLock { $0[code, default: 0] += 1 }
                    }
                } catch {
                    tally.codes.withLock { $0["failed: \(error)", default: 0] += 1 }
                }
            }
        }
        defer {
            tally.stop.store(true, ordering: .relaxed)
            _ = searchersDone.wait(timeout: .now() + 60)
        }

        // Let every searcher start and use up its budget, then post while they go on.
        #expect(waitUntil(timeout: 30) { tally.codes.withLock { $0["rate_limited", default: 0] } >= Self.searchers })
        let poster = try TestClient(port: port)
        try poster.readUntil { $0.contains("new posts appear below") }
        poster.send("/register poster password1")
        try poster.readUntil { $0.contains("registered") }
        var slowest = 0.0
        for number in 1...20 {
            let sent = MonotonicClock.now()
            poster.send("still here \(number)")
            // One second for each acknowledgement; the searchers' live copies need not be waited for.
            let ack = try poster.readUntil(timeout: 1) { $0.hasPrefix("* posted #") || $0.hasPrefix("! ") }
            #expect(ack.last?.hasPrefix("* posted #") == true, "\(ack)")
            slowest = max(slowest, MonotonicClock.now() - sent)
        }
        tally.stop.store(true, ordering: .relaxed)
        #expect(searchersDone.wait(timeout: .now() + 60) == .success)

        let seen = tally.codes.withLock { $0 }
        #expect(seen.keys.allSatisfy { !$0.hasPrefix("failed") }, "\(seen)")
        #expect(seen["bad_query", default: 0] > 0, "\(seen)")
        #expect(seen["rate_limited", default: 0] > 0, "\(seen)")
        #expect(seen["ok", default: 0] + seen["search_timeout", default: 0] > 0, "\(seen)")
        #expect(Set(seen.keys).isSubset(of: ["ok", "bad_query", "rate_limited", "search_timeout"]), "\(seen)")
        print("search fairness: slowest acknowledgement \(Int(slowest * 1000)) ms; searches answered \(seen)")
        #expect(server.stop(with: SIGTERM) == .exited(0))
    }
}

/// The search budget: a connection's share runs out first, then its address's; another address is not
/// held back. Addresses come from PROXY headers, so each client can be a different one on loopback.
@Suite("End to end: the search budget")
struct SearchBudgetTests {
    private func client(of server: TestServer, from address: String) throws -> TestClient {
        let client = try server.client()
        client.send("PROXY TCP4 \(address) 127.0.0.1 50000 4242", ending: "\r\n")
        try client.readUntil { $0.contains("new posts appear below") }
        return client
    }

    @Test func searchesRunOutPerConnectionThenPerAddress() throws {
        let server = try TestServer {
            $0.proxyProtocol = true
            $0.statsInterval = 0
            // 6 a minute from an address: 2 for each connection.
            $0.settings.searchesPerMinute = 6
        }
        let first = try client(of: server, from: "192.0.2.1")
        for _ in 0..<2 { #expect(try first.run("/search coffee") == "* nothing found") }
        let perConnection = try first.run("/search coffee")
        #expect(perConnection.contains("too many searches from this connection"), "\(perConnection)")
        #expect(perConnection.hasSuffix("(rate_limited)"))
        // A query refused for its shape costs nothing.
        #expect(try first.run("/search " + String(repeating: "x", count: 60)).hasSuffix("(bad_query)"))
        for _ in 0..<2 {
            let other = try client(of: server, from: "192.0.2.1")
            for _ in 0..<2 { #expect(try other.run("/search coffee") == "* nothing found") }
        }
        let perAddress = try client(of: server, from: "192.0.2.1").run("/search coffee")
        #expect(perAddress.contains("too many searches from your address"), "\(perAddress)")
        #expect(perAddress.contains("try again in"), "\(perAddress)")
        let elsewhere = try client(of: server, from: "203.0.113.5")
        #expect(try elsewhere.run("/search coffee") == "* nothing found")
    }
}

/// What the searcher threads share with the test: when to stop, and how their searches were answered.
private final class Tally: Sendable {
    let stop = Atomic<Bool>(false)
    let codes = Mutex<[String: Int]>([:])
}
