import MicroblogModel
import MicroblogSupport

/// The storage interface, narrowed by concern: each protocol below is one concern's requirements, and
/// `Store` is all of them, as each engine's `SQLStore` provides. Implementations are synchronous and not
/// thread-safe: they are owned and called by exactly one serial queue (`StorageWorker` or
/// `StorageReader`).
///
/// The transaction contract, which both engines keep (a store test checks it on each): every requirement
/// that writes runs in one transaction of its own and commits or rolls back whole; a transaction is never
/// opened inside another (the connection refuses it with `StoreError.misuse` and the outer one goes on).
public protocol Store: AccountStore, PostStore, SearchStore, PeopleStore, MessageStore, CommunityStore, SSHKeyStore,
    NotificationStore, ExportStore, ClusterStore, PublicStore, WebSessionStore, StoreConnection
{}

/// What the read-only connection of a `StorageReader` may be asked: searches, export pages, and what
/// the web door shows.
public typealias ReadingStore = SearchStore & ExportStore & PublicStore & WebReading & StoreConnection

/// What anyone may read without an account, as the web door shows it: public posts, threads and
/// profiles (each also a requirement of its own concern's protocol). Nothing that writes, nothing private.
public protocol PublicStore: AnyObject {
    func posts(in scope: PostScope, _ query: FeedQuery, viewer: Int64?) throws -> [Post]
    func post(id: Int64) throws -> Post?
    func thread(of id: Int64, limit: Int) throws -> [ThreadEntry]
    func user(nameKey: String) throws -> User?
    func profile(of userID: Int64) throws -> Profile?
}

/// What the web door reads about who may see what (see `WebSchema`).
public protocol WebReading: AnyObject {
    /// The account signed in by the web session whose token hashes to `tokenHash`, when the session was
    /// made at or after `notBefore` and the account is neither deleted nor banned.
    func webSessionUser(tokenHash: String, notBefore: Timestamp) throws -> User?
    /// The accounts the web door never shows: those banned, and those that chose `/web off`.
    func webHiddenAuthors() throws -> Set<Int64>
    /// Runs `body` with what the web door never shows left out of its listings, searches, posts by id and
    /// threads (where such a post is a placeholder, as a deleted one): the posts of accounts banned or
    /// `/web off`, and reposts of them.
    func asSeenOnTheWeb<Result>(_ body: () throws -> Result) rethrows -> Result
}

/// Signing in and out on the web door, and `/web off`.
public protocol WebSessionStore: WebReading {
    /// Records a web session of `userID`. In the same transaction, every session (anyone's) made before
    /// `expiredBefore` is forgotten, and the account's oldest beyond its newest `keep`. Throws
    /// `StoreError.accountDeleted` for a deleted account.
    func createWebSession(tokenHash: String, userID: Int64, at: Timestamp, expiredBefore: Timestamp, keep: Int)
        throws
    /// Ends one web session; false when there was none.
    func deleteWebSession(tokenHash: String) throws -> Bool
    /// Ends every web session of an account (`/passwd --logout-others`); returns how many there were.
    func deleteWebSessions(of userID: Int64) throws -> Int
    /// Keeps an account's profile and posts off the web door (`/web off`), or lets them on again; false
    /// when it already was so.
    func setWebOff(_ userID: Int64, _ off: Bool) throws -> Bool
    /// Whether an account keeps off the web door (`/web off`).
    func isWebOff(_ userID: Int64) throws -> Bool
}

/// Accounts: creating, finding, settings kept per account, deletion and the held names.
public protocol AccountStore: AnyObject {
    /// Creates an account. Throws `StoreError.nameTaken` when the name key exists
    /// (see `AccountRules.nameKey`).
    func createUser(name: String, nameKey: String, passwordHash: String, at: Timestamp) throws -> User
    /// Looks an account up by its stored name key (see `AccountRules.nameKey`); `account(named:)`
    /// looks up a typed name.
    func account(nameKey: String) throws -> StoredAccount?
    /// Remembers an account's live-feed choice.
    func setWatch(_ userID: Int64, _ stored: String) throws
    /// Which of `userIDs` are banned or deleted: for a node that may have missed the announcements that
    /// end their sessions. The others are left out.
    func endings(of userIDs: [Int64]) throws -> [Int64: AccountEnding]
    /// The account whose name key is `nameKey`, without its hash.
    func user(nameKey: String) throws -> User?
    func setLastSeen(_ userID: Int64, _ at: Timestamp) throws
    /// Up to `limit` accounts not deleted, the newest first, for Tab completion.
    func accountNames(limit: Int) throws -> [User]
    /// Remembers the IANA time zone an account reads times in; empty for UTC.
    func setTimeZone(_ userID: Int64, _ identifier: String) throws
    /// Deletes an account (`/delete-account`) in one transaction: its posts and the reposts of them (as
    /// `deletePost` does), its messages both ways, follows, mutes, likes, mentions of it, SSH keys and
    /// unused invite codes. The account's row stays, emptied and unusable, so that its name is held; the
    /// other nodes are told to end its sessions. Returns the ids of the posts deleted.
    func deleteAccount(_ userID: Int64, at: Timestamp) throws -> [Int64]
    /// Frees the name key of an account deleted at or before `deletedBefore`, so it can be registered again.
    func releaseDeletedName(nameKey: String, deletedBefore: Timestamp) throws
    /// When the deleted account that still holds `nameKey` was deleted; nil when none does.
    func deletedAt(nameKey: String) throws -> Timestamp?
    /// Replaces an account's password hash.
    func setPasswordHash(_ userID: Int64, _ hash: String) throws
    /// Creates an account with a one-time code, which is used up in the same transaction. Throws
    /// `StoreError.inviteInvalid` when the code is unknown or used, `nameTaken` as `createUser`.
    func createUser(name: String, nameKey: String, passwordHash: String, at: Timestamp, invite: String) throws -> User
}

