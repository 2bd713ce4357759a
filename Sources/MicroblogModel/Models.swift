/// A registered account as the rest of the server sees it. Immutable value; safe on any queue.
package struct User: Sendable, Equatable {
    package var id: Int64
    /// The name as registered, with its original case.
    package var name: String
    package var createdAt: Timestamp

    package init(id: Int64, name: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A committed post. Immutable value; safe on any queue.
package struct Post: Sendable, Equatable {
    package var id: Int64
    package var authorID: Int64
    package var author: String
    package var text: String
    package var createdAt: Timestamp
    /// The accounts it mentions (ids, and names as registered) and its hashtags (lower case).
    package var mentionIDs: [Int64]
    package var mentions: [String]
    package var tags: [String]
    /// The post this one answers, and its author.
    package var replyTo: PostReference?
    /// The post this one shares, and its author (the text is the original's).
    package var repostOf: PostReference?
    package var likes: Int

    package init(
        id: Int64, authorID: Int64, author: String, text: String, createdAt: Timestamp, mentionIDs: [Int64] = [],
        mentions: [String] = [], tags: [String] = [], replyTo: PostReference? = nil, repostOf: PostReference? = nil,
        likes: Int = 0
    ) {
        self.replyTo = replyTo
        self.repostOf = repostOf
        self.likes = likes
        self.id = id
        self.authorID = authorID
        self.author = author
        self.text = text
        self.createdAt = createdAt
        self.mentionIDs = mentionIDs
        self.mentions = mentions
        self.tags = tags
    }
}

/// Another post, named by id and author.
package struct PostReference: Sendable, Equatable {
    package var id: Int64
    package var author: String
    package var authorID: Int64

    package init(id: Int64, author: String, authorID: Int64 = 0) {
        self.id = id
        self.author = author
        self.authorID = authorID
    }
}

/// A post that has been validated but not yet committed.
package struct NewPost: Sendable, Equatable {
    package var authorID: Int64
    package var text: String
    package var createdAt: Timestamp
    /// Found in the text when it was posted; mentions of names nobody has are dropped on insert.
    package var entities: PostEntities
    package var replyTo: PostReference?
    package var repostOf: PostReference?

    package init(
        authorID: Int64, text: String, createdAt: Timestamp, entities: PostEntities? = nil,
        replyTo: PostReference? = nil, repostOf: PostReference? = nil
    ) {
        self.authorID = authorID
        self.text = text
        self.createdAt = createdAt
        self.entities = entities ?? PostEntities(in: text)
        self.replyTo = replyTo
        self.repostOf = repostOf
    }
}

/// Milliseconds since the Unix epoch, UTC. Stored as an INTEGER in SQLite.
package struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    package var milliseconds: Int64

    package init(milliseconds: Int64) { self.milliseconds = milliseconds }

    package static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    package static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
