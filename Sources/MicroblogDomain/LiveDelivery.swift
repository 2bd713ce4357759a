import MicroblogFanout

/// Where a session's live feed stands: whether live posts are held back, how many it missed, and the
/// newest it has been shown. Confined to the server queue, as its `Session`; read for every live post.
struct LiveDelivery {
    /// Live posts not delivered (slow connection, or too many held at a prompt), not yet reported.
    var missed = 0
    /// The newest post the session has been shown live or in its greeting.
    var lastSeenID: Int64 = 0
    /// From a password prompt until the reply that ends its command, live posts wait in the `Backlog`,
    /// so they neither garble the prompt nor land inside the command's reply.
    var holding = false

    /// Notes that the post `id` has been shown.
    mutating func noteShown(_ id: Int64) {
        lastSeenID = max(lastSeenID, id)
    }

    /// What few sessions ever have: the posts held, and where the posts to catch up on begin. Kept out
    /// of line by the session (`Session.Rare`). Same queue as its session.
    struct Backlog {
        /// The live posts held while `holding`, at most `Session.maxHeldLive`.
        var held: [EncodedEvent] = []
        /// The id just before the first missed post, for the `/feed since` that fetches them.
        var missedSince: Int64 = 0
        /// The newest post id when the session stopped watching everything, for `/watch all` to say where
        /// to catch up; nil while it watches everything.
        var feedNarrowedAt: Int64?
    }
}
