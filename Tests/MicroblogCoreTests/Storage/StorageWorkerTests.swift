import Dispatch
import Foundation
import Synchronization
import Testing

@testable import MicroblogCore

/// Group commit: posts that arrive while a commit runs go into the next transaction together, and every
/// post gets exactly one answer.
@Suite struct StorageWorkerTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// The answers the worker gave, in the order it gave them (on the server queue).
    private final class Answers: Sendable {
        let results = Mutex<[(index: Int, result: Result<Post, StoreError>)]>([])
        let done = DispatchSemaphore(value: 0)
    }

    /// Holds the storage queue with a `perform` until released, then queues post 0 (whose commit waits
    /// behind it) and `later` (which wait for that commit), all from the server queue.
    private func submitWhileTheQueueIsHeld(
        _ worker: StorageWorker, serverQueue: DispatchQueue, first: NewPost, later: [NewPost], answers: Answers
    ) throws {
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        worker.perform(
            { _ in
                held.signal()
                release.wait()
            }, completion: { _ in })
        #expect(held.wait(timeout: .now() + 10) == .success)
        for (index, post) in ([first] + later).enumerated() {
            serverQueue.sync {
                worker.submit(post) { result in
                    answers.results.withLock { $0.append((index, result)) }
                    answers.done.signal()
                }
            }
        }
        release.signal()
        for _ in 0...later.count {
            #expect(answers.done.wait(timeout: .now() + 10) == .success)
        }
    }

    @Test func postsQueuedDuringACommitGoIntoTheNextTransactionTogether() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue)
            let answers = Answers()
            let later = (1...5).map { NewPost(authorID: alice.id, text: "later \($0)", createdAt: start) }
            try submitWhileTheQueueIsHeld(
                worker, serverQueue: serverQueue, first: NewPost(authorID: alice.id, text: "first", createdAt: start),
                later: later, answers: answers)

            let results = answers.results.withLock { $0 }
            let posts = try results.map { try $0.result.get() }
            #expect(results.map(\.index) == Array(0...5))
            #expect(posts.map(\.text) == ["first"] + later.map(\.text))
            #expect(posts.map(\.id) == posts.map(\.id).sorted())
            serverQueue.sync {
                // One commit for the first post, then one for the five that waited behind it.
                #expect(worker.commits == 2 && worker.committedPosts == 6 && worker.largestBatch == 5)
            }
            #expect(try store.counts().posts == 6)
        }
    }

    @Test func aFailingBatchFailsEachOfItsPostsAndNoneIsLost() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue)
            let answers = Answers()
            // The third of the later posts has no author: the foreign key fails its whole transaction.
            var later = (1...4).map { NewPost(authorID: alice.id, text: "later \($0)", createdAt: start) }
            later[2].authorID = 999
            try submitWhileTheQueueIsHeld(
                worker, serverQueue: serverQueue, first: NewPost(authorID: alice.id, text: "first", createdAt: start),
                later: later, answers: answers)

            let results = answers.results.withLock { $0 }
            #expect(results.map(\.index) == Array(0...4))
            #expect((try? results[0].result.get())?.text == "first")
            for answer in results.dropFirst() {
                guard case .failure(let error) = answer.result else {
                    Issue.record("post \(answer.index) was acknowledged from a failed batch")
                    continue
                }
                #expect(error.failureKind == .foreignKey, "\(error)")
            }
            serverQueue.sync { #expect(worker.commits == 1 && worker.committedPosts == 1) }
            #expect(try store.counts().posts == 1)
        }
    }
}
