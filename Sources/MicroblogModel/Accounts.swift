/// An account row with its password hash; only the account code ever sees the hash.
package struct StoredAccount: Sendable, Equatable {
    package var user: User
    package var passwordHash: String
    /// The account's remembered live-feed choice, in `WatchSetting`'s stored form.
    package var watch: String
    /// When its last session ended, if ever.
    package var lastSeen: Timestamp?
    /// Why it is banned, when it is.
    package var bannedReason: String?
    /// True for an account kept apart from an older look-alike (`AccountRules.keptApartKey`): only its
    /// exact name refers to it.
    package var keptApart: Bool
    /// The IANA time zone it reads times in (`/tz`); empty for UTC.
    package var timeZone: String

    package init(
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
package struct ViewerRelations: Sendable, Equatable {
    package var following: Set<Int64>
    package var muted: Set<Int64>
    /// The account's notification choices (`/notify`, `/bell`), read with its relations at login.
    package var notifications: NotificationSettings

    package init(following: Set<Int64> = [], muted: Set<Int64> = [], notifications: NotificationSettings = .init()) {
        self.following = following
        self.muted = muted
        self.notifications = notifications
    }
}

/// Who is online on one node: its guests, and each logged-in account with its sessions and away
/// message. Stored as text: one line per account, `ID SESSIONS NAME AWAY`. A value.
package struct PresenceSnapshot: Equatable, Sendable {
    package struct Entry: Equatable, Sendable {
        package var userID: Int64
        package var name: String
        package var sessions: Int
        package var away: String?

        package init(userID: Int64, name: String, sessions: Int, away: String? = nil) {
            self.userID = userID
            self.name = name
            self.sessions = sessions
            self.away = away
        }
    }

    package var guests: Int
    package var users: [Entry]

    package init(guests: Int, users: [Entry]) {
        self.guests = guests
        self.users = users
    }

    package var encoded: String {
        users.map { "\($0.userID) \($0.sessions) \($0.name)" + ($0.away.map { " " + $0 } ?? "") }
            .joined(separator: "\n")
    }

    package init(guests: Int, encoded: String) {
        self.guests = guests
        users = encoded.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let id = Int64(parts[0]), let sessions = Int(parts[1]) else { return nil }
            return Entry(
                userID: id, name: String(parts[2]), sessions: sessions, away: parts.count > 3 ? String(parts[3]) : nil)
        }
    }
}
