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

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("microblogd-catch-up-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: directory.appendingPathComponent("microblog.db").path)
            storage = StorageWorker(store: store, serverQueue: queue)
            microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
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

        /// Runs `act` on the server queue, then waits until what it handed the storage queue is answered.
        func actThenWaitForStorage(_ act: () -> Void) {
            let done = DispatchSemaphore(value: 0)
            queue.sync {
                act()
                storage.perform({ _ in }) { _ in done.signal() }
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
    }

    /// A post of this node committed while the catch-up's read waits behind it on the storage queue is
    /// shown when it is acknowledged; the catch-up, which reads it too, does not show it again.
    @Test func aPostAcknowledgedDuringTheCatchUpIsShownOnce() throws {
        let node = try Node()
        let ann = try node.onStorage {
            try $0.createUser(name: "ann", nameKey: "ann", passwordHash: "unused", at: .now())
        }
        let (watcher, watcherOutput) = node.open(id: 1)
        let (poster, posterOutput) = node.open(id: 2)
        node.queue.sync { poster.user = ann }

        node.actThenWaitForStorage {
            // The post's commit goes to the storage queue first, the catch-up's read after it.
            Array("once and only once\n".utf8).withUnsafeBytes { node.microblog.receive($0, for: poster) }
            node.microblog.receiveCluster(.reconnected)
        }
        #expect(node.text(posterOutput).contains("posted #1"))
        #expect(node.text(watcherOutput).components(separatedBy: "once and only once").count - 1 == 1)
        node.queue.sync {
            node.microblog.closed(watcher, reason: .quit)
            node.microblog.closed(poster, reason: .quit)
        }
    }

    /// Another node's post committed just after the listener came back is in the catch-up's read and is
    /// announced too: whichever comes first shows it, the other does not.
    @Test func anotherNodesPostInTheCatchUpAndAnnouncedIsShownOnce() throws {
        let node = try Node()
        let bob = try node.onStorage {
            try $0.createUser(name: "bob", nameKey: "bob", passwordHash: "unused", at: .now())
        }
        let (watcher, output) = node.open(id: 1)

        for (order, words) in [(0, "catch-up first"), (1, "announcement first")] {
            // As if committed by another node: in the database, not yet shown here.
            let post = try #require(
                try node.onStorage { try $0.insertPosts([NewPost(authorID: bob.id, text: words, createdAt: .now())]) }
                    .first)
            node.actThenWaitForStorage {
                if order == 0 {
                    node.microblog.receiveCluster(.reconnected)
                    node.microblog.receiveCluster(.events([.posts([post.id])]))
                } else {
                    node.microblog.receiveCluster(.events([.posts([post.id])]))
                    node.microblog.receiveCluster(.reconnected)
                }
            }
            #expect(node.text(output).components(separatedBy: words).count - 1 == 1, "\(words)")
        }
        node.queue.sync { node.microblog.closed(watcher, reason: .quit) }
    }

    /// Another node announces a post that mentions carol and, in the same batch, the mention's
    /// notification. Carol, with her live feed off, is shown the post first and then the notification,
    /// as on the node where it was posted.
    @Test func aMentionAndItsNotificationInOneBatchArriveInOrder() throws {
        let node = try Node()
        let (bob, carol) = try node.onStorage { store in
            (
                try store.createUser(name: "bob", nameKey: "bob", passwordHash: "unused", at: .now()),
                try store.createUser(name: "carol", nameKey: "carol", passwordHash: "unused", at: .now())
            )
        }
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
        node.queue.sync { node.microblog.closed(session, reason: .quit) }
    }
}
