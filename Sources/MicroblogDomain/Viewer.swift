import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// A logged-in account's relations (whom it follows and has muted), loaded once when its first session
/// logs in and kept current by `/follow`, `/unfollow`, `/mute` and `/unmute`; shared by all of the
/// account's sessions for filtering live posts. Confined to the server queue.
public final class Viewer {
    public let userID: Int64
    public var relations = ViewerRelations()
    /// The account is kept apart from an older look-alike (`StoredAccount.keptApart`).
    public let keptApart: Bool
    /// The time zone the account reads times in (`/tz`); nil for UTC.
    public var zone: ReaderZone?

    init(userID: Int64, keptApart: Bool) {
        self.userID = userID
        self.keptApart = keptApart
    }
}
