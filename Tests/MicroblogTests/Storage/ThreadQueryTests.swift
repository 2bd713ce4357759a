import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// A thread is read through the reply index, not by paging through every post between its first and last:
/// a reply months later must cost what the thread costs, not what the whole timeline in between costs.
@Suite struct ThreadQueryTests {
    private let start = Timestamp(milliseconds: 1_700_000_000_000)

    /// A root, a first reply, 100,000 other posts, then a reply to the reply and a late reply to the root.
    @Test func aThreadSpreadOverAHundredThousandPostsIsReadThroughTheReplyIndex() throws {
        try withDatabasePath { path in
            let store = try SQLiteStore(path: path)
            let alice = try store.createUser(name: "Alice", nameKey: "alice", passwordHash: "h", at: start)
            let bob = try store.createUser(name: "Bob", nameKey: "bob", passwordHash: "h", at: start)
            let root = try store.insertPosts([NewPost(authorID: alice.id, text: "root", createdAt: start)])[0]
            let first = try store.insertPosts([
                NewPost(
                    authorID: bob.id, text: "first reply", createdAt: start,
                    replyTo: PostReference(id: root.id, author: alice.name, authorID: alice.id))
            ])[0]
            let filler = 100_000
            try store.database.transaction {
                try store.database.statement(
                    """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO posts (user_id, text, created_at) SELECT ?, 'filler ' || i, ? FROM n
                    """
                ).run([.integer(Int64(filler)), .integer(alice.id), .integer(start.milliseconds)])
            }
            let late = try store.insertPosts([
                NewPost(
                    authorID: alice.id, text: "months later", createdAt: start,
                    replyTo: PostReference(id: first.id, author: bob.name, authorID: bob.id)),
                NewPost(
                    authorID: bob.id, text: "to the root", createdAt: start,
                    replyTo: PostReference(id: root.id, author: alice.name, authorID: alice.id)),
            ])
            #expect(try store.counts().posts == filler + 4)

            let clock = ContinuousClock()
            var thread: [ThreadEntry] = []
            let elapsed = try clock.measure { thread = try store.thread(of: late[0].id, limit: 50) }
            print("thread(of:) over \(filler) posts in between: \(elapsed)")
            #expect(thread.map(\.post.id) == [root.id, first.id, late[0].id, late[1].id])
            #expect(thread.map(\.depth) == [0, 1, 2, 1])
            #expect(thread.map(\.post.text) == ["root", "first reply", "months later", "to the root"])
            #expect(thread.allSatisfy { !$0.deleted })

            // Each step is a search of an index, never a scan of the posts.
            let steps = [
                try store.queryPlan(ConversationSQL.root, [.integer(late[0].id)]),
                try store.queryPlan(store.sql.threadTree, [.integer(root.id), .integer(50)]),
                try {
                    let (text, values) = store.postsByID(thread.map(\.post.id), viewer: nil)
                    return try store.queryPlan(text, values)
                }(),
            ].map { $0.joined(separator: "\n") }
            #expect(steps[0].contains("SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"), "\(steps[0])")
            #expect(steps[1].contains("SEARCH posts USING INDEX posts_by_reply (reply_to=?)"), "\(steps[1])")
            #expect(steps[2].contains("SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"), "\(steps[2])")
            for plan in steps { #expect(!plan.contains("SCAN posts"), "\(plan)") }
        }
    }
}