/// Posts: the group commit, listings, threads, likes, reposts, deletion, trending tags, catching up.
public protocol PostStore: AnyObject {
    /// Inserts the posts in one transaction, in order, and returns them with their ids.
    /// Either every post is committed or none is (the error is thrown; `accountDeleted` when an author's
    /// account is deleted).
    func insertPosts(_ posts: [NewPost]) throws -> [Post]
    /// Inserts in one transaction, in order, the posts whose author's account is not deleted (checked in
    /// that transaction, so no post commits after its account's deletion, from any node), and returns each
    /// post with its id, or nil for a post refused that way. The group commit's call.
    func insertPostsOfLiveAccounts(_ posts: [NewPost]) throws -> [Post?]
    /// Posts of the public timeline, oldest first.
    func feed(_ query: FeedQuery) throws -> [Post]
    /// Posts in `scope`, oldest first, leaving out authors that `viewer` (when given) has muted.
    func posts(in scope: PostScope, _ query: FeedQuery, viewer: Int64?) throws -> [Post]
    /// What happened for `userID` since `since` (at most `limit` post ids of each kind).
    func catchUp(of userID: Int64, since: Timestamp, limit: Int) throws -> CatchUp
    /// These posts (those not deleted, not by authors `viewer` muted), oldest first.
    func posts(ids: [Int64], viewer: Int64?) throws -> [Post]
    /// A post that is not deleted.
    func post(id: Int64) throws -> Post?
    /// The whole conversation `id` belongs to, from its root, depth first, at most `limit` posts.
    func thread(of id: Int64, limit: Int) throws -> [ThreadEntry]
    /// Likes or unlikes; false when nothing changed.
    func setLiked(postID: Int64, userID: Int64, _ liked: Bool, at: Timestamp) throws -> Bool
    func hasReposted(userID: Int64, postID: Int64) throws -> Bool
    /// Deletes a post and its reposts (text cleared, mentions and tags dropped); returns their ids.
    func deletePost(id: Int64, at: Timestamp) throws -> [Int64]
    /// The most used hashtags since `since`, with how many posts used each, most used first.
    func trendingTags(since: Timestamp, limit: Int) throws -> [(tag: String, posts: Int)]
}

/// Search: the query, its indexes and the time limit a client-chosen cost runs under.
public protocol SearchStore: AnyObject {
    /// Posts (not reposts) holding every one of `words`, best matches first; `words` are never read as
    /// query syntax.
    func search(_ words: [String], limit: Int, viewer: Int64?) throws -> [Post]
    /// Brings the search indexes up to date with up to `limit` posts committed since the last time;
    /// returns how many it covered (0 when up to date, or where each commit indexes its posts).
    func indexForSearch(limit: Int) throws -> Int
    /// Posts committed but not yet in the search indexes (0 where each commit indexes its posts).
    func postsAwaitingSearchIndex() throws -> Int
    /// Runs `body`; a statement still running `seconds` after the start (SQLite: from the start of `body`;
    /// PostgreSQL: from the start of that statement) is stopped inside the database, and `body`'s failure
    /// is thrown as `StoreError.timedOut`. For work whose cost a client chooses (`/search`).
    func withTimeLimit<T>(_ seconds: Double, _ body: () throws -> T) throws -> T
}

