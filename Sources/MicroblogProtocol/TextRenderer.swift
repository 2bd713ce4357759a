import MicroblogModel
import MicroblogSupport

/// Renders messages as readable lines for people. Posts start with `#ID`, server lines with `* `,
/// errors with `! ` and end with their code in parentheses. Times are UTC, or in the reader's `zone`.
package enum TextRenderer {
    package static func render(
        _ message: ServerMessage, now: Timestamp, colors: TextColors? = nil, zone: ReaderZone? = nil
    ) -> [UInt8] {
        /// A time as the reader's clock shows it.
        func local(_ instant: Timestamp) -> UTCTime { UTCTime(zone?.wallClock(instant) ?? instant) }
        switch message {
        case .ok(let ack):
            return line("* " + ack.message)
        case .error(let error, _):
            let text = "! \(error.message)\(error.retryAfterText) (\(error.code.rawValue))"
            return line(colors == nil ? text : TextColors.red + text + TextColors.reset)
        case .post(let post, _):
            return line(postLine(post, now: now, colors: colors, zone: zone))
        case .threadPost(let post, let depth, let deleted):
            let indent = String(repeating: "  ", count: depth) + (depth > 0 ? "└ " : "")
            return line(
                indent
                    + (deleted
                        ? "#\(post.id) [deleted]"
                        : postLine(post, now: now, inThread: true, colors: colors, zone: zone)))
        case .message(let message, _):
            let time = local(message.createdAt).short(relativeTo: local(now))
            return line("DM #\(message.id) \(time) \(message.sender) → \(message.recipient): \(message.text)")
        case .conversation(let entry):
            let unread = entry.unread > 0 ? ", \(entry.unread) unread" : ""
            let time = local(entry.at).short(relativeTo: local(now))
            return line("  \(entry.with) (\(plural(entry.messages, "message"))\(unread)) \(time): \(entry.latest)")
        case .profile(let profile, let online, let away):
            var bytes = line("  \(profile.user.name)" + (profile.bio.isEmpty ? "" : ": \(profile.bio)"))
            let joined = local(profile.user.createdAt).short(relativeTo: local(now))
            bytes += line(
                "  joined \(joined); \(plural(profile.posts, "post")), \(plural(profile.followers, "follower")), following \(profile.following)"
            )
            let presence: String
            if online > 0 {
                presence = "online now" + (away.map { " (\(awayNote($0)))" } ?? "")
            } else if let seen = profile.lastSeen {
                presence = "last seen \(local(seen).short(relativeTo: local(now)))"
            } else {
                presence = "not seen yet"
            }
            return bytes + line("  " + presence)
        case .notification(let notification, _):
            let time = local(notification.createdAt).short(relativeTo: local(now))
            return line(
                "~ n\(notification.id) \(time) \(notification.actor) "
                    + notification.sentence)
        case .notifySettings(let settings):
            let kinds = NotificationKind.allCases.map { "\($0.rawValue) \(settings.off.contains($0) ? "off" : "on")" }
            return line(
                "  notifications: " + kinds.joined(separator: ", ") + "; bell " + (settings.bell ? "on" : "off"))
        case .catchUp(let summary):
            var parts: [String] = []
            func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
            if !summary.homePostIDs.isEmpty {
                parts.append(count(summary.homePostIDs.count, "new post") + " from people you follow")
            }
            if !summary.mentionIDs.isEmpty { parts.append(count(summary.mentionIDs.count, "mention")) }
            if summary.unreadMessages > 0 { parts.append(count(summary.unreadMessages, "unread message")) }
            let reactions = [
                (summary.likes, "like"), (summary.reposts, "repost"), (summary.replies, "reply"),
            ].filter { $0.0 > 0 }.map { $0.1 == "reply" && $0.0 != 1 ? "\($0.0) replies" : count($0.0, $0.1) }
            if !reactions.isEmpty { parts.append(reactions.joined(separator: ", ") + " of your posts") }
            if !summary.newFollowers.isEmpty {
                parts.append("new followers: " + summary.newFollowers.joined(separator: ", "))
            }
            let since = local(summary.since).short(relativeTo: local(now))
            // Messages are read with /inbox; /catchup shows the rest.
            let onlyMessages = summary.homePostIDs.isEmpty && summary.mentionIDs.isEmpty && summary.newFollowers.isEmpty
            let onlyReactions = onlyMessages && summary.unreadMessages == 0
            let hint =
                onlyReactions
                ? "/notifications shows them"
                : onlyMessages
                    ? (summary.unreadMessages == 1 ? "/inbox reads it" : "/inbox reads them") : "/catchup shows them"
            return line("* while you were away (since \(since)): " + parts.joined(separator: "; ") + "; " + hint)
        case .deleted(let ids):
            let list = ids.map { "#\($0)" }.joined(separator: ", ")
            return line("* deleted: \(list)")
        case .notice(let text):
            return line("* " + text)
        case .tag(let name, let posts):
            return line("  #\(name) (\(posts) post\(posts == 1 ? "" : "s"))")
        case .user(let name, let sessions, let away, let listing):
            var notes: [String] = []
            if listing != .who { notes.append(sessions > 0 ? "online" : "offline") }
            if sessions > 1 { notes.append("\(sessions) sessions") }
            if let away { notes.append(awayNote(away)) }
            let shown = notes.isEmpty ? name : "\(name) (\(notes.joined(separator: "; ")))"
            return line(listing == .newFollower ? "  new follower: " + shown : "  " + shown)
        case .help(_, let usage, let summary, let details):
            if details.isEmpty {
                // A list's line: every form, as `/help COMMAND` shows them, then the summary.
                return line("  " + padded(usage.joined(separator: " | "), to: 28) + summary)
            }
            var bytes: [UInt8] = []
            for form in usage { bytes += line("  " + form) }
            bytes += line("      " + summary)
            for detail in details { bytes += line("      " + detail) }
            return bytes
        case .helpTopic(let topic, _, let commands):
            // What the topic covers is said by `/help TOPIC`; here, its commands.
            return line("  " + padded(topic, to: 10) + commands.map { "/" + $0 }.joined(separator: " "))
        case .prompt(_, let text):
            return Array(text.utf8)
        case .bye(_, let text):
            return line("* " + text)
        case .missed(let count, let since):
            let posts = count == 1 ? "1 live post was" : "\(count) live posts were"
            return line("* \(posts) not shown while your connection was busy; /feed since \(since) shows them")
        case .sshKey(let key, let fingerprint):
            let added = local(key.addedAt).short(relativeTo: local(now))
            let comment = key.comment.isEmpty ? "" : " \(key.comment)"
            return line("  \(key.number) \(key.type) \(fingerprint)\(comment) (added \(added))")
        case .announcement(let from, let text):
            return line("*** announcement from \(from): \(text)")
        case .report(let report):
            let time = local(report.createdAt).short(relativeTo: local(now))
            let post =
                report.text.isEmpty
                ? "#\(report.postID) \(report.author) [deleted]" : "#\(report.postID) \(report.author): \(report.text)"
            return line("  report \(report.id) \(time) by \(report.reporter) (\(report.reason)) on \(post)")
        case .exportRecord, .exportEnd:
            // JSON Lines in text mode too: what /export is for.
            return JSONRenderer.render(message)
        case .inviteCode(let code):
            return line("  invite code \(code)")
        case .stats(let fields):
            // `  name   value`, values aligned, as Redis's INFO and `column -t` would show them.
            let width = (fields.map(\.name.count).max() ?? 0) + 2
            var bytes: [UInt8] = []
            for field in fields {
                let padding = String(repeating: " ", count: width - field.name.count)
                bytes += line("  " + field.name + padding + field.formatted)
            }
            return bytes
        }
    }

    /// `#45 12:04 bob (re #42 alice): text (3 likes)`; a repost reads `carol reposted #42 alice: text`.
    /// In a thread the indentation shows what a reply answers, so `re` is left out.
    private static func postLine(
        _ post: Post, now: Timestamp, inThread: Bool = false, colors: TextColors? = nil, zone: ReaderZone? = nil
    ) -> String {
        let time = UTCTime(zone?.wallClock(post.createdAt) ?? post.createdAt).short(
            relativeTo: UTCTime(zone?.wallClock(now) ?? now))
        let name = { (name: String) in colors == nil ? name : TextColors.name(name) }
        var who = name(post.author)
        if let original = post.repostOf {
            who += " reposted #\(original.id) " + name(original.author)
        } else if let parent = post.replyTo, !inThread {
            who += " (re #\(parent.id) " + name(parent.author) + ")"
        }
        let likes = post.likes == 0 ? "" : post.likes == 1 ? " (1 like)" : " (\(post.likes) likes)"
        guard let colors else { return "#\(post.id) \(time) \(who): \(post.text)\(likes)" }
        return TextColors.dim + "#\(post.id) \(time)" + TextColors.reset + " \(who): "
            + colors.highlightMentions(post.text, resolved: post.mentions) + likes
    }

    /// `away: at lunch`, or just `away` for `/away` without a message (whose message is `away`).
    static func awayNote(_ message: String) -> String {
        message == AwayMessage.standard ? "away" : "away: \(message)"
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
    }

    private static func line(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    private static func padded(_ text: String, to width: Int) -> String {
        text.count >= width ? text + "  " : text + String(repeating: " ", count: width - text.count)
    }
}
