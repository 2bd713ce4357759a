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

/// Group commit: posts that arrive while a commit runs go into the next transaction together, and every
/// post gets exactly one answer.
@Suite struct StorageWorkerTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// The answers the worker gave, in the order it gave them (on the server queue).
    private final class Answers: Sendable {
        let results = Mutex<[(index: Int, result: Result<Post, StoreError>)]>([])
        let done = DispatchSemaphore(value: 0)
    }

    /// Holds the storage queue with a `perform` until the returned semaphore is signalled.
    private func holdTheStorageQueue(_ worker: StorageWorker) -> DispatchSemaphore {
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        worker.perform(
            { _ in
                held.signal()
                release.wait()
            }, completion: { _ in })
        #expect(held.wait(timeout: .now() + 10) == .success)
        return release
    }

    /// Holds the storage queue with a `perform` until released, then queues post 0 (whose commit waits
    /// behind it) and `later` (which wait for that commit), all from the server queue.
    private func submitWhileTheQueueIsHeld(
        _ worker: StorageWorker, serverQueue: DispatchQueue, first: NewPost, later: [NewPost], answers: Answers
    ) throws {
        let release = holdTheStorageQueue(worker)
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

    /// A full batch queued behind a commit goes to the storage queue at once, not after the server queue has
    /// the first commit's answer; a partial one waits, to grow.
    @Test func aFullBatchIsCommittedRightAfterTheOneInFlight() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue, maxBatch: 3)
            let answers = Answers()
            let release = holdTheStorageQueue(worker)
            // Post 0 is committed alone; posts 1...3 are a full batch behind it, post 4 starts the next one.
            for index in 0...4 {
                serverQueue.sync {
                    worker.submit(NewPost(authorID: alice.id, text: "post \(index)", createdAt: start)) { result in
                        answers.results.withLock { $0.append((index, result)) }
                        answers.done.signal()
                    }
                }
            }
            // Queued on the storage queue now: what it sees is what was handed to it before this.
            let seen = Mutex<Int?>(nil)
            let looked = DispatchSemaphore(value: 0)
            serverQueue.sync {
                worker.perform({ try $0.counts().posts }) { result in
                    seen.withLock { $0 = try? result.get() }
                    looked.signal()
                }
            }
            release.signal()
            #expect(looked.wait(timeout: .now() + 10) == .success)
            #expect(seen.withLock { $0 } == 4)
            for _ in 0...4 { #expect(answers.done.wait(timeout: .now() + 10) == .success) }
            let results = answers.results.withLock { $0 }
            #expect(results.map(\.index) == Array(0...4))
            #expect(try results.map { try $0.result.get().text } == (0...4).map { "post \($0)" })
            serverQueue.sync { #expect(worker.commits == 3 && worker.committedPosts == 5 && worker.largestBatch == 3) }
        }
    }

    /// With two commits in flight, a failing first batch fails only its own posts, the full one behind it
    /// is acknowledged, the answers keep their order, and `whenIdle` waits for every one of them.
    @Test func aFailingBatchBeforeAFullOneInFlightCostsItNothing() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue, maxBatch: 3)
            let answers = Answers()
            let idleAfter = Mutex<Int?>(nil)
            let release = holdTheStorageQueue(worker)
            // Post 0 has no author: its transaction fails on the foreign key. Posts 1...3 are a full batch in
            // flight behind it; post 4 waits for both.
            for index in 0...4 {
                serverQueue.sync {
                    let post = NewPost(authorID: index == 0 ? 999 : alice.id, text: "post \(index)", createdAt: start)
                    worker.submit(post) { result in
                        answers.results.withLock { $0.append((index, result)) }
                        answers.done.signal()
                    }
                }
            }
            serverQueue.sync {
                worker.whenIdle {
                    idleAfter.withLock { $0 = answers.results.withLock { $0.count } }
                    answers.done.signal()
                }
            }
            release.signal()
            for _ in 0...5 { #expect(answers.done.wait(timeout: .now() + 10) == .success) }
            let results = answers.results.withLock { $0 }
            #expect(results.map(\.index) == Array(0...4))
            guard case .failure(let error) = results[0].result else {
                Issue.record("post 0 was acknowledged without an author")
                return
            }
            #expect(error.failureKind == .foreignKey, "\(error)")
            #expect(try results.dropFirst().map { try $0.result.get().text } == (1...4).map { "post \($0)" })
            #expect(idleAfter.withLock { $0 } == 5)
            serverQueue.sync { #expect(worker.commits == 2 && worker.committedPosts == 4) }
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

    /// Notifications answered by the worker, as `Answers` for posts; `idle` is when `whenIdle` fired, in
    /// answers given by then.
    private final class NotificationAnswers: Sendable {
        let results = Mutex<[(index: Int, result: Result<[AccountNotification], StoreError>)]>([])
        let idleAfter = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    /// As `submitWhileTheQueueIsHeld`, for actions' notifications; asks `whenIdle` after queuing them all.
    private func submitNotificationsWhileTheQueueIsHeld(
        _ worker: StorageWorker, serverQueue: DispatchQueue, _ actions: [[NewNotification]],
        answers: NotificationAnswers
    ) {
        let release = holdTheStorageQueue(worker)
        for (index, notifications) in actions.enumerated() {
            serverQueue.sync {
                worker.submitNotifications(notifications) { result in
                    answers.results.withLock { $0.append((index, result)) }
                    answers.done.signal()
                }
            }
        }
        serverQueue.sync {
            worker.whenIdle {
                answers.idleAfter.withLock { $0 = answers.results.withLock { $0.count } }
                answers.done.signal()
            }
        }
        release.signal()
        for _ in 0...actions.count {
            #expect(answers.done.wait(timeout: .now() + 10) == .success)
        }
    }

    @Test func notificationsQueuedDuringACommitGoIntoTheNextTransactionTogether() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
            let post = try store.insertPosts([NewPost(authorID: alice.id, text: "hi", createdAt: start)])[0]
            try store.setNotificationSettings(alice.id, NotificationSettings(off: [.like], bell: false))
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue)
            let answers = NotificationAnswers()
            func new(_ kind: NotificationKind, to recipient: User, by actor: User) -> NewNotification {
                NewNotification(
                    recipientID: recipient.id, kind: kind, actorID: actor.id, postID: post.id, createdAt: start)
            }
            let actions = [
                [new(.mention, to: alice, by: bob)],
                [new(.like, to: bob, by: alice)],
                [new(.like, to: alice, by: bob)],
                [new(.repost, to: alice, by: bob), new(.mention, to: bob, by: alice)],
                [new(.follow, to: bob, by: alice)],
            ]
            submitNotificationsWhileTheQueueIsHeld(worker, serverQueue: serverQueue, actions, answers: answers)

            let results = answers.results.withLock { $0 }
            #expect(results.map(\.index) == Array(0..<5))
            let recorded = try results.map { try $0.result.get() }
            // Alice turned likes off: that action is answered, with nothing recorded.
            #expect(recorded.map { $0.map(\.kind) } == [[.mention], [.like], [], [.repost, .mention], [.follow]])
            #expect(
                recorded.map { $0.map(\.recipientID) } == [[alice.id], [bob.id], [], [alice.id, bob.id], [bob.id]])
            let ids = recorded.flatMap { $0.map(\.id) }
            #expect(ids == ids.sorted())
            #expect(answers.idleAfter.withLock { $0 } == 5)
            serverQueue.sync {
                // One transaction for the first action, then one for the four that waited behind it.
                #expect(worker.notificationCommits == 2 && worker.committedNotificationActions == 5)
                #expect(worker.largestNotificationBatch == 4)
            }
            #expect(try store.notifications(of: alice.id, .latest(limit: 10)).count == 2)
            #expect(try store.notifications(of: bob.id, .latest(limit: 10)).count == 3)
        }
    }

    @Test func aFailingActionInANotificationBatchCostsTheOthersNothing() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue)
            let answers = NotificationAnswers()
            func follow(_ recipientID: Int64) -> [NewNotification] {
                [
                    NewNotification(
                        recipientID: recipientID, kind: .follow, actorID: alice.id, postID: nil, createdAt: start)
                ]
            }
            // The third action's recipient does not exist (an account deleted meanwhile): the foreign key
            // fails the batch's transaction, and each action is tried again alone.
            let actions = [follow(bob.id), follow(bob.id), follow(999), follow(bob.id)]
            submitNotificationsWhileTheQueueIsHeld(worker, serverQueue: serverQueue, actions, answers: answers)

            let results = answers.results.withLock { $0 }
            #expect(results.map(\.index) == Array(0..<4))
            for answer in results where answer.index != 2 {
                #expect((try? answer.result.get())?.map(\.recipientID) == [bob.id], "action \(answer.index)")
            }
            guard case .failure(let error) = results[2].result else {
                Issue.record("the notification to no account was recorded")
                return
            }
            #expect(error.failureKind == .foreignKey, "\(error)")
            #expect(try store.notifications(of: bob.id, .latest(limit: 10)).count == 3)
        }
    }
}
