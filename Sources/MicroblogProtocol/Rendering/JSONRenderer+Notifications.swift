import MicroblogModel
import MicroblogSupport

/// JSON of notifications (`notification`) and of `/notify` (`notify`).
extension JSONRenderer {
    static func write(_ notifications: ServerMessage.Notifications, into json: inout JSONWriter) {
        switch notifications {
        case .notification(let notification, let live):
            json.field("type", "notification")
            json.field("id", notification.id)
            json.field("kind", notification.kind.rawValue)
            json.field("from", notification.actor)
            if let post = notification.postID { json.field("post", post) }
            if notification.kind == .reply, let parent = notification.replyTo { json.field("reply_to", parent) }
            json.field("at", UTCTime(notification.createdAt).iso8601)
            json.field("live", live)
        case .notifySettings(let settings):
            json.field("type", "notify")
            for kind in NotificationKind.allCases { json.field(kind.rawValue, !settings.off.contains(kind)) }
            json.field("bell", settings.bell)
        }
    }
}
