import MicroblogModel
import MicroblogSupport

/// Renders messages as JSON Lines for bots: one object per line, each with a `type`, ended by CR LF
/// like every line the server sends (JSON parsers skip the CR as whitespace).
/// Written by hand, in a fixed key order, so a broadcast costs no reflection or formatter.
package enum JSONRenderer {
    package static func render(_ message: ServerMessage) -> [UInt8] {
        var json = JSONWriter()
        switch message {
        case .ok(let ack):
            json.field("type", "ok")
            json.field("command", ack.command)
            for field in ack.fields {
                switch field.value {
                case .int(let value): json.field(field.name, value)
                case .string(let value): json.field(field.name, value)
                case .bool(let value): json.field(field.name, value)
                }
            }
        case .error(let error, let command):
            json.field("type", "error")
            if let command { json.field("command", command) }
            json.field("code", error.code.rawValue)
            if let reason = error.reason { json.field("reason", reason) }
            json.field("message", error.message + error.retryAfterText)
            if let retryAfter = error.retryAfter {
                json.field("retry_after_ms", Int64((retryAfter * 1000).rounded(.up)))
            }
        case .post(let post, let live):
            json.field("type", "post")
            postFields(post, live: live, into: &json)
        case .threadPost(let post, let depth, let deleted):
            json.field("type", "post")
            if deleted {
                json.field("id", post.id)
                json.field("deleted", true)
            } else {
                postFields(post, live: false, into: &json)
            }
            json.field("depth", Int64(depth))
        case .message(let message, let live):
            json.field("type", "message")
            json.field("id", message.id)
            json.field("from", message.sender)
            json.field("to", message.recipient)
            json.field("text", message.text)
            json.field("at", UTCTime(message.createdAt).iso8601)
            json.field("live", live)
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
        case .conversation(let entry):
            json.field("type", "conversation")
            json.field("with", entry.with)
            json.field("latest", entry.latest)
            json.field("at", UTCTime(entry.at).iso8601)
            json.field("unread", Int64(entry.unread))
            json.field("messages", Int64(entry.messages))
        case .profile(let profile, let online, let away):
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
        case .deleted(let ids):
            json.field("type", "deleted")
            json.field("ids", ids)
        case .notice(let text):
            json.field("type", "notice")
            json.field("message", text)
        case .tag(let name, let posts):
            json.field("type", "tag")
            json.field("tag", name)
            json.field("posts", Int64(posts))
        case .user(let name, let sessions, let away, let listing):
            json.field("type", "user")
            json.field("name", name)
            json.field("sessions", Int64(sessions))
            if let away { json.field("away", away) }
            if listing == .newFollower { json.field("new_follower", true) }
        case .help(let name, let usage, let summary, let details):
            json.field("type", "help")
            json.field("command", name)
            json.field("usage", usage)
            json.field("summary", summary)
            json.field("details", details)
        case .helpTopic(let topic, let summary, let commands):
            json.field("type", "help_topic")
            json.field("topic", topic)
            json.field("summary", summary)
            json.field("commands", commands)
        case .prompt(let field, let text):
            json.field("type", "prompt")
            json.field("field", field)
            json.field("message", text)
        case .bye(let reason, let text):
            json.field("type", "bye")
            json.field("reason", reason)
            json.field("message", text)
        case .missed(let count, let since):
            json.field("type", "missed")
            json.field("count", Int64(count))
            json.field("since", since)
        case .sshKey(let key, let fingerprint):
            json.field("type", "key")
            json.field("number", Int64(key.number))
            json.field("key_type", key.type)
            json.field("fingerprint", fingerprint)
            json.field("comment", key.comment)
            json.field("added", UTCTime(key.addedAt).iso8601)
            json.field("key", key.base64)
        case .announcement(let from, let text):
            json.field("type", "announcement")
            json.field("from", from)
            json.field("message", text)
        case .report(let report):
            json.field("type", "report")
            json.field("id", report.id)
            json.field("post", report.postID)
            json.field("author", report.author)
            json.field("text", report.text)
            json.field("deleted", report.text.isEmpty)
            json.field("reporter", report.reporter)
            json.field("reason", report.reason)
            json.field("at", UTCTime(report.createdAt).iso8601)
        case .exportRecord(let record):
            json.field("type", "export")
            json.field("kind", record.kind)
            switch record {
            case .post(let id, let at, let text, let replyTo, let repostOf):
                json.field("id", id)
                json.field("at", UTCTime(at).iso8601)
                json.field("text", text)
                if let replyTo { json.field("reply_to", replyTo) }
                if let repostOf { json.field("repost_of", repostOf) }
            case .like(let postID, let at):
                json.field("post", postID)
                json.field("at", UTCTime(at).iso8601)
            case .follow(let name, let at):
                json.field("name", name)
                json.field("at", UTCTime(at).iso8601)
            case .message(let id, let at, let from, let to, let text):
                json.field("id", id)
                json.field("at", UTCTime(at).iso8601)
                json.field("from", from)
                json.field("to", to)
                json.field("text", text)
            }
        case .exportEnd(let name, let counts):
            json.field("type", "export_end")
            json.field("name", name)
            for kind in ["posts", "likes", "follows", "messages"] { json.field(kind, Int64(counts[kind] ?? 0)) }
        case .inviteCode(let code):
            json.field("type", "invite")
            json.field("code", code)
        case .stats(let fields):
            json.field("type", "stats")
            for field in fields {
                switch field.value {
                case .int(let number): json.field(field.name, Int64(number))
                case .double: json.number(field.name, field.formatted)
                case .text(let text): json.field(field.name, text)
                }
            }
        }
        return json.finish()
    }

    private static func postFields(_ post: Post, live: Bool, into json: inout JSONWriter) {
        json.field("id", post.id)
        json.field("author", post.author)
        json.field("text", post.text)
        json.field("at", UTCTime(post.createdAt).iso8601)
        json.field("live", live)
        json.field("mentions", post.mentions)
        json.field("tags", post.tags)
        if let parent = post.replyTo {
            json.field("reply_to", parent.id)
            json.field("reply_to_author", parent.author)
        }
        if let original = post.repostOf {
            json.field("repost_of", original.id)
            json.field("repost_of_author", original.author)
        }
        json.field("likes", Int64(post.likes))
    }
}

/// Builds one JSON object as UTF-8 bytes.
struct JSONWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: Int64) {
        key(name)
        bytes += Array(String(value).utf8)
    }

    /// A number already written as JSON (digits, one point): a double's formatted value.
    mutating func number(_ name: String, _ text: String) {
        key(name)
        bytes += Array(text.utf8)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes += Array((value ? "true" : "false").utf8)
    }

    mutating func field(_ name: String, _ values: [Int64]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        bytes += Array(values.map(String.init).joined(separator: ",").utf8)
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func field(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Escapes `"`, `\` and every byte below 0x20 (as RFC 8259 requires), plus U+2028 and U+2029,
    /// which some JavaScript-based JSON consumers treat as line ends.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = Array(value.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: escape(UInt16(byte))
            case 0xE2
            where index + 2 < utf8.count && utf8[index + 1] == 0x80
                && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                escape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 2
            default: bytes.append(byte)
            }
            index += 1
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ unit: UInt16) {
        let v = Int(unit)
        bytes += [
            0x5C, UInt8(ascii: "u"), Self.hex[(v >> 12) & 15], Self.hex[(v >> 8) & 15], Self.hex[(v >> 4) & 15],
            Self.hex[v & 15],
        ]
    }
}