/// People: follows, mutes, profiles and bios.
public protocol PeopleStore: AnyObject {
    /// Whom `userID` follows and has muted.
    func relations(of userID: Int64) throws -> ViewerRelations
    /// Mutes or unmutes; false when nothing changed.
    func setMuted(_ userID: Int64, _ mutedID: Int64, _ muted: Bool) throws -> Bool
    /// Makes `follower` follow `followee`; false when it already did.
    func follow(follower: Int64, followee: Int64, at: Timestamp) throws -> Bool
    /// False when `follower` did not follow `followee`.
    func unfollow(follower: Int64, followee: Int64) throws -> Bool
    /// The accounts `userID` follows, by name.
    func following(_ userID: Int64) throws -> [User]
    /// The accounts that follow `userID`, by name.
    func followers(_ userID: Int64) throws -> [User]
    /// An account's profile: bio, counts, when last seen.
    func profile(of userID: Int64) throws -> Profile?
    func setBio(_ userID: Int64, _ bio: String) throws
}

/// Direct messages.
public protocol MessageStore: AnyObject {
    func sendMessage(from sender: Int64, to recipient: Int64, text: String, at: Timestamp) throws -> DirectMessage
    /// The last `limit` messages between two accounts, oldest first; marks those to `userID` read.
    func conversation(of userID: Int64, with otherID: Int64, limit: Int) throws -> [DirectMessage]
    /// An account's conversations, the most recent first.
    func inbox(of userID: Int64, limit: Int) throws -> [InboxEntry]
    func unreadMessages(of userID: Int64) throws -> Int
    /// Marks message `id` read if `recipientID` received it (it was shown live); false when nothing changed.
    func markMessageRead(id: Int64, recipientID: Int64, at: Timestamp) throws -> Bool
    /// One direct message by id (to deliver it live where it was not sent), or nil.
    func message(id: Int64) throws -> DirectMessage?
}

/// A community's own tools: bans, the moderation log, reports, invite codes.
public protocol CommunityStore: AnyObject {
    /// Bans (with a reason) or unbans (nil), and records it; false when nothing changed.
    func setBanned(_ userID: Int64, reason: String?, by adminID: Int64, at: Timestamp) throws -> Bool
    /// Keeps a moderation action in the database.
    func recordModeration(
        by adminID: Int64, action: String, userID: Int64?, postID: Int64?, reason: String, at: Timestamp)
        throws
    /// Keeps a moderation action (as `recordModeration`) and, in the same transaction, tells the other
    /// nodes `event` (a kick or an announcement they act on too).
    func moderate(
        by adminID: Int64, action: String, userID: Int64?, reason: String, at: Timestamp, announcing event: ClusterEvent
    ) throws
    /// Flags a post; returns the report's number, and false for `isNew` when the reporter's earlier report
    /// of the post is still open (its number; nothing is added: one open report per reporter and post, held
    /// by a unique index so two nodes cannot both add one). Throws a foreign-key failure for an unknown post.
    func addReport(postID: Int64, reporterID: Int64, reason: String, at: Timestamp) throws -> (id: Int64, isNew: Bool)
    /// The open reports, oldest first.
    func openReports(limit: Int) throws -> [PostReport]
    /// Closes an open report and records it in the moderation log; nil when no open report has that
    /// number, else the reported post's id.
    func closeReport(_ id: Int64, by adminID: Int64, note: String, at: Timestamp) throws -> Int64?
    /// Stores a new invite code made by `userID`, taking one of its allowance unless `unlimited`
    /// (an administrator); false (and nothing stored) when none is left.
    func createInvite(code: String, by userID: Int64, unlimited: Bool, at: Timestamp) throws -> Bool
    /// An account's unused codes, oldest first, and how many more it may make.
    func invites(of userID: Int64) throws -> (unused: [String], left: Int)
    /// Sets how many more codes an account may make, and records it in the moderation log.
    func setInvitesLeft(_ userID: Int64, _ count: Int, by adminID: Int64, at: Timestamp) throws
}

/// The SSH public keys accounts log in with.
public protocol SSHKeyStore: AnyObject {
    /// Adds an SSH public key (`blob` in canonical base64, see `SSHPublicKey.base64`) to an account and
    /// returns it numbered as `sshKeys(of:)` will. Throws `StoreError.sshKeyTaken` when some account (this
    /// one or another) holds the blob already, and `StoreError.sshKeyLimit` when the account holds `limit`
    /// keys.
    func addSSHKey(userID: Int64, type: String, blob: String, comment: String, at: Timestamp, limit: Int) throws
        -> StoredSSHKey
    /// An account's SSH keys, numbered from 1 in the order they were added. The SSH door compares a
    /// client's key with these (`StoredSSHKey.type`, `.blob`).
    func sshKeys(of userID: Int64) throws -> [StoredSSHKey]
    /// Removes the account's key numbered `number` (as `sshKeys(of:)` numbers them); nil when there is none.
    func removeSSHKey(userID: Int64, number: Int) throws -> StoredSSHKey?
}

