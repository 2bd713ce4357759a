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
    /// A post of this node committed while the catch-up's read waits behind it on the storage queue is
    /// shown when it is acknowledged; the catch-up, which reads it too, does not show it again.
    @Test func aPostAcknowledgedDuringTheCatchUpIsShownOnce() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("microblogd-catch-up-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = DispatchQueue(label: "catch-up-test")
        let store = try SQLiteStore(path: directory.appendingPathComponent("microblog.db").path)
        _ = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "unused", at: .now())
        let storage = StorageWorker(store: store, serverQueue: queue)
        let microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
        let watcherOutput = AbandonedReplyTests.RecordingOutput()
        let posterOutput = AbandonedReplyTests.RecordingOutput()
        let (watcher, poster) = queue.sync {
            (
                microblog.open(id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", output: watcherOutput),
                microblog.open(id: 2, peer: "127.0.0.1:2", peerHost: "127.0.0.1", output: posterOutput)
            )
        }
        func text(_ output: AbandonedReplyTests.RecordingOutput) -> String {
            queue.sync { String(decoding: output.written, as: UTF8.self) }
        }
        #expect(waitUntil { text(watcherOutput).contains("new posts appear below") })
        let ann = try #require(try store.user(nameKey: "ann"))
        queue.sync { poster.user = ann }

        let caughtUp = DispatchSemaphore(value: 0)
        queue.sync {
            // The post's commit goes to the storage queue first, the catch-up's read after it.
            Array("once and only once\n".utf8).withUnsafeBytes { microblog.receive($0, for: poster) }
            microblog.receiveCluster(.reconnected)
            // Answered after the catch-up's read: by then the catch-up has delivered what it found.
            storage.perform({ _ in }) { _ in caughtUp.signal() }
        }
        #expect(caughtUp.wait(timeout: .now() + 10) == .success)
        #expect(text(posterOutput).contains("posted #1"))
        #expect(text(watcherOutput).components(separatedBy: "once and only once").count - 1 == 1)
        queue.sync {
            microblog.closed(watcher, reason: .quit)
            microblog.closed(poster, reason: .quit)
        }
    }

    /// Another node's post committed just after the listener came back is in the catch-up's read and is
    /// announced too: whichever comes first shows it, the other does not.
    @Test func anotherNodesPostInTheCatchUpAndAnnouncedIsShownOnce() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("microblogd-catch-up-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = DispatchQueue(label: "catch-up-test")
        let store = try SQLiteStore(path: directory.appendingPathComponent("microblog.db").path)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "unused", at: .now())
        let storage = StorageWorker(store: store, serverQueue: queue)
        let microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
        let output = AbandonedReplyTests.RecordingOutput()
        let watcher = queue.sync {
            microblog.open(id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", output: output)
        }
        func text() -> String { queue.sync { String(decoding: output.written, as: UTF8.self) } }
        #expect(waitUntil { text().contains("new posts appear below") })

        for (order, words) in [(0, "catch-up first"), (1, "announcement first")] {
            // As if committed by another node: in the database, not yet shown here.
            let post = try #require(
                try store.insertPosts([NewPost(authorID: bob.id, text: words, createdAt: .now())]).first)
            let done = DispatchSemaphore(value: 0)
            queue.sync {
                if order == 0 {
                    microblog.receiveCluster(.reconnected)
                    microblog.receiveCluster(.events([.posts([post.id])]))
                } else {
                    microblog.receiveCluster(.events([.posts([post.id])]))
                    microblog.receiveCluster(.reconnected)
                }
                storage.perform({ _ in }) { _ in done.signal() }
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
            #expect(text().components(separatedBy: words).count - 1 == 1, "\(words)")
        }
        queue.sync { microblog.closed(watcher, reason: .quit) }
    }
}
