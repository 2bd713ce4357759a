import MicroblogModel
import MicroblogSupport

/// Text of other people: direct messages, the inbox, profiles, people listings and the catch-up.
extension TextRenderer {
    static func render(_ people: ServerMessage.People, for reader: TextReader) -> [UInt8] {
        switch people {
        case .message(let message, _):
            let time = reader.time(message.createdAt)
            return line("DM #\(message.id) \(time) \(message.sender) → \(message.recipient): \(message.text)")
        case .conversation(let entry):
            let unread = entry.unread > 0 ? ", \(entry.unread) unread" : ""
            let time = reader.time(entry.at)
            let latest = entry.latestIsMine ? "you: " + entry.latest : entry.latest
            return line("  \(entry.with) (\(plural(entry.messages, "message"))\(unread)) \(time): \(latest)")
        case .profile(let profile, let online, let away):
            return profileLines(profile, online: online, away: away, for: reader)
        case .user(let name, let sessions, let away, let listing):
            var notes: [String] = []
            if listing != .who { notes.append(sessions > 0 ? "online" : "offline") }
            if sessions > 1 { notes.append("\(sessions) sessions") }
            if let away { notes.append(awayNote(away)) }
            let shown = notes.isEmpty ? name : "\(name) (\(notes.joined(separator: "; ")))"
            return line(listing == .newFollower ? "  new follower: " + shown : "  " + shown)
        case .catchUp(let summary):
            return line(catchUpLine(summary, for: reader))
        }
    }

    /// The name and bio; when the account joined and its counts; whether it is online.
    private static func profileLines(_ profile: Profile, online: Int, away: String?, for reader: TextReader)
        -> [UInt8]
    {
        var bytes = line("  \(profile.user.name)" + (profile.bio.isEmpty ? "" : ": \(profile.bio)"))
        let joined = reader.time(profile.user.createdAt)
        bytes += line(
            "  joined \(joined); \(plural(profile.posts, "post")), \(plural(profile.followers, "follower")), following \(profile.following)"
        )
        let presence: String
        if online > 0 {
            presence = "online now" + (away.map { " (\(awayNote($0)))" } ?? "")
        } else if let seen = profile.lastSeen {
            presence = "last seen \(reader.time(seen))"
        } else {
            presence = "not seen yet"
        }
        return bytes + line("  " + presence)
    }

    /// `* while you were away (since Thu 11:20): 3 new posts from people you follow, 1 mention, new
    /// followers carol and dave (/catchup); 2 unread messages (/inbox); 4 likes, 1 repost of your posts
    /// (/notifications)`: each group names the command that shows it.
    private static func catchUpLine(_ summary: CatchUp, for reader: TextReader) -> String {
        var shownByCatchUp: [String] = []
        if !summary.homePostIDs.isEmpty {
            shownByCatchUp.append(plural(summary.homePostIDs.count, "new post") + " from people you follow")
        }
        if !summary.mentionIDs.isEmpty { shownByCatchUp.append(plural(summary.mentionIDs.count, "mention")) }
        if !summary.newFollowers.isEmpty {
            let names = summary.newFollowers
            let listed =
                names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
            shownByCatchUp.append((names.count == 1 ? "new follower " : "new followers ") + listed)
        }
        var groups: [String] = []
        if !shownByCatchUp.isEmpty { groups.append(shownByCatchUp.joined(separator: ", ") + " (/catchup)") }
        if summary.unreadMessages > 0 { groups.append(plural(summary.unreadMessages, "unread message") + " (/inbox)") }
        let reactions = [
            (summary.likes, "like"), (summary.reposts, "repost"), (summary.replies, "reply"),
        ].filter { $0.0 > 0 }.map { $0.1 == "reply" && $0.0 != 1 ? "\($0.0) replies" : plural($0.0, $0.1) }
        if !reactions.isEmpty { groups.append(reactions.joined(separator: ", ") + " of your posts (/notifications)") }
        return "* while you were away (since \(reader.time(summary.since))): " + groups.joined(separator: "; ")
    }
}
