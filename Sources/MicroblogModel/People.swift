/// What the people commands show: profiles, direct messages, the inbox and the catch-up. Values.

/// What happened while an account was away: the ids of new posts in its home timeline (not its own)
/// and of posts mentioning it (at most a limit of each, oldest first), its new followers, and how many
/// direct messages wait unread.
package struct CatchUp: Sendable, Equatable {
    package var since: Timestamp
    package var homePostIDs: [Int64]
    package var mentionIDs: [Int64]
    package var newFollowers: [String]
    package var unreadMessages: Int
    /// Notifications of likes, reposts and replies since then (follows and mentions are counted above).
    package var likes = 0
    package var reposts = 0
    package var replies = 0

    package var isEmpty: Bool {
        homePostIDs.isEmpty && mentionIDs.isEmpty && newFollowers.isEmpty && unreadMessages == 0 && likes == 0
            && reposts == 0 && replies == 0
    }

    package init(
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
package struct Profile: Sendable, Equatable {
    package var user: User
    package var bio: String
    package var posts: Int
    package var followers: Int
    package var following: Int
    package var lastSeen: Timestamp?

    package init(user: User, bio: String, posts: Int, followers: Int, following: Int, lastSeen: Timestamp? = nil) {
        self.user = user
        self.bio = bio
        self.posts = posts
        self.followers = followers
        self.following = following
        self.lastSeen = lastSeen
    }
}

/// A direct message. Only its sender and recipient ever see it.
package struct DirectMessage: Sendable, Equatable {
    package var id: Int64
    package var senderID: Int64
    package var sender: String
    package var recipientID: Int64
    package var recipient: String
    package var text: String
    package var createdAt: Timestamp

    package init(
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

/// One conversation in `/inbox`: with whom, its latest message, how many are unread and in all.
package struct InboxEntry: Sendable, Equatable {
    package var withID: Int64
    package var with: String
    package var latest: String
    package var at: Timestamp
    package var unread: Int
    package var messages: Int

    package init(withID: Int64, with: String, latest: String, at: Timestamp, unread: Int, messages: Int) {
        self.withID = withID
        self.with = with
        self.latest = latest
        self.at = at
        self.unread = unread
        self.messages = messages
    }
}

/// `/away` without a message.
package enum AwayMessage {
    /// What an `/away` with no message stores, shown as plain `away` rather than `away: away`.
    package static let standard = "away"
}
