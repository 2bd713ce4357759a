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

/// SQLite's search indexes written after commits (`SearchIndex`): a search still finds every committed
/// post, the trigram index holds only text without spaces, deletions leave both indexes sound, and the
/// storage worker catches them up without any search.
@Suite struct SearchIndexTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// FTS5's own check that an index agrees with its content; throws when it does not.
    private func checkIndexes(_ store: SQLiteStore) throws {
        try store.database.execute("INSERT INTO posts_fts(posts_fts) VALUES ('integrity-check')")
        try store.database.execute("INSERT INTO posts_trigram(posts_trigram) VALUES ('integrity-check')")
    }

    private func count(_ store: SQLiteStore, _ sql: String) throws -> Int64 {
        try store.database.statement(sql).rows { $0.int64(at: 0) }.first ?? -1
    }

    @Test func aCommitLeavesTheIndexesAloneAndASearchCatchesThemUpFirst() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            _ = try store.insertPosts([
                NewPost(authorID: ann.id, text: "coffee in the morning", createdAt: start),
                NewPost(authorID: ann.id, text: "今日は日本語の練習です", createdAt: start),
            ])
            #expect(try store.database.postsAwaitingSearchIndex() == 2)
            #expect(try count(store, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'coffee'") == 0)

            #expect(try store.search(["coffee"], limit: 10, viewer: nil).map(\.text) == ["coffee in the morning"])
            #expect(try store.database.postsAwaitingSearchIndex() == 0)
            #expect(try store.search(["日本語"], limit: 10, viewer: nil).map(\.text) == ["今日は日本語の練習です"])
            #expect(try store.indexForSearch(limit: 100) == 0)
            try checkIndexes(store)
        }
    }

    @Test func onlyTextWithoutSpacesGoesIntoTheTrigramIndex() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            let texts = [
                "plain English words", "Ελληνικά και русский", "東京タワーに行きました", "ภาษาไทยไม่มีช่องว่าง",
                "한국어는 띄어쓰기를 해요", "mixed: hello 世界",
            ]
            _ = try store.insertPosts(texts.map { NewPost(authorID: ann.id, text: $0, createdAt: start) })
            #expect(try store.indexForSearch(limit: 1) == 1)
            #expect(try store.indexForSearch(limit: 100) == texts.count - 1)
            #expect(try count(store, "SELECT count(*) FROM posts_trigram") == 3)
            #expect(try count(store, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'english'") == 1)
            #expect(try store.search(["タワー"], limit: 10, viewer: nil).map(\.text) == ["東京タワーに行きました"])
            #expect(try store.search(["ไทย"], limit: 10, viewer: nil).count == 1)
            #expect(try store.search(["世界"], limit: 10, viewer: nil).map(\.text) == ["mixed: hello 世界"])
            try checkIndexes(store)
        }
    }

    /// Part of a long Latin word is not in the trigram index any more: it is found among the newest posts.
    @Test func partOfALongWordIsFoundByScanningTheNewestPosts() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            _ = try store.insertPosts([
                NewPost(authorID: ann.id, text: "Donaudampfschifffahrt ahoy", createdAt: start),
                NewPost(authorID: ann.id, text: "nothing here", createdAt: start),
            ])
            #expect(try store.search(["dampfschiff"], limit: 10, viewer: nil).map(\.id) == [1])
        }
    }

    /// Deleting a post clears its text: an indexed one leaves both indexes, one not yet indexed is indexed
    /// empty, and FTS5's integrity check passes either way.
    @Test func deletedPostsLeaveBothIndexesSound() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            let indexed = try store.insertPosts([
                NewPost(authorID: ann.id, text: "indexed apple 日本語です", createdAt: start),
                NewPost(authorID: ann.id, text: "indexed pear", createdAt: start),
            ])
            _ = try store.indexForSearch(limit: 100)
            let waiting = try store.insertPosts([
                NewPost(authorID: ann.id, text: "waiting apple 日本語でした", createdAt: start)
            ])
            _ = try store.deletePost(id: indexed[0].id, at: start)
            _ = try store.deletePost(id: waiting[0].id, at: start)
            try checkIndexes(store)
            #expect(try store.search(["apple"], limit: 10, viewer: nil).isEmpty)
            #expect(try store.search(["日本語"], limit: 10, viewer: nil).isEmpty)
            #expect(try count(store, "SELECT count(*) FROM posts_trigram") == 0)
            #expect(try store.search(["pear"], limit: 10, viewer: nil).map(\.id) == [indexed[1].id])
            try checkIndexes(store)
        }
    }

    /// A version-13 file (both indexes kept by triggers) keeps its word index and gets its trigram index
    /// made again at the upgrade, for the posts written without spaces only (GLOB over the same ranges).
    @Test func aVersion13DatabaseKeepsItsWordIndexAndRebuildsTrigrams() throws {
        try withDatabasePath { path in
            let database = try SQLiteDatabase(path: path)
            let before = Migrations.steps.firstIndex(of: SearchIndex.schema) ?? 0
            for step in Migrations.steps.prefix(before) { try database.execute(step) }
            try database.execute("PRAGMA user_version = \(before)")
            try database.execute(
                "INSERT INTO users (name, name_key, password_hash, created_at) VALUES ('ann', 'ann', '$y$a', 1)")
            try database.execute(
                """
                INSERT INTO posts (user_id, text, created_at) VALUES (1, 'an old english post', 1),
                    (1, '古い日本語の投稿', 1)
                """)
            database.close()

            let store = try SQLiteStore(path: path)
            // Both indexes are complete at the upgrade: nothing waits, and new posts are indexed at once.
            #expect(try store.database.postsAwaitingSearchIndex() == 0)
            #expect(try count(store, "SELECT words_through FROM search_index") == 2)
            #expect(try count(store, "SELECT trigrams_through FROM search_index") == 2)
            #expect(try count(store, "SELECT count(*) FROM posts_trigram") == 1)
            #expect(try store.search(["english"], limit: 10, viewer: nil).map(\.id) == [1])
            #expect(try store.search(["日本語"], limit: 10, viewer: nil).map(\.id) == [2])
            #expect(try count(store, "SELECT count(*) FROM posts_trigram") == 1)
            try checkIndexes(store)
        }
    }

    /// Each index catches up from its own mark: the word index far behind (a copy made by `migrate`) does
    /// not hold back the trigram index, nor the other way round.
    @Test func eachIndexCatchesUpFromItsOwnMark() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            _ = try store.insertPosts(
                (0..<10).map { NewPost(authorID: ann.id, text: "post \($0) 東京", createdAt: start) })
            _ = try store.indexForSearch(limit: 100)
            // As if the trigram index had to start over: its mark at 0, the words' at 10.
            try store.database.execute("DELETE FROM posts_trigram; UPDATE search_index SET trigrams_through = 0")
            _ = try store.insertPosts([NewPost(authorID: ann.id, text: "newest words here", createdAt: start)])
            #expect(try store.indexForSearch(limit: 3) == 3)
            // The word index took the newest post at once, although the trigrams are still behind.
            #expect(try count(store, "SELECT words_through FROM search_index") == 11)
            #expect(try count(store, "SELECT trigrams_through FROM search_index") == 3)
            #expect(try count(store, "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'newest'") == 1)
            _ = try store.indexForSearch(limit: 100)
            #expect(try count(store, "SELECT trigrams_through FROM search_index") == 11)
            #expect(try count(store, "SELECT count(*) FROM posts_trigram") == 10)
            try checkIndexes(store)
        }
    }

    /// Without any search, the storage worker indexes committed posts by itself shortly after the commit.
    @Test func theStorageWorkerCatchesTheIndexesUpAfterCommits() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let ann = try store.createUser(name: "ann", nameKey: "ann", passwordHash: "h", at: start)
            let serverQueue = DispatchQueue(label: "test.server")
            let worker = StorageWorker(store: store, serverQueue: serverQueue)
            let acknowledged = DispatchSemaphore(value: 0)
            serverQueue.sync {
                for number in 0..<20 {
                    worker.submit(NewPost(authorID: ann.id, text: "post \(number) 練習", createdAt: start)) { _ in
                        acknowledged.signal()
                    }
                }
            }
            for _ in 0..<20 { #expect(acknowledged.wait(timeout: .now() + 10) == .success) }
            // Read on the storage queue, which owns the store.
            nonisolated(unsafe) let owned = store
            nonisolated(unsafe) var state: (awaiting: Int, trigrams: Int64) = (-1, -1)
            let indexed = waitUntil(timeout: 10) {
                let answered = DispatchSemaphore(value: 0)
                worker.perform({ _ in
                    (
                        try owned.database.postsAwaitingSearchIndex(),
                        try owned.database.statement("SELECT count(*) FROM posts_trigram").rows { $0.int64(at: 0) }[0]
                    )
                }) { result in
                    state = (try? result.get()) ?? (-1, -1)
                    answered.signal()
                }
                _ = answered.wait(timeout: .now() + 10)
                return state.awaiting == 0
            }
            #expect(indexed)
            #expect(state.trigrams == 20)
        }
    }
}
