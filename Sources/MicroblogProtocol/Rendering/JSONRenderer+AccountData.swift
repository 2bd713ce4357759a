import MicroblogModel
import MicroblogSupport

/// JSON of what belongs to one account: `key` (`/key list`), and `export` and `export_end` (`/export`).
extension JSONRenderer {
    static func write(_ data: ServerMessage.AccountData, into json: inout JSONWriter) {
        switch data {
        case .sshKey(let key, let fingerprint):
            json.field("type", "key")
            json.field("number", Int64(key.number))
            json.field("key_type", key.type)
            json.field("fingerprint", fingerprint)
            json.field("comment", key.comment)
            json.field("added", UTCTime(key.addedAt).iso8601)
            json.field("key", key.base64)
        case .exportRecord(let record):
            json.field("type", "export")
            json.field("kind", record.kind)
            exportFields(record, into: &json)
        case .exportEnd(let name, let counts):
            json.field("type", "export_end")
            json.field("name", name)
            for kind in ["posts", "likes", "follows", "messages"] { json.field(kind, Int64(counts[kind] ?? 0)) }
        }
    }

    private static func exportFields(_ record: ExportRecord, into json: inout JSONWriter) {
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
    }
}
