/// A registered account as the rest of the server sees it. Immutable value; safe on any queue.
public struct User: Sendable, Equatable {
    public var id: Int64
    /// The name as registered, with its original case.
    public var name: String
    public var createdAt: Timestamp

    public init(id: Int64, name: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A committed post. Immutable value; safe on any queue.
public struct Post: Sendable, Equatable {
    public var id: Int64
    public var authorID: Int64
    public var author: String
    public var text: String
    public var createdAt: Timestamp
    /// The accounts it mentions (ids, and names as registered) and its hashtags (lower case).
    public var mentionIDs: [Int64]
    public var mentions: [String]
    public var tags: [String]
    /// The post this one answers, and its author.
    public var replyTo: PostReference?
    /// The post this one shares, and its author (the text is the original's).
    public var repostOf: PostReference?
    public var likes: Int

    public init(
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
public struct PostReference: Sendable, Equatable {
    public var id: Int64
    public var author: String
    public var authorID: Int64

    public init(id: Int64, author: String, authorID: Int64 = 0) {
        self.id = id
        self.author = author
        self.authorID = authorID
    }
}

/// A post that has been validated but not yet committed.
public struct NewPost: Sendable, Equatable {
    public var authorID: Int64
    public var text: String
    public var createdAt: Timestamp
    /// Found in the text when it was posted; mentions of names nobody has are dropped on insert.
    public var entities: PostEntities
    public var replyTo: PostReference?
    public var repostOf: PostReference?

    public init(
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
public struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
