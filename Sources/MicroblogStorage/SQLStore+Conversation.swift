import MicroblogModel
import MicroblogSupport

/// Replies, threads, likes, reposts and deletion.
extension SQLStore {
    public func post(id: Int64) throws -> Post? {
        try posts(in: .everyone, .since(id: id - 1, limit: 1), viewer: nil).first { $0.id == id }
    }

    public func thread(of id: Int64, limit: Int) throws -> [ThreadEntry] {
        // Up to the root, then the whole tree below it depth first (each path sorts its ids in order).
        let roots = try database.statement(ConversationSQL.root).rows([.integer(id)]) { $0.int64(at: 0) }
        guard let root = roots.first else { return [] }
        let rows = try database.statement(sql.threadTree).rows([.integer(root), .integer(Int64(limit))]) {
            (id: $0.int64(at: 0), depth: Int($0.int64(at: 1)), deleted: $0.int64(at: 2) != 0)
        }
        // The live posts of the thread by id (the primary key), a bounded number per statement; deleted ones
        // become placeholders. Never a range of ids: a reply months later would read everything in between.
        var byID: [Int64: Post] = [:]
        for start in stride(from: 0, to: rows.count, by: Self.threadPostsPerQuery) {
            let ids = rows[start..<min(start + Self.threadPostsPerQuery, rows.count)].map(\.id)
            for post in try posts(ids: ids, viewer: nil) { byID[post.id] = post }
        }
        return rows.map { row in
            ThreadEntry(
                post: byID[row.id]
                    ?? Post(id: row.id, authorID: 0, author: "", text: "", createdAt: Timestamp(milliseconds: 0)),
                depth: row.depth, deleted: byID[row.id] == nil)
        }
    }

    /// How many posts of a thread one statement reads: one bound parameter each, well under SQLite's limit.
    static var threadPostsPerQuery: Int { 500 }

    public func setLiked(postID: Int64, userID: Int64, _ liked: Bool, at: Timestamp) throws -> Bool {
        try database.transaction {
            if liked {
                try refuseDeleted(userID)
                try database.statement(ConversationSQL.like).run([
                    .integer(postID), .integer(userID), .integer(at.milliseconds),
                ])
            } else {
                try database.statement(ConversationSQL.unlike).run([.integer(postID), .integer(userID)])
            }
            let changed = database.changes > 0
            // Other nodes show the count in their greetings' newest posts.
            if changed { try announce(.liked(postID)) }
            return changed
        }
    }

    public func hasReposted(userID: Int64, postID: Int64) throws -> Bool {
        try !database.statement(ConversationSQL.reposted).rows([.integer(postID), .integer(userID)]) { $0.int64(at: 0) }
            .isEmpty
    }

    public func deletePost(id: Int64, at: Timestamp) throws -> [Int64] {
        try database.transaction {
            // The post and every repost of it.
            let ids = try database.statement(ConversationSQL.deletable).rows([.integer(id), .integer(id)]) {
                $0.int64(at: 0)
            }
            for target in ids {
                for sql in [ConversationSQL.softDelete, ConversationSQL.dropMentions, ConversationSQL.dropTags] {
                    let values: [SQLValue] =
                        sql == ConversationSQL.softDelete
                        ? [.integer(at.milliseconds), .integer(target)] : [.integer(target)]
                    try database.statement(sql).run(values)
                }
            }
            if !ids.isEmpty { try announce(.deleted(ids)) }
            return ids
        }
    }
}

enum ConversationSQL {
    static let root = """
        WITH RECURSIVE up(id, reply_to) AS (
            SELECT id, reply_to FROM posts WHERE id = ?
            UNION ALL SELECT posts.id, posts.reply_to FROM posts JOIN up ON posts.id = up.reply_to
        )
        SELECT id FROM up WHERE reply_to IS NULL
        """
    static let like = "INSERT INTO likes (post_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
    static let unlike = "DELETE FROM likes WHERE post_id = ? AND user_id = ?"
    static let reposted = "SELECT id FROM posts WHERE repost_of = ? AND user_id = ? AND deleted_at IS NULL"
    static let deletable = """
        SELECT id FROM posts WHERE (id = ? OR repost_of = ?) AND deleted_at IS NULL ORDER BY id
        """
    static let softDelete = "UPDATE posts SET deleted_at = ?, text = '' WHERE id = ?"
    static let dropMentions = "DELETE FROM mentions WHERE post_id = ?"
    static let dropTags = "DELETE FROM tags WHERE post_id = ?"
}
