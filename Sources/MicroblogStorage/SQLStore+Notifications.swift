import MicroblogModel
import MicroblogSupport

/// Notifications and each account's choices about them (`/notify`, `/notifications`, `/bell`).
extension SQLStore {
    public func addNotifications(grouped groups: [[NewNotification]]) throws -> [[AccountNotification]] {
        guard groups.contains(where: { !$0.isEmpty }) else {
            try checkOpen()
            return groups.map { _ in [] }
        }
        let idsByGroup = try database.transaction {
            let ids = try database.insertNotificationRows(groups.flatMap { $0 })
            let kept = ids.compactMap { $0 }
            if !kept.isEmpty { try announce(.notifications(kept)) }
            var idsByGroup: [[Int64]] = []
            var rest = ids[...]
            for group in groups {
                idsByGroup.append(rest.prefix(group.count).compactMap { $0 })
                rest = rest.dropFirst(group.count)
            }
            return idsByGroup
        }
        var byID: [Int64: AccountNotification] = [:]
        for notification in try notifications(ids: idsByGroup.flatMap { $0 }) { byID[notification.id] = notification }
        return idsByGroup.map { ids in ids.compactMap { byID[$0] } }
    }

    public func notifications(ids: [Int64]) throws -> [AccountNotification] {
        guard !ids.isEmpty else {
            try checkOpen()
            return []
        }
        let text =
            NotificationSQL.columns + " WHERE notifications.id" + database.dialect.inIDList
            + " ORDER BY notifications.id"
        return try rows(text, [database.dialect.idList(ids)])
    }

    public func notifications(of userID: Int64, _ query: FeedQuery) throws -> [AccountNotification] {
        let base = NotificationSQL.columns + " WHERE notifications.user_id = ?"
        switch query {
        case .latest(let limit):
            return try rows(
                base + " ORDER BY notifications.id DESC LIMIT ?", [.integer(userID), .integer(Int64(limit))]
            ).reversed()
        case .before(let id, let limit):
            return try rows(
                base + " AND notifications.id < ? ORDER BY notifications.id DESC LIMIT ?",
                [.integer(userID), .integer(id), .integer(Int64(limit))]
            ).reversed()
        case .since(let id, let limit):
            return try rows(
                base + " AND notifications.id > ? ORDER BY notifications.id LIMIT ?",
                [.integer(userID), .integer(id), .integer(Int64(limit))])
        }
    }

    public func notificationCounts(of userID: Int64, since: Timestamp) throws -> [NotificationKind: Int] {
        var counts: [NotificationKind: Int] = [:]
        let rows = try database.statement(NotificationSQL.countsSince).rows([
            .integer(userID), .integer(since.milliseconds),
        ]) { (try $0.nonNullString(at: 0), $0.int64(at: 1)) }
        for (kind, count) in rows {
            if let kind = NotificationKind(rawValue: kind) { counts[kind] = Int(count) }
        }
        return counts
    }

    public func notificationSettings(of userID: Int64) throws -> NotificationSettings {
        try database.statement(SQL.notificationSettings).rows([.integer(userID)]) {
            NotificationSettings(storedOff: try $0.nonNullString(at: 0), bell: $0.int64(at: 1) != 0)
        }.first ?? NotificationSettings()
    }

    public func setNotificationSettings(_ userID: Int64, _ settings: NotificationSettings) throws {
        try database.statement(NotificationSQL.setSettings).run([
            .text(settings.storedOff), .integer(settings.bell ? 1 : 0), .integer(userID),
        ])
    }

    /// Rows of `NotificationSQL.columns`; a NULL post id reads as 0, which no post has.
    private func rows(_ sql: String, _ values: [SQLValue]) throws -> [AccountNotification] {
        try database.statement(sql).rows(values) { row in
            AccountNotification(
                id: row.int64(at: 0), recipientID: row.int64(at: 1),
                kind: NotificationKind(rawValue: try row.nonNullString(at: 2)) ?? .mention,
                actorID: row.int64(at: 3), actor: try row.nonNullString(at: 4),
                postID: row.int64(at: 5) == 0 ? nil : row.int64(at: 5),
                createdAt: Timestamp(milliseconds: row.int64(at: 6)),
                replyTo: row.int64(at: 7) == 0 ? nil : row.int64(at: 7))
        }
    }
}

private enum NotificationSQL {
    static let columns = """
        SELECT notifications.id, notifications.user_id, notifications.kind, notifications.actor_id, users.name,
            notifications.post_id, notifications.created_at,
            (SELECT posts.reply_to FROM posts WHERE posts.id = notifications.post_id)
        FROM notifications JOIN users ON users.id = notifications.actor_id
        """
    static let countsSince =
        "SELECT kind, count(*) FROM notifications WHERE user_id = ? AND created_at > ? GROUP BY kind"
    static let setSettings = "UPDATE users SET notify_off = ?, bell = ? WHERE id = ?"
}
