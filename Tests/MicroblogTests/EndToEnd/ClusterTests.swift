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

/// A PostgreSQL schema of its own for one test, dropped afterwards, and the URI that points into it.
final class PostgresTestSchema {
    let uri: String
    private let admin: PostgresConnection
    private let schema: String

    init() throws {
        let base = try #require(postgresTestURI)
        schema = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        admin = try PostgresConnection(uri: base)
        try admin.execute("CREATE SCHEMA \(schema)")
        uri = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    deinit {
        try? admin.execute("DROP SCHEMA \(schema) CASCADE")
        admin.close()
    }
}

@Suite(
    "End to end: several nodes on one PostgreSQL",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the multi-node tests were skipped"))
struct ClusterTests {
    /// `count` servers on one database, as several machines behind a balancer would be.
    private func nodes(_ count: Int, schema: PostgresTestSchema, admins: Set<String> = []) throws -> [TestServer] {
        try (0..<count).map { _ in
            try TestServer {
                $0.databasePath = schema.uri
                $0.settings.postRate = 0
                $0.settings.admins = admins
                $0.statsInterval = 0
            }
        }
    }

    /// A like on one node shows in the greetings of another, which keeps the newest posts in memory.
    @Test func aLikeOnOneNodeShowsInAnothersGreeting() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema)
        let watcher = try cluster[1].greetedClient()  // node B now keeps its newest posts
        let alice = try cluster[0].registeredClient("alice")
        #expect(try alice.run("liked across nodes").hasPrefix("* posted #"))
        let id = try #require(
            try watcher.readUntil { $0.contains("liked across nodes") }.last?.dropFirst().prefix { $0 != " " })
        #expect(try alice.run("/like \(id)").hasPrefix("* you like #\(id) (1 like)"))
        var greeting: [String] = []
        let shown = waitUntil(timeout: 10) {
            guard let guest = try? cluster[1].client() else { return false }
            greeting = (try? guest.readUntil { $0.contains("new posts appear below") }) ?? []
            return greeting.contains { $0.hasSuffix("liked across nodes (1 like)") }
        }
        #expect(shown, "\(greeting)")
    }

    @Test func aPostOnOneNodeArrivesLiveOnTheOthers() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(3, schema: schema)
        let watcherB = try cluster[1].greetedClient()
        let carol = try cluster[2].registeredClient("carol")
        carol.send("/watch off")
        try carol.readUntil { $0.hasPrefix("* ") }
        let alice = try cluster[0].registeredClient("alice")

        alice.send("hello from node A, @carol")
        let ack = try alice.readUntil { $0.hasPrefix("* posted #") }.last ?? ""
        let id = try #require(Int(ack.dropFirst("* posted #".count)))
        #expect(try watcherB.readLine().hasSuffix(" alice: hello from node A, @carol"))
        // A mention arrives even with the live feed off, on another node too: the post, then its notification,
        // in that order however the other node's announcements are batched.
        #expect(try carol.readLine().hasSuffix(" alice: hello from node A, @carol"))
        #expect(try carol.readLine().hasSuffix(" alice mentioned you in #\(id)"))

        // Posts from each node, in turn, reach the watcher on B in order.
        let bob = try cluster[1].registeredClient("bob")
        for (index, poster) in [alice, bob, carol].enumerated() {
            poster.send("round \(index)")
            try poster.readUntil { $0.hasPrefix("* posted #") }
            #expect(
                try watcherB.readUntil { $0.contains(": round \(index)") }.last?.contains(": round \(index)") == true)
        }

        // A direct message from A reaches its recipient on C live, and no one else.
        alice.send("/msg carol a word across nodes")
        try alice.readUntil { $0.hasPrefix("* message #") }
        let dm = try carol.readUntil { $0.hasPrefix("DM #") }.last ?? ""
        #expect(dm.hasSuffix("alice → carol: a word across nodes"), "\(dm)")

        // A deletion on A is announced on B.
        alice.send("/delete \(id)")
        try alice.readUntil { $0.hasPrefix("* deleted") }
        let untilDeleted = try watcherB.readUntil { $0.contains("deleted") }
        #expect(untilDeleted.last?.contains("#\(id)") == true)
        #expect(!untilDeleted.contains { $0.hasPrefix("DM ") }, "a direct message reached a watcher: \(untilDeleted)")
    }

    /// Issue 15: a notification made on one node reaches the recipient's sessions on another, as a direct
    /// message does, with the bell where asked for.
    @Test func notificationsReachTheRecipientOnAnotherNode() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema)
        let alice = try cluster[0].registeredClient("alice")
        try alice.run("/watch off")
        try alice.run("a post on A")
        let aliceOnB = try cluster[1].greetedClient()
        try aliceOnB.run("/login alice password1")
        try aliceOnB.run("/watch off")
        let bob = try cluster[1].registeredClient("bob")
        try bob.run("/watch off")

        try bob.run("/follow alice")
        #expect(try alice.readUntil { $0.hasPrefix("~ ") }.last?.hasSuffix(" bob followed you") == true)
        #expect(try aliceOnB.readUntil { $0.hasPrefix("~ ") }.last?.hasSuffix(" bob followed you") == true)
        try bob.run("/like 1")
        #expect(try alice.readUntil { $0.hasPrefix("~ ") }.last?.hasSuffix(" bob liked your post #1") == true)

        #expect(try alice.run("/bell on").hasPrefix("* bell on"))
        try bob.run("/msg alice ring across nodes")
        #expect(String(decoding: try alice.readUntilBytes([0x07]), as: UTF8.self).contains("ring across nodes"))
    }

    @Test func aBanOnOneNodeEndsTheSessionsOnAnother() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema, admins: ["mod"])
        let troll = try cluster[0].registeredClient("troll")
        let mod = try cluster[1].registeredClient("mod")
        mod.send("/ban troll spam, again")
        try mod.readUntil { $0.hasPrefix("* troll is banned") }
        let last = try troll.readUntilClosed()
        #expect(last.contains("* your account is banned: spam, again"), "\(last)")
        // And the ban holds on every node.
        let again = try cluster[0].greetedClient()
        again.send("/login troll password1")
        #expect(try again.readUntil { $0.hasPrefix("! ") }.last?.hasSuffix("(banned)") == true)
    }

    /// Failed logins on one node count on the others: guesses spread over the nodes behind a balancer
    /// are held back as on one node.
    @Test func failedLoginsOnOneNodeHoldBackGuessesOnAnother() throws {
        let schema = try PostgresTestSchema()
        let log = LogCapture()
        let cluster = try (0..<2).map { index in
            try TestServer(log: index == 1 ? log.logger(.debug) : .silent) {
                $0.databasePath = schema.uri
                $0.settings.loginFreeFailures = 2
                $0.statsInterval = 0
            }
        }
        try cluster[0].registeredClient("alice").send("/quit")
        let guesser = try cluster[0].greetedClient()
        try guesser.switchToJSON()
        for _ in 0..<2 {
            guesser.send("/login alice wrong-guess")
            #expect(try guesser.readJSON()["code"] as? String == "bad_login")
        }
        try log.waitFor("both failures heard on the other node") { _ in
            // The account by its name key (look-alike letters folded: alice is allce).
            log.lines.filter { $0.contains("event=login_failed_elsewhere") && $0.contains("key=allce") }.count >= 2
        }
        let elsewhere = try cluster[1].greetedClient()
        try elsewhere.switchToJSON()
        elsewhere.send("/login alice password1")
        #expect(try elsewhere.readJSON()["code"] as? String == "throttled")
    }

    @Test func kicksAnnouncementsAndDeletedAccountsReachEveryNode() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema, admins: ["mod"])
        let troll = try cluster[0].registeredClient("troll")
        let guest = try cluster[0].greetedClient()
        let mod = try cluster[1].registeredClient("mod")
        try mod.run("/watch off")
        try mod.run("/announce maintenance at noon")
        #expect(try guest.readUntil { $0.hasPrefix("*** ") }.last == "*** announcement from mod: maintenance at noon")
        try mod.run("/kick troll")
        #expect(
            try troll.readUntilClosed().contains("* you were disconnected by an administrator; you may log in again"))
        // Deleting an account on one node ends its sessions on the other.
        let alice = try cluster[0].registeredClient("alice")
        let aliceThere = try cluster[1].greetedClient()
        try aliceThere.run("/login alice password1")
        aliceThere.send("/delete-account")
        try aliceThere.readUntilBytes(Array("Password, to delete your account for good: ".utf8))
        aliceThere.send("password1")
        try aliceThere.readUntil { $0.hasPrefix("* your account alice is deleted") }
        #expect(try alice.readUntilClosed().contains("* this account was deleted in another session"))
    }

    @Test func accountsAndPostsAreSharedAndIDsNeverCollide() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(2, schema: schema)
        let alice = try cluster[0].registeredClient("alice")
        let taken = try cluster[1].greetedClient()
        taken.send("/register Alice password2")
        #expect(try taken.readUntil { $0.hasPrefix("! ") }.last?.hasSuffix("(name_taken)") == true)
        taken.send("/login alice password1")
        try taken.readUntil { $0.contains("welcome back, alice") }
        // Both nodes post at once; every id is distinct and both feeds agree.
        for number in 1...20 {
            alice.send("a\(number)")
            taken.send("b\(number)")
        }
        var ids: [Int] = []
        for client in [alice, taken] {
            for _ in 1...20 {
                let line = try client.readUntil { $0.hasPrefix("* posted #") }.last ?? ""
                ids.append(Int(line.dropFirst("* posted #".count)) ?? -1)
            }
        }
        #expect(Set(ids).count == 40 && !ids.contains(-1))
        let feedA = try cluster[0].greetedClient()
        let feedB = try cluster[1].greetedClient()
        // Not watching: announcements still on their way must not mix with the listings.
        for client in [feedA, feedB] {
            client.send("/watch off")
            try client.readUntil { $0.hasPrefix("* ") && $0.contains("watch") }
        }
        feedA.send("/feed 50")
        feedB.send("/feed 50")
        let listA = try feedA.readUntil { $0.hasPrefix("* ") && $0.contains("posts") }
        let listB = try feedB.readUntil { $0.hasPrefix("* ") && $0.contains("posts") }
        #expect(listA == listB && listA.count == 41)
    }

    /// Ids are committed in id order across nodes, so a bot that resumes with `/feed since LAST` never
    /// skips a post: while one node's transaction has taken an id and not committed, another node's post
    /// (which would take a higher id) waits, and becomes visible only after it.
    @Test func postsAreCommittedInIDOrderAcrossNodes() throws {
        let schema = try PostgresTestSchema()
        let first = try PostgresStore(uri: schema.uri)
        let author = try first.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: .now())
        first.close()
        // One node, by hand: the lock its inserts take, a post inserted, the commit held back.
        let slow = try PostgresConnection(uri: schema.uri)
        defer { slow.close() }
        try slow.execute("BEGIN")
        try slow.statement("SELECT pg_advisory_xact_lock(?)").run([.integer(PostgresConnection.postOrderLock)])
        let held = try slow.insert(
            "INSERT INTO posts (user_id, text, created_at) VALUES (?, ?, ?)",
            [.integer(author.id), .text("held"), .integer(1)])
        // Another node posts meanwhile.
        let other = try PostgresStore(uri: schema.uri)
        defer { other.close() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var later: Int64 = 0
        nonisolated(unsafe) let otherStore = other
        DispatchQueue.global().async {
            later =
                (try? otherStore.insertPosts([NewPost(authorID: author.id, text: "later", createdAt: .now())]).first?.id)
                ?? -1
            done.signal()
        }
        // While the first has not committed, nothing after its id may become visible.
        let reader = try PostgresConnection(uri: schema.uri)
        defer { reader.close() }
        var early: [Int64] = []
        let becameVisible = try waitUntil(timeout: 0.5) {
            early = try reader.statement("SELECT id FROM posts WHERE id > ?").rows([.integer(held)]) { $0.int64(at: 0) }
            return !early.isEmpty
        }
        #expect(!becameVisible, "a later post became visible before an earlier id committed: \(early)")
        try slow.execute("COMMIT")
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(later > held)
    }

    @Test func whoAndProfilesShowUsersOnEveryNode() throws {
        let schema = try PostgresTestSchema()
        let cluster = try nodes(3, schema: schema)
        let alice = try cluster[0].registeredClient("alice")
        alice.send("/away lunch")
        try alice.readUntil { $0.hasPrefix("* ") }
        let guestOnB = try cluster[1].greetedClient()
        let bob = try cluster[2].registeredClient("bob")
        // Each node records its presence every 2 s: ask until the others' appear (or 10 s pass).
        var who: [String] = []
        try waitUntil(timeout: 10) {
            bob.send("/who")
            who = try bob.readUntil { $0.hasPrefix("* ") }
            return who.contains("* 2 users online, 1 guest")
        }
        #expect(who == ["  alice (away: lunch)", "  bob", "* 2 users online, 1 guest"], "\(who)")
        bob.send("/profile alice")
        let profile = try bob.readUntil { $0.hasPrefix("* that is") }
        #expect(profile.contains { $0.contains("away: lunch") }, "\(profile)")
        // Tab completes the names of people on other nodes too (in character mode, on node C).
        let telnet = try cluster[2].greetedClient()
        telnet.send("/who", ending: "\r\n")
        try telnet.readUntilBytes([255, 251, 3])
        telnet.sendBytes([255, 253, 1, 255, 253, 3])
        try telnet.readUntilBytes(Array("\r> \u{1B}[K".utf8))
        telnet.sendBytes(Array("/profile @ali\t".utf8))
        try telnet.readUntilBytes(Array("\r> /profile @alice \u{1B}[K".utf8))
        withExtendedLifetime(guestOnB) {}
        // A node that stops takes its people with it.
        try cluster[0].stop()
        bob.send("/who")
        #expect(try bob.readUntil { $0.hasPrefix("* ") }.last == "* 1 user online, 2 guests")
    }
}