/// Notifications and each account's choices about them.
public protocol NotificationStore: AnyObject {
    /// Records groups of notifications (all in one transaction, announced to the other nodes), leaving out
    /// those of a kind the recipient turned off; returns each group's recorded, with their ids and actors'
    /// names, in the groups' order (the storage worker's group commit: one group per action).
    func addNotifications(grouped groups: [[NewNotification]]) throws -> [[AccountNotification]]
    /// These notifications, by id (to deliver them live where they were not made), in id order.
    func notifications(ids: [Int64]) throws -> [AccountNotification]
    /// An account's notifications, oldest first, paged like the post listings.
    func notifications(of userID: Int64, _ query: FeedQuery) throws -> [AccountNotification]
    /// How many notifications of each kind an account got since `since`.
    func notificationCounts(of userID: Int64, since: Timestamp) throws -> [NotificationKind: Int]
    /// An account's notification choices.
    func notificationSettings(of userID: Int64) throws -> NotificationSettings
    func setNotificationSettings(_ userID: Int64, _ settings: NotificationSettings) throws
}

/// `/export`, a page at a time.
public protocol ExportStore: AnyObject {
    /// Everything an account made and sent or received, for `/export`, from `cursor` on: at most
    /// `limit` records, fewer once their text reaches `textBytes`, all of one kind, read by one bounded
    /// statement (keyset paging, see `ExportCursor`). The page's `next` is nil after the last record.
    func exportPage(of userID: Int64, from cursor: ExportCursor, limit: Int, textBytes: Int) throws -> ExportPage
}

/// What nodes sharing one database tell each other: events and who is online.
public protocol ClusterStore: AnyObject {
    /// Tells the other nodes sharing the database about `event` now, outside any transaction; nothing
    /// where there are none (SQLite).
    func announceNow(_ event: ClusterEvent) throws
    /// True when other nodes share this database (PostgreSQL): presence must then be shared too.
    var isShared: Bool { get }
    /// Records who is online on `node` (see `PresenceSnapshot`); a no-op when nothing is shared.
    func publishPresence(_ snapshot: PresenceSnapshot, node: String, at: Timestamp) throws
    /// Forgets `node`'s presence (it is stopping).
    func clearPresence(node: String) throws
    /// Every node's presence recorded since `since`.
    func presence(since: Timestamp) throws -> [(node: String, snapshot: PresenceSnapshot)]
}

/// The connection itself: counts for the start-up line, failures, closing.
public protocol StoreConnection: AnyObject {
    /// Number of posts and users, for the start-up line and for tests.
    func counts() throws -> (users: Int, posts: Int)
    /// Closes the database; later calls throw.
    func close()
    /// Called on the storage queue after a call failed with `error`; returns the error the caller gets,
    /// with the cause the store could find.
    func afterFailure(_ error: StoreError) -> StoreError
}

extension StoreConnection {
    public func afterFailure(_ error: StoreError) -> StoreError { error }
}

/// What `--db` names: a SQLite file, or a PostgreSQL database (a `postgresql://` or `postgres://` URI,
/// or libpq's `key=value` form such as `host=db dbname=microblog`).
public enum DatabaseLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(uri: String)

    public init(_ text: String) {
        let trimmed = text.trimmingBlanks()
        let lower = trimmed.lowercased()
        if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") {
            self = .postgres(uri: trimmed)
        } else if trimmed.wholeMatch(of: /[a-z_]+\s*=.*/) != nil {
            // libpq keywords (host=, dbname=, user=, ...): a file path would not begin that way.
            self = .postgres(uri: trimmed)
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The location for logs: a PostgreSQL URI without its password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let uri):
            // postgresql://user:secret@host/db → postgresql://user:***@host/db; password=... → password=***
            var text = uri.replacing(/(:\/\/[^:@\/]*):[^@\/]*@/) { "\($0.1):***@" }
            text = text.replacing(/password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/) { _ in "password=***" }
            return text
        }
    }
}

extension AccountStore {
    /// The account a typed name means (see `AccountRules.lookupKeys`): one kept apart under exactly that
    /// name by a migration, else the one whose name key the name folds to.
    public func account(named name: String) throws -> StoredAccount? {
        for key in AccountRules.lookupKeys(name) {
            if let account = try account(nameKey: key) { return account }
        }
        return nil
    }
}

extension PublicStore {
    /// `AccountStore.account(named:)` without the hash: what the web door may read too.
    public func user(named name: String) throws -> User? {
        for key in AccountRules.lookupKeys(name) {
            if let user = try user(nameKey: key) { return user }
        }
        return nil
    }
}
