/// Why an account's sessions must end: it was banned (with the reason) or deleted. A value.
public enum AccountEnding: Sendable, Equatable {
    case banned(reason: String)
    case deleted
}

/// An account row with its password hash; only the account code ever sees the hash.
public struct StoredAccount: Sendable, Equatable {
    public var user: User
    public var passwordHash: String
    /// The account's remembered live-feed choice, in `WatchSetting`'s stored form.
    public var watch: String
    /// When its last session ended, if ever.
    public var lastSeen: Timestamp?
    /// Why it is banned, when it is.
    public var bannedReason: String?
    /// True for an account kept apart from an older look-alike (`AccountRules.keptApartKey`): only its
    /// exact name refers to it.
    public var keptApart: Bool
    /// The IANA time zone it reads times in (`/tz`); empty for UTC.
    public var timeZone: String

    public init(
        user: User, passwordHash: String, watch: String = "all", lastSeen: Timestamp? = nil,
        bannedReason: String? = nil, keptApart: Bool = false, timeZone: String = ""
    ) {
        self.timeZone = timeZone
        self.user = user
        self.passwordHash = passwordHash
        self.watch = watch
        self.lastSeen = lastSeen
        self.bannedReason = bannedReason
        self.keptApart = keptApart
    }
}

/// What a logged-in account's view depends on: whom it follows and whom it has muted.
public struct ViewerRelations: Sendable, Equatable {
    public var following: Set<Int64>
    public var muted: Set<Int64>
    /// The account's notification choices (`/notify`, `/bell`), read with its relations at login.
    public var notifications: NotificationSettings

    public init(following: Set<Int64> = [], muted: Set<Int64> = [], notifications: NotificationSettings = .init()) {
        self.following = following
        self.muted = muted
        self.notifications = notifications
    }
}

/// Who is online on one node: its guests, and each logged-in account with its sessions and away
/// message. Stored as text: one line per account, `ID SESSIONS NAME AWAY`. A value.
public struct PresenceSnapshot: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var userID: Int64
        public var name: String
        public var sessions: Int
        public var away: String?

        public init(userID: Int64, name: String, sessions: Int, away: String? = nil) {
            self.userID = userID
            self.name = name
            self.sessions = sessions
            self.away = away
        }
    }

    public var guests: Int
    public var users: [Entry]

    public init(guests: Int, users: [Entry]) {
        self.guests = guests
        self.users = users
    }

    public var encoded: String {
        users.map { "\($0.userID) \($0.sessions) \($0.name)" + ($0.away.map { " " + $0 } ?? "") }
            .joined(separator: "\n")
    }

    public init(guests: Int, encoded: String) {
        self.guests = guests
        users = encoded.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let id = Int64(parts[0]), let sessions = Int(parts[1]) else { return nil }
            return Entry(
                userID: id, name: String(parts[2]), sessions: sessions, away: parts.count > 3 ? String(parts[3]) : nil)
        }
    }
}
