import MicroblogModel
import MicroblogSupport

/// JSON of posts (`post`, with `depth` in a thread), `deleted`, `missed` and `tag`.
extension JSONRenderer {
    static func write(_ posts: ServerMessage.Posts, into json: inout JSONWriter) {
        switch posts {
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
        case .deleted(let ids):
            json.field("type", "deleted")
            json.field("ids", ids)
        case .missed(let count, let since):
            json.field("type", "missed")
            json.field("count", Int64(count))
            json.field("since", since)
        case .tag(let name, let posts):
            json.field("type", "tag")
            json.field("tag", name)
            json.field("posts", Int64(posts))
        }
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
