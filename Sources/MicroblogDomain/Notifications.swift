import Dispatch
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Notifications: recording what others did to an account, delivering it live on every node,
/// `/notify`, `/notifications` and `/bell`; and (in `CatchUpCommands.swift`) what happened while an
/// account was away. No state of its own: it reads the session directory and answers through the desk.
/// Confined to the server queue.
final class Notifications {
    let queue: DispatchQueue
    let storage: StorageWorker
    let directory: SessionDirectory
    let desk: CommandDesk

    init(queue: DispatchQueue, storage: StorageWorker, directory: SessionDirectory, desk: CommandDesk) {
        self.queue = queue
        self.storage = storage
        self.directory = directory
        self.desk = desk
    }

    /// Records notifications (those of kinds their recipients turned off are dropped by the store), then
    /// delivers them live here; other nodes hear of them through the cluster (`ClusterEvent.notifications`).
    /// A failure is logged: the action itself already succeeded. Group-committed with other actions'
    /// notifications (`StorageWorker.submitNotifications`), so a busy server spends one transaction on many.
    func record(_ notifications: [NewNotification]) {
        queue.checkConfined()
        guard !notifications.isEmpty else { return }
        storage.submitNotifications(notifications) { [self] result in
            switch result {
            case .success(let recorded): for notification in recorded { deliverNotification(notification) }
            case .failure(let error): desk.logStorageFault(error, command: "notification")
            }
        }
    }

    /// Sends a notification to its recipient's sessions on this node, unless they muted its actor.
    func deliverNotification(_ notification: AccountNotification) {
        queue.checkConfined()
        let sessions = directory.sessionsByUser[notification.recipientID] ?? []
        guard !sessions.isEmpty else { return }
        let event = EncodedEvent(.notification(notification, live: true), at: .now())
        for session in sessions where session.viewer?.relations.muted.contains(notification.actorID) != true {
            session.receiveDirect(event)
        }
    }

    /// Rings the bell (BEL, 0x07) of `userID`'s text sessions that asked for it (`/bell on`), but
    /// `excluded`'s: the one control character the server sends, never in JSON mode.
    func ringBell(of userID: Int64, excluding excluded: Session? = nil) {
        queue.checkConfined()
        for session in directory.sessionsByUser[userID] ?? []
        where session !== excluded && session.mode == .text && session.viewer?.relations.notifications.bell == true {
            session.sendRaw(Self.bell)
        }
    }

    static let bell: [UInt8] = [0x07]

    /// `/notify` shows the account's choices; `/notify KIND on|off` changes one.
    func notify(_ kind: NotificationKind?, _ on: Bool, by user: User, for session: Session) {
        queue.checkConfined()
        updateSettings(command: "notify", by: user, for: session) { settings in
            guard let kind else { return nil }
            if on { settings.off.remove(kind) } else { settings.off.insert(kind) }
            return "\(kind.rawValue) notifications \(on ? "on" : "off")"
        }
    }

    /// `/bell on|off`; `/bell` says which.
    func bell(_ on: Bool?, by user: User, for session: Session) {
        queue.checkConfined()
        updateSettings(command: "bell", by: user, for: session) { settings in
            guard let on else { return nil }
            settings.bell = on
            return on ? "bell on: a mention or a direct message rings your terminal" : "bell off"
        }
    }

    /// Reads the account's settings, applies `change` (nil: nothing to change, just show them), stores
    /// them, and shares them with the account's sessions here. Read and written on the storage queue, so
    /// a change made on another node meanwhile is kept.
    private func updateSettings(
        command: String, by user: User, for session: Session,
        _ change: @escaping @Sendable (inout NotificationSettings) -> String?
    ) {
        let reply = desk.waiting(session, command: command)
        storage.perform({ store -> (NotificationSettings, String?) in
            var settings = try store.notificationSettings(of: user.id)
            let message = change(&settings)
            if message != nil { try store.setNotificationSettings(user.id, settings) }
            return (settings, message)
        }) { [self] result in
            switch result {
            case .success(let (settings, message)):
                directory.viewers[user.id]?.relations.notifications = settings
                let fields: [Ack.Field] =
                    NotificationKind.allCases.map { .bool($0.rawValue, !settings.off.contains($0)) } + [
                        .bool("bell", settings.bell)
                    ]
                if let message {
                    session.send(.ok(Ack(command: command, message: message, fields: fields)))
                } else {
                    session.send(.notifySettings(settings))
                    session.send(
                        .ok(Ack(command: command, message: "/notify KIND on|off, /bell on|off", fields: fields)))
                }
            case .failure(let error):
                desk.storageFailed(error, command: command, for: session)
            }
            reply.finish()
        }
    }

    /// `/notifications [before|since ID] [N]`: oldest first, paged like the post listings; notifications
    /// from accounts the reader muted are left out.
    func listNotifications(_ query: FeedQuery, by user: User, for session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "notifications")
        let muted = session.viewer?.relations.muted ?? []
        storage.perform({ store in try store.notifications(of: user.id, query.withLimit(query.limit + 1)) }) {
            [self] result in
            switch result {
            case .success(var found):
                var more = false
                if found.count > query.limit {
                    more = true
                    if case .since = query { found.removeLast() } else { found.removeFirst() }
                }
                let now = Timestamp.now()
                let shown = found.filter { !muted.contains($0.actorID) }
                for notification in shown { session.send(.notification(notification, live: false), now: now) }
                var fields: [Ack.Field] = [.int("count", Int64(shown.count))]
                var message = "no notifications"
                if let first = found.first, let last = found.last {
                    fields += [.int("first", first.id), .int("last", last.id), .bool("more", more)]
                    message = "\(shown.count) notification\(shown.count == 1 ? "" : "s"), n\(first.id) to n\(last.id)"
                    if more {
                        if case .since = query {
                            message += "; newer: /notifications since \(last.id)"
                        } else {
                            message += "; older: /notifications before \(first.id)"
                        }
                    }
                }
                session.send(.ok(Ack(command: "notifications", message: message, fields: fields)))
            case .failure(let error):
                desk.storageFailed(error, command: "notifications", for: session)
            }
            reply.finish()
        }
    }
}

@available(*, unavailable) extension Notifications: Sendable {}
