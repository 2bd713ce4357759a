/// A logged-in account's relations (whom it follows and has muted), loaded once when its first session
/// logs in and kept current by `/follow`, `/unfollow`, `/mute` and `/unmute`; shared by all of the
/// account's sessions for filtering live posts. Confined to the server queue.
public final class Viewer {
    public let userID: Int64
    public var relations = ViewerRelations()

    init(userID: Int64) { self.userID = userID }
}
