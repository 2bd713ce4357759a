/// What the people commands show: profiles, direct messages, the inbox and the catch-up. Values.

/// What happened while an account was away: the ids of new posts in its home timeline (not its own)
/// and of posts mentioning it (at most a limit of each, oldest first), its new followers, and how many
/// direct messages wait unread.
public struct CatchUp: Sendable, Equatable {
    public var since: Timestamp
    public var homePostIDs: [Int64]
    public var mentionIDs: [Int64]
    public var newFollowers: [String]
    public var unreadMessages: Int
    /// Notifications of likes, reposts and replies since then (follows and mentions are counted above).
    public var likes = 0
    public var reposts = 0
    public var replies = 0

    public var isEmpty: Bool {
        homePostIDs.isEmpty && mentionIDs.isEmpty && newFollowers.isEmpty && unreadMessages == 0 && likes == 0
            && reposts == 0 && replies == 0
    }

    public init(
        since: Timestamp, homePostIDs: [Int64], mentionIDs: [Int64], newFollowers: [String], unreadMessages: Int
    ) {
        self.since = since
        self.homePostIDs = homePostIDs
        self.mentionIDs = mentionIDs
        self.newFollowers = newFollowers
        self.unreadMessages = unreadMessages
    }
}

/// An account as `/profile` shows it.
public struct Profile: Sendable, Equatable {
    public var user: User
    public var bio: String
    public var posts: Int
    public var followers: Int
    public var following: Int
    public var lastSeen: Timestamp?

    public init(user: User, bio: String, posts: Int, followers: Int, following: Int, lastSeen: Timestamp? = nil) {
        self.user = user
        self.bio = bio
        self.posts = posts
        self.followers = followers
        self.following = following
        self.lastSeen = lastSeen
    }
}

/// A direct message. Only its sender and recipient ever see it.
public struct DirectMessage: Sendable, Equatable {
    public var id: Int64
    public var senderID: Int64
    public var sender: String
    public var recipientID: Int64
    public var recipient: String
    public var text: String
    public var createdAt: Timestamp

    public init(
        id: Int64, senderID: Int64, sender: String, recipientID: Int64, recipient: String, text: String,
        createdAt: Timestamp
    ) {
        self.id = id
        self.senderID = senderID
        self.sender = sender
        self.recipientID = recipientID
        self.recipient = recipient
        self.text = text
        self.createdAt = createdAt
    }
}

/// One conversation in `/inbox`: with whom, its latest message (and whether the reader sent it), how many
/// are unread and in all.
public struct InboxEntry: Sendable, Equatable {
    public var withID: Int64
    public var with: String
    public var latest: String
    /// True when the reader wrote the latest message, not `with`.
    public var latestIsMine: Bool
    public var at: Timestamp
    public var unread: Int
    public var messages: Int

    public init(
        withID: Int64, with: String, latest: String, latestIsMine: Bool = false, at: Timestamp, unread: Int,
        messages: Int
    ) {
        self.withID = withID
        self.with = with
        self.latest = latest
        self.latestIsMine = latestIsMine
        self.at = at
        self.unread = unread
        self.messages = messages
    }
}

/// `/away` without a message.
public enum AwayMessage {
    /// What an `/away` with no message stores, shown as plain `away` rather than `away: away`.
    public static let standard = "away"
}
