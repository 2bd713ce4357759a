import Dispatch
import Foundation
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

/// The storage reader: a read-only connection with a queue of its own, so reads run while the storage
/// queue is busy, never write, and still find every post committed before them (`readIndexed`).
@Suite struct StorageReaderTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// A worker on the store at `path` with a reader on a second, read-only connection to it.
    private func worker(_ store: SQLiteStore, path: String, serverQueue: DispatchQueue) throws -> StorageWorker {
        let reader = StorageReader(store: try SQLiteStore(readingOnly: path), serverQueue: serverQueue)
        return StorageWorker(store: store, serverQueue: serverQueue, reader: reader)
    }

    /// The storage queue is held (as by a long commit); a read on the reader still answers.
    @Test func aReadRunsWhileTheStorageQueueIsBusy() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            _ = try store.insertPosts([NewPost(authorID: ann.id, text: "hello", createdAt: start)])
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = try worker(store, path: path, serverQueue: serverQueue)
            let release = DispatchSemaphore(value: 0)
            let held = DispatchSemaphore(value: 0)
            worker.perform({ _ in
                held.signal()
                _ = release.wait(timeout: .now() + 20)
            }) { _ in }
            #expect(held.wait(timeout: .now() + 10) == .success)
            let answered = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var texts: [String] = []
            serverQueue.sync {
                worker.read(for: "127.0.0.1") { store in
                    try store.exportPage(of: ann.id, from: ExportCursor(), limit: 10, textBytes: 1 << 16).records
                        .compactMap {
                            if case .post(_, _, let text, _, _) = $0 { return text } else { return nil }
                        }
                } completion: {
                    result in
                    texts = (try? result.get()) ?? []
                    answered.signal()
                }
            }
            #expect(answered.wait(timeout: .now() + 5) == .success, "the read waited for the storage queue")
            #expect(texts == ["hello"])
            release.signal()
        }
    }

    /// Posts committed but not yet indexed are found: the writer indexes them first (the reader cannot
    /// write), and the reader's connection never takes the write lock.
    @Test func anIndexedReadFindsPostsCommittedJustBefore() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = try worker(store, path: path, serverQueue: serverQueue)
            let acknowledged = DispatchSemaphore(value: 0)
            let answered = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var found: Result<[String], StoreError> = .success([])
            serverQueue.sync {
                worker.submit(NewPost(authorID: ann.id, text: "coffee 東京タワー", createdAt: start)) { _ in
                    // At once after the acknowledgement: the indexes catch up only later by themselves.
                    worker.readIndexed(for: "127.0.0.1") { store in
                        try store.search(["coffee"], limit: 10, viewer: nil).map(\.text)
                            + store.search(["タワー"], limit: 10, viewer: nil).map(\.text)
                    } completion: { result in
                        found = result
                        answered.signal()
                    }
                    acknowledged.signal()
                }
            }
            #expect(acknowledged.wait(timeout: .now() + 10) == .success)
            #expect(answered.wait(timeout: .now() + 10) == .success)
            #expect((try? found.get()) == ["coffee 東京タワー", "coffee 東京タワー"], "\(found)")
        }
    }
}
