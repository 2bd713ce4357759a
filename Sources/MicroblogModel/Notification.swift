/// What can happen to an account that it is told about (`/notify`, `/notifications`). Pure values.
public enum NotificationKind: String, CaseIterable, Sendable, Equatable {
    case follow, like, repost, reply, mention

    /// The sentence after the actor's name, e.g. `liked your post #12` or `replied to your post #12
    /// with #15` (`post` the notification's post, `replyTo` what a reply answers).
    func sentence(post: Int64?, replyTo: Int64?) -> String {
        let post = post.map { "#\($0)" } ?? ""
        switch self {
        case .follow: return "followed you"
        case .like: return "liked your post \(post)"
        case .repost: return "reposted your post \(post)"
        case .reply: return replyTo.map { "replied to your post #\($0) with \(post)" } ?? "replied to you in \(post)"
        case .mention: return "mentioned you in \(post)"
        }
    }
}

/// One notification: `actor` did `kind` to `recipientID` (on `postID`: the liked or reposted post, the
/// reply or the post that mentions). A reply that also mentions its parent's author is one `mention`.
public struct AccountNotification: Sendable, Equatable {
    public var id: Int64
    public var recipientID: Int64
    public var kind: NotificationKind
    public var actorID: Int64
    public var actor: String
    public var postID: Int64?
    public var createdAt: Timestamp
    /// For a reply, the post it answers (nil once that is gone from the store).
    public var replyTo: Int64? = nil

    /// The text after the actor's name.
    public var sentence: String { kind.sentence(post: postID, replyTo: kind == .reply ? replyTo : nil) }

    public init(
        id: Int64, recipientID: Int64, kind: NotificationKind, actorID: Int64, actor: String, postID: Int64? = nil,
        createdAt: Timestamp, replyTo: Int64? = nil
    ) {
        self.id = id
        self.recipientID = recipientID
        self.kind = kind
        self.actorID = actorID
        self.actor = actor
        self.postID = postID
        self.createdAt = createdAt
        self.replyTo = replyTo
    }
}

/// A notification to record, before it has an id.
public struct NewNotification: Sendable, Equatable {
    public var recipientID: Int64
    public var kind: NotificationKind
    public var actorID: Int64
    public var postID: Int64?
    public var createdAt: Timestamp
    /// When set, the store leaves this notification out if the recipient already has one of the same kind
    /// from the same actor about the same post (or, for a follow, about none) made at or after this time:
    /// undoing and redoing a like or a follow notifies once a window (`Microblog.repeatNotificationWindow`).
    public var repeatSince: Timestamp? = nil

    /// True when `other` is the same kind of thing done by the same actor to the same recipient and post.
    public func repeats(_ other: NewNotification) -> Bool {
        recipientID == other.recipientID && kind == other.kind && actorID == other.actorID && postID == other.postID
    }

    /// What a committed post tells others, one notification per account at most and none to its author:
    /// a repost tells the original's author; a post tells whom it mentions; a reply tells the parent's
    /// author (as a mention when the reply also names them).
    public static func about(_ post: Post) -> [NewNotification] {
        var result: [NewNotification] = []
        func add(_ recipient: Int64, _ kind: NotificationKind, _ postID: Int64) {
            guard recipient > 0, recipient != post.authorID, !result.contains(where: { $0.recipientID == recipient })
            else { return }
            result.append(
                NewNotification(
                    recipientID: recipient, kind: kind, actorID: post.authorID, postID: postID,
                    createdAt: post.createdAt))
        }
        if let original = post.repostOf {
            add(original.authorID, .repost, original.id)
            return result
        }
        for id in post.mentionIDs { add(id, .mention, post.id) }
        if let parent = post.replyTo { add(parent.authorID, .reply, post.id) }
        return result
    }

    public init(
        recipientID: Int64, kind: NotificationKind, actorID: Int64, postID: Int64? = nil, createdAt: Timestamp,
        repeatSince: Timestamp? = nil
    ) {
        self.recipientID = recipientID
        self.kind = kind
        self.actorID = actorID
        self.postID = postID
        self.createdAt = createdAt
        self.repeatSince = repeatSince
    }
}

/// An account's notification choices: the kinds turned off (`/notify KIND off`) and the bell
/// (`/bell on`). Stored as the words of the kinds turned off, space-separated, and a flag.
public struct NotificationSettings: Sendable, Equatable {
    public var off: Set<NotificationKind> = []
    public var bell = false

    public init(off: Set<NotificationKind> = [], bell: Bool = false) {
        self.off = off
        self.bell = bell
    }

    /// The stored words of the kinds turned off, in a fixed order.
    public var storedOff: String {
        NotificationKind.allCases.filter { off.contains($0) }.map(\.rawValue).joined(separator: " ")
    }

    /// Reads stored words; unknown words (from a newer build) are ignored.
    public init(storedOff: String, bell: Bool) {
        self.off = Set(storedOff.split(separator: " ").compactMap { NotificationKind(rawValue: String($0)) })
        self.bell = bell
    }
}