@Suite(
    "Faults: a node killed while clients post through three",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the multi-node tests were skipped"))
struct NodeKillTests {
    @Test func theOtherNodesKeepServingAndNoAcknowledgedPostIsLost() throws {
        let schema = try PostgresTestSchema()
        let nodes = try (0..<3).map { _ in
            try MicroblogdProcess(arguments: [
                "--port", "0", "--db", schema.uri, "--post-rate", "0", "--stats-interval", "0", "--log-level", "warn",
            ])
        }
        let watcher = try TestClient(port: nodes[2].port)
        try watcher.readUntil { $0.contains("new posts appear below") }
        let acknowledged = Mutex<[[Int]]>([[], [], []])
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for (index, node) in nodes.enumerated() {
            let client = try TestClient(port: node.port)
            try client.readUntil { $0.contains("new posts appear below") }
            client.send("/register poster\(index) password1")
            try client.readUntil { $0.contains("registered") }
            nonisolated(unsafe) let posting = client
            DispatchQueue.global().async(group: group) {
                var number = 0
                while !stop.load(ordering: .relaxed) && number < 3000 {
                    number += 1
                    posting.send("post \(number) via node \(index)")
                    guard
                        let line = try? posting.readUntil(
                            timeout: 5, { $0.hasPrefix("* posted #") || $0.hasPrefix("! ") }
                        ).last,
                        line.hasPrefix("* posted #"), let id = Int(line.dropFirst("* posted #".count))
                    else { return }  // the killed node's client ends here
                    acknowledged.withLock { $0[index].append(id) }
                }
            }
        }
        waitUntil(timeout: 20) { acknowledged.withLock { $0.map(\.count).min() ?? 0 } >= 30 }
        // SIGKILL: the node gets no chance to finish anything.
        #expect(nodes[0].stop(with: SIGKILL) == .signalled(SIGKILL))
        let atKill = acknowledged.withLock { $0[1].count + $0[2].count }
        // The survivors go on: 100 more acknowledgements between them, within 20 s.
        waitUntil(timeout: 20) { acknowledged.withLock { $0[1].count + $0[2].count } >= atKill + 100 }
        stop.store(true, ordering: .relaxed)
        #expect(group.wait(timeout: .now() + 20) == .success)
        let all = acknowledged.withLock { $0 }
        #expect(all[1].count + all[2].count >= atKill + 100, "the other nodes stopped serving")

        let check = try PostgresConnection(uri: schema.uri)
        defer { check.close() }
        let stored = Set(try check.statement("SELECT id FROM posts").rows([]) { Int($0.int64(at: 0)) })
        let acked = Set(all.flatMap { $0 })
        #expect(acked.isSubset(of: stored), "lost: \(acked.subtracting(stored).sorted().prefix(10))")
        // The watcher on node 3 saw node 2's last post live.
        let last = try #require(all[1].last)
        #expect(try watcher.readUntil(timeout: 20) { $0.hasPrefix("#\(last) ") }.last?.hasPrefix("#\(last) ") == true)
        for node in nodes.dropFirst() { #expect(node.stop() == .exited(0)) }
    }
}
