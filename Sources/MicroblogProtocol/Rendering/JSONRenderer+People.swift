import MicroblogModel
import MicroblogSupport

/// JSON of other people: `message`, `conversation`, `profile`, `user` and `catchup`.
extension JSONRenderer {
    static func write(_ people: ServerMessage.People, into json: inout JSONWriter) {
        switch people {
        case .message(let message, let live):
            json.field("type", "message")
            json.field("id", message.id)
            json.field("from", message.sender)
            json.field("to", message.recipient)
            json.field("text", message.text)
            json.field("at", UTCTime(message.createdAt).iso8601)
            json.field("live", live)
        case .conversation(let entry):
            json.field("type", "conversation")
            json.field("with", entry.with)
            json.field("latest", entry.latest)
            json.field("latest_mine", entry.latestIsMine)
            json.field("at", UTCTime(entry.at).iso8601)
            json.field("unread", Int64(entry.unread))
            json.field("messages", Int64(entry.messages))
        case .profile(let profile, let online, let away):
            profileFields(profile, online: online, away: away, into: &json)
        case .user(let name, let sessions, let away, let listing):
            json.field("type", "user")
            json.field("name", name)
            json.field("sessions", Int64(sessions))
            if let away { json.field("away", away) }
            if listing == .newFollower { json.field("new_follower", true) }
        case .catchUp(let summary):
            json.field("type", "catchup")
            json.field("since", UTCTime(summary.since).iso8601)
            json.field("posts", Int64(summary.homePostIDs.count))
            json.field("mentions", Int64(summary.mentionIDs.count))
            json.field("messages", Int64(summary.unreadMessages))
            json.field("followers", summary.newFollowers)
            json.field("likes", Int64(summary.likes))
            json.field("reposts", Int64(summary.reposts))
            json.field("replies", Int64(summary.replies))
        }
    }

    private static func profileFields(_ profile: Profile, online: Int, away: String?, into json: inout JSONWriter) {
        json.field("type", "profile")
        json.field("name", profile.user.name)
        json.field("bio", profile.bio)
        json.field("joined", UTCTime(profile.user.createdAt).iso8601)
        json.field("posts", Int64(profile.posts))
        json.field("followers", Int64(profile.followers))
        json.field("following", Int64(profile.following))
        json.field("sessions", Int64(online))
        if let away { json.field("away", away) }
        if let seen = profile.lastSeen { json.field("last_seen", UTCTime(seen).iso8601) }
    }
}
