import MicroblogModel
import MicroblogSupport

/// Text of notifications (`~ n12 11:20 carol liked your post #45`) and of `/notify`.
extension TextRenderer {
    static func render(_ notifications: ServerMessage.Notifications, for reader: TextReader) -> [UInt8] {
        switch notifications {
        case .notification(let notification, _):
            let time = reader.time(notification.createdAt)
            return line("~ n\(notification.id) \(time) \(notification.actor) " + notification.sentence)
        case .notifySettings(let settings):
            let kinds = NotificationKind.allCases.map { "\($0.rawValue) \(settings.off.contains($0) ? "off" : "on")" }
            return line(
                "  notifications: " + kinds.joined(separator: ", ") + "; bell " + (settings.bell ? "on" : "off"))
        }
    }
}
