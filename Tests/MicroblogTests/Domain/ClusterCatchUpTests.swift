import Dispatch
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

/// The catch-up after the cluster listener reconnects delivers what was missed, and nothing twice.
@Suite("Cluster catch-up")
struct ClusterCatchUpTests {
    /// One node on a SQLite file of its own, driven from its server queue; the directory goes with it.
    final class Node {
        let directory: URL
        let queue = DispatchQueue(label: "catch-up-test")
        let storage: StorageWorker
        let microblog: Microblog

        /// `seed` writes to the store before the node starts.
        init(seed: (SQLiteStore) throws -> Void = { _ in }) throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("microblogd-catch-up-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: directory.appendingPathComponent("microblog.db").path)
            try seed(store)
            storage = StorageWorker(store: store, serverQueue: queue)
            microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
            microblog.joinCluster()
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// A session watching the live feed, once its greeting is in.
        func open(id: Int) -> (session: Session, output: AbandonedReplyTests.RecordingOutput) {
            let output = AbandonedReplyTests.RecordingOutput()
            let session = queue.sync {
                microblog.open(id: id, peer: "127.0.0.1:\(id)", peerHost: "127.0.0.1", output: output)
            }
            #expect(waitUntil { self.text(output).contains("new posts appear below") })
            return (session, output)
        }

        /// Runs `work` on the storage queue, which owns the store, and waits for its result.
        func onStorage<T: Sendable>(_ work: @escaping @Sendable (any Store) throws -> T) throws -> T {
            let result = Mutex<Result<T, StoreError>?>(nil)
            let done = DispatchSemaphore(value: 0)
            queue.sync {
                storage.perform(work) { answer in
                    result.withLock { $0 = answer }
                    done.signal()
                }
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
            return try #require(result.withLock { $0 }).get()
        }

        func text(_ output: AbandonedReplyTests.RecordingOutput) -> String {
            queue.sync { String(decoding: output.written, as: UTF8.self) }
        }

        /// How many times `words` were shown on `output`.
        func times(_ words: String, on output: AbandonedReplyTests.RecordingOutput) -> Int {
            text(output).components(separatedBy: words).count - 1
        }

        /// Accounts, in the order named, made in the database as another node would.
        func accounts(_ names: String...) throws -> [User] {
            try onStorage { store in
                try names.map { try store.createUser(name: $0, nameKey: $0, passwordHash: "unused", at: .now()) }
            }
        }

        /// A post committed as if by another node: in the database, not yet shown here.
        @discardableResult
        func postElsewhere(_ text: String, by author: User) throws -> Post {
            let posted = try onStorage {
                try $0.insertPosts([NewPost(authorID: author.id, text: text, createdAt: .now())])
            }
            return try #require(posted.first)
        }

        /// `session` posts `text` here, and waits until it is committed and shown.
        func post(_ text: String, from session: Session) {
            actThenWaitForStorage { Array("\(text)\n".utf8).withUnsafeBytes { microblog.receive($0, for: session) } }
        }

        func close(_ sessions: Session...) {
            queue.sync { for session in sessions { microblog.closed(session, reason: .quit) } }
        }

        /// Runs `act` on the server queue, then waits until what it handed the storage queue is answered
        /// and delivered: the hub hands a turn's broadcasts out in a turn of the queue after it, so the wait
        /// ends a turn after the storage queue's last answer.
        func actThenWaitForStorage(_ act: () -> Void) {
            let done = DispatchSemaphore(value: 0)
            queue.sync {
                act()
                storage.perform({ _ in }) { [queue] _ in queue.async { done.signal() } }
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
    }

    /// A post of this node committed while the catch-up's read waits behind it on the storage queue is
    /// shown when it is acknowledged; the catch-up, which reads it too, does not show it again.
    @Test func aPostAcknowledgedDuringTheCatchUpIsShownOnce() throws {
        let node = try Node()
        let ann = try node.accounts("ann")[0]
        let (watcher, watcherOutput) = node.open(id: 1)
        let (poster, posterOutput) = node.open(id: 2)
        node.queue.sync { poster.user = ann }

        node.actThenWaitForStorage {
            // The post's commit goes to the storage queue first, the catch-up's read after it.
            Array("once and only once\n".utf8).withUnsafeBytes { node.microblog.receive($0, for: poster) }
            node.microblog.receiveCluster(.reconnected)
        }
        #expect(node.text(posterOutput).contains("posted #1"))
        #expect(node.times("once and only once", on: watcherOutput) == 1)
        node.close(watcher, poster)
    }

    /// Another node's post committed just after the listener came back is in the catch-up's read and is
    /// announced too: whichever comes first shows it, the other does not.
    @Test func anotherNodesPostInTheCatchUpAndAnnouncedIsShownOnce() throws {
        let node = try Node()
        let bob = try node.accounts("bob")[0]
        let (watcher, output) = node.open(id: 1)

        for (order, words) in [(0, "catch-up first"), (1, "announcement first")] {
            let post = try node.postElsewhere(words, by: bob)
            node.actThenWaitForStorage {
                if order == 0 {
                    node.microblog.receiveCluster(.reconnected)
                    node.microblog.receiveCluster(.events([.posts([post.id])]))
                } else {
                    node.microblog.receiveCluster(.events([.posts([post.id])]))
                    node.microblog.receiveCluster(.reconnected)
                }
            }
            #expect(node.times(words, on: output) == 1, "\(words)")
        }
        node.close(watcher)
    }

    /// The listener is lost. Meanwhile another node commits a post, then this node commits one of its own
    /// (a newer id). The catch-up after the reconnect starts where the gap began: the other node's post is
    /// shown, and this node's own is not shown again.
    @Test func theGapsPostsAreShownThoughThisNodePostedDuringIt() throws {
        let node = try Node()
        let people = try node.accounts("ann", "bob")
        let (ann, bob) = (people[0], people[1])
        let (watcher, output) = node.open(id: 1)
        let (poster, _) = node.open(id: 2)
        node.queue.sync { poster.user = ann }
        node.queue.sync { node.microblog.receiveCluster(.lost("test")) }
        try node.postElsewhere("from elsewhere", by: bob)
        node.post("made here", from: poster)
        node.actThenWaitForStorage { node.microblog.receiveCluster(.reconnected) }
        #expect(node.times("ann: made here", on: output) == 1, "\(node.text(output))")
        #expect(node.times("bob: from elsewhere", on: output) == 1, "\(node.text(output))")
        node.close(watcher, poster)
    }

    /// The listener died without a word: this node went on posting before the loss was noticed, while
    /// another node's earlier post was never heard. The catch-up starts after the last post heard, not
    /// after this node's own: the other node's post is shown, this node's not again. Once this node's
    /// own announcement comes back, a later catch-up starts after it.
    @Test func theCatchUpStartsAfterWhatWasHeardNotWhatWasPostedHere() throws {
        let node = try Node()
        let people = try node.accounts("ann", "bob")
        let (ann, bob) = (people[0], people[1])
        let (watcher, output) = node.open(id: 1)
        let (poster, _) = node.open(id: 2)
        node.queue.sync { poster.user = ann }
        try node.postElsewhere("never heard", by: bob)
        node.post("posted while deaf", from: poster)
        node.actThenWaitForStorage {
            node.microblog.receiveCluster(.lost("test"))
            node.microblog.receiveCluster(.reconnected)
        }
        #expect(node.times("bob: never heard", on: output) == 1, "\(node.text(output))")
        #expect(node.times("ann: posted while deaf", on: output) == 1, "\(node.text(output))")

        // A post of this node's, heard back: the next catch-up starts after it and reads nothing again.
        node.post("heard back", from: poster)
        let newest = try #require(try node.onStorage { try $0.feed(.latest(limit: 1)).last?.id })
        node.actThenWaitForStorage {
            node.microblog.receiveCluster(.ownPostsHeard(through: newest))
            node.microblog.receiveCluster(.lost("test"))
            node.microblog.receiveCluster(.reconnected)
        }
        node.queue.sync { #expect(node.microblog.posting.heardThrough == newest) }
        #expect(node.times("ann: heard back", on: output) == 1, "\(node.text(output))")
        #expect(node.times("bob: never heard", on: output) == 1, "\(node.text(output))")
        node.close(watcher, poster)
    }

    /// The same with someone greeted during the gap: the greeting reads the newest posts, the other
    /// node's among them, and the catch-up still shows that post to those watching.
    @Test func theGapsPostsAreShownThoughSomeoneWasGreetedDuringIt() throws {
        let node = try Node()
        let bob = try node.accounts("bob")[0]
        let (watcher, output) = node.open(id: 1)
        node.queue.sync { node.microblog.receiveCluster(.lost("test")) }
        try node.postElsewhere("from elsewhere", by: bob)
        let (late, _) = node.open(id: 2)
        node.actThenWaitForStorage { node.microblog.receiveCluster(.reconnected) }
        #expect(node.times("bob: from elsewhere", on: output) == 1, "\(node.text(output))")
        node.close(watcher, late)
    }

    /// A node that has shown no post yet (only the web door's relay listens) catches up from the newest
    /// post there was when it started, not from the community's first.
    @Test func aNodeThatShowedNoPostCatchesUpFromItsStart() throws {
        let node = try Node { store in
            let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "unused", at: .now())
            _ = try store.insertPosts((1...3).map { NewPost(authorID: bob.id, text: "old \($0)", createdAt: .now()) })
        }
        node.actThenWaitForStorage {}  // the node's first read, of the newest post, is answered
        let relayed = Mutex<[Int64]>([])
        let relay = WebRelay { item in if case .post(let post) = item { relayed.withLock { $0.append(post.id) } } }
        node.queue.sync {
            node.microblog.hub.add(relay)
            node.microblog.receiveCluster(.lost("test"))
        }
        let bob = try #require(try node.onStorage { try $0.user(nameKey: "bob") })
        let new = try node.postElsewhere("in the gap", by: bob)
        node.actThenWaitForStorage { node.microblog.receiveCluster(.reconnected) }
        #expect(relayed.withLock { $0 } == [new.id])
    }

    /// While the listener was cut off, another node banned carol and dave deleted his account: those
    /// announcements were never heard here. After the reconnect their sessions here end, each with its
    /// reason; erin's stays.
    @Test func bansAndDeletionsDuringTheGapEndTheirSessions() throws {
        let node = try Node()
        let people = try node.accounts("mod", "carol", "dave", "erin")
        let (admin, carol, dave, erin) = (people[0], people[1], people[2], people[3])
        let opened = [carol, dave, erin].enumerated().map { index, user in
            let (session, output) = node.open(id: index + 1)
            node.queue.sync {
                node.microblog.directory.signIn(session, as: user, watch: .all, relations: ViewerRelations())
            }
            return (session, output)
        }
        node.queue.sync { node.microblog.receiveCluster(.lost("test")) }
        _ = try node.onStorage { store in
            _ = try store.setBanned(carol.id, reason: "spam", by: admin.id, at: .now())
            _ = try store.deleteAccount(dave.id, at: .now())
        }
        node.actThenWaitForStorage { node.microblog.receiveCluster(.reconnected) }
        #expect(node.text(opened[0].1).contains("your account is banned: spam"))
        #expect(node.text(opened[1].1).contains("this account was deleted"))
        let erinSaw = node.text(opened[2].1)
        #expect(!erinSaw.contains("banned") && !erinSaw.contains("deleted"), "\(erinSaw)")
        node.queue.sync {
            #expect(node.microblog.directory.sessionsByUser[erin.id]?.first?.lifecycle.isLeaving == false)
        }
        node.close(opened[0].0, opened[1].0, opened[2].0)
    }

    /// Reads and actions for other nodes' announcements run in the order they were asked for, whichever
    /// finishes first.
    @Test func theClusterSequenceKeepsTheOrderAsked() {
        let sequence = ClusterSequence()
        var ran: [String] = []
        let first = sequence.take()
        let second = sequence.take()
        let third = sequence.take()
        sequence.complete(third) { ran.append("third") }
        sequence.complete(second) {
            ran.append("second")
            // Taken while running: after everything asked before.
            sequence.complete(sequence.take()) { ran.append("fourth") }
        }
        #expect(ran.isEmpty)
        #expect(sequence.waiting == 3)
        sequence.complete(first) { ran.append("first") }
        #expect(ran == ["first", "second", "third", "fourth"])
        #expect(sequence.waiting == 0)
    }

    /// Another node announces a post that mentions carol and, in the same batch, the mention's
    /// notification. Carol, with her live feed off, is shown the post first and then the notification,
    /// as on the node where it was posted.
    @Test func aMentionAndItsNotificationInOneBatchArriveInOrder() throws {
        let node = try Node()
        let people = try node.accounts("bob", "carol")
        let (bob, carol) = (people[0], people[1])
        let (session, output) = node.open(id: 1)
        node.queue.sync {
            node.microblog.directory.signIn(
                session, as: carol, watch: WatchSetting(mode: .off), relations: ViewerRelations())
        }
        // As if committed by another node: the post and its notification in the database, not yet shown here.
        let (post, notification) = try node.onStorage { store in
            let post = try #require(
                try store.insertPosts([NewPost(authorID: bob.id, text: "hi @carol", createdAt: .now())]).first)
            let made = try store.addNotifications(grouped: [
                [
                    NewNotification(
                        recipientID: carol.id, kind: .mention, actorID: bob.id, postID: post.id, createdAt: .now())
                ]
            ])
            return (post, try #require(made.first?.first))
        }
        node.actThenWaitForStorage {
            node.microblog.receiveCluster(.events([.posts([post.id]), .notifications([notification.id])]))
        }
        let text = node.text(output)
        let shown = try #require(text.range(of: "bob: hi @carol"), "\(text)")
        let notified = try #require(text.range(of: "bob mentioned you in #\(post.id)"), "\(text)")
        #expect(shown.lowerBound < notified.lowerBound, "\(text)")
        node.close(session)
    }
}

/// On PostgreSQL: the node's own connection to the database was cut (a restart, a failover), so its next
/// statement fails and the one after reconnects.
@Suite(
    "Cluster catch-up (PostgreSQL)",
    .enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: the multi-node tests were skipped"))
struct ClusterOrderPostgresTests {
    /// A batch announces a post that mentions carol and its notification. The post's read fails and is
    /// retried; the notification's, behind it, reconnects and succeeds. Carol still sees the post first.
    @Test func aRetriedReadIsNotOvertakenByTheOneAfterIt() throws {
        let schema = try PostgresTestSchema()
        let name = "order_" + UUID().uuidString.prefix(8).lowercased()
        let queue = DispatchQueue(label: "cluster-order-test")
        let storage = StorageWorker(
            store: try PostgresStore(uri: schema.uri + "&application_name=\(name)"), serverQueue: queue)
        let microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
        let other = try PostgresStore(uri: schema.uri)  // another node
        defer { other.close() }
        let bob = try other.createUser(name: "bob", nameKey: "bob", passwordHash: "unused", at: .now())
        let carol = try other.createUser(name: "carol", nameKey: "carol", passwordHash: "unused", at: .now())

        let output = AbandonedReplyTests.RecordingOutput()
        let session = queue.sync { microblog.open(id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", output: output) }
        func text() -> String { queue.sync { String(decoding: output.written, as: UTF8.self) } }
        #expect(waitUntil { text().contains("new posts appear below") })
        queue.sync {
            microblog.directory.signIn(
                session, as: carol, watch: WatchSetting(mode: .off), relations: ViewerRelations())
        }
        let post = try #require(
            try other.insertPosts([NewPost(authorID: bob.id, text: "hi @carol", createdAt: .now())]).first)
        let made = try other.addNotifications(grouped: [
            [
                NewNotification(
                    recipientID: carol.id, kind: .mention, actorID: bob.id, postID: post.id, createdAt: .now())
            ]
        ])
        let notification = try #require(made.first?.first)

        // Cut the node's connection; the timeout makes pg_terminate_backend wait until the backend is gone.
        let admin = try PostgresConnection(uri: try #require(postgresTestURI))
        defer { admin.close() }
        try admin.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = '\(name)'")

        queue.sync { microblog.receiveCluster(.events([.posts([post.id]), .notifications([notification.id])])) }
        #expect(waitUntil { text().contains("bob: hi @carol") && text().contains("mentioned you") })
        let shown = text()
        let postAt = try #require(shown.range(of: "bob: hi @carol"), "\(shown)")
        let notifiedAt = try #require(shown.range(of: "bob mentioned you in #\(post.id)"), "\(shown)")
        #expect(postAt.lowerBound < notifiedAt.lowerBound, "\(shown)")
        queue.sync { microblog.closed(session, reason: .quit) }
        let closed = DispatchSemaphore(value: 0)
        queue.sync { storage.close { closed.signal() } }
        #expect(closed.wait(timeout: .now() + 10) == .success)
    }
}
