import MicroblogModel
import MicroblogSupport

/// The mentions and tags of a batch of posts whose rows were just inserted, one row each across the
/// whole batch, so that an engine can write all of them with one statement (see
/// `SQLConnection.insertEntities`), and the users the mentions name, put back post by post. A value.
///
/// A mention is resolved as `Store.user(named:)` resolves a name: by each of `AccountRules.lookupKeys` in
/// order (an account kept apart under exactly that name, then the one the name folds to), among accounts
/// not deleted. A name nobody has is dropped, and a user named twice in one post (`@sam @5am` when both
/// fold to one account) counts once, where the text first names them.
public struct PostEntityRows {
    /// One mention as written: the post (its place in the batch and its id) and the keys to look it up by.
    public struct Mention: Equatable {
        let post: Int
        public let postID: Int64
        /// `AccountRules.lookupKeys` of the name: the kept-apart key, then the folded key.
        public let keptApartKey: String
        public let nameKey: String
    }

    /// One tag of one post, with the post's time (tags are listed by time for trends).
    public struct Tag: Equatable {
        public let tag: String
        public let postID: Int64
        public let createdAt: Int64
    }

    /// The posts' ids, in the batch's order.
    public let postIDs: [Int64]
    /// Every mention of the batch, post by post, each post's in the order of its text.
    public let mentions: [Mention]
    /// Every tag of the batch, post by post, as the posts carry them.
    public let tags: [Tag]

    /// The rows of `posts`, inserted with `ids` (in the same order).
    init(_ posts: [NewPost], ids: [Int64]) {
        postIDs = ids
        var mentions: [Mention] = []
        var tags: [Tag] = []
        // A batch names few people many times (replies in a thread, a bot's reports): each name is folded once.
        // Only ASCII names are kept, since String's == takes different spellings of one text as equal.
        var keysByName: [String: [String]] = [:]
        for (index, (post, id)) in zip(posts, ids).enumerated() {
            for name in post.entities.mentions {
                let keys = keysByName[name] ?? AccountRules.lookupKeys(name)
                if name.utf8.allSatisfy({ $0 < 0x80 }) { keysByName[name] = keys }
                mentions.append(Mention(post: index, postID: id, keptApartKey: keys[0], nameKey: keys[1]))
            }
            for tag in post.entities.tags {
                tags.append(Tag(tag: tag, postID: id, createdAt: post.createdAt.milliseconds))
            }
        }
        self.mentions = mentions
        self.tags = tags
    }

    /// True when the batch has neither mentions nor tags: there is nothing to write.
    var isEmpty: Bool { mentions.isEmpty && tags.isEmpty }

    /// For each post, the users its mentions name, given `users` (one per element of `mentions`, nil for a
    /// name nobody has): in the order of the text, each user once.
    public func mentioned(_ users: [User?]) -> [[User]] {
        var result = Array(repeating: [User](), count: postIDs.count)
        for (mention, user) in zip(mentions, users) {
            guard let user, !result[mention.post].contains(user) else { continue }
            result[mention.post].append(user)
        }
        return result
    }
}
