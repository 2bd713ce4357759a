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
        let ids = rows.map(\.id)
        guard let first = ids.min(), let last = ids.max() else { return [] }
        // Fetch the live posts of the thread in one range query; deleted ones become placeholders.
        var byID: [Int64: Post] = [:]
        var cursor = first - 1
        while cursor < last {
            let page = try posts(in: .everyone, .since(id: cursor, limit: 200), viewer: nil).filter { $0.id <= last }
            guard let end = page.last?.id else { break }
            for post in page where ids.contains(post.id) { byID[post.id] = post }
            cursor = end
        }
        return rows.map { row in
            ThreadEntry(
                post: byID[row.id]
                    ?? Post(id: row.id, authorID: 0, author: "", text: "", createdAt: Timestamp(milliseconds: 0)),
                depth: row.depth, deleted: byID[row.id] == nil)
        }
    }

    public func setLiked(postID: Int64, userID: Int64, _ liked: Bool, at: Timestamp) throws -> Bool {
        if liked {
            try database.statement(ConversationSQL.like).run([
                .integer(postID), .integer(userID), .integer(at.milliseconds),
            ])
        } else {
            try database.statement(ConversationSQL.unlike).run([.integer(postID), .integer(userID)])
        }
        return database.changes > 0
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
                    let values: [SQLiteValue] =
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

private enum ConversationSQL {
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
