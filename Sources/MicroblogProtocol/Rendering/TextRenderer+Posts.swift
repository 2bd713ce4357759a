import MicroblogModel
import MicroblogSupport

/// Text of posts: `#45 12:04 bob (re #42 alice): text (3 likes)`, threads, deletions, missed posts, tags.
extension TextRenderer {
    static func render(_ posts: ServerMessage.Posts, for reader: TextReader) -> [UInt8] {
        switch posts {
        case .post(let post, _):
            return line(postLine(post, for: reader))
        case .threadPost(let post, let depth, let deleted):
            let indent = String(repeating: "  ", count: depth) + (depth > 0 ? "└ " : "")
            return line(indent + (deleted ? "#\(post.id) [deleted]" : postLine(post, for: reader, inThread: true)))
        case .deleted(let ids):
            let list = ids.map { "#\($0)" }.joined(separator: ", ")
            return line("* deleted: \(list)")
        case .missed(let count, let since):
            let posts = count == 1 ? "1 live post was" : "\(count) live posts were"
            return line("* \(posts) not shown while your connection was busy; /feed since \(since) shows them")
        case .tag(let name, let posts):
            return line("  #\(name) (\(posts) post\(posts == 1 ? "" : "s"))")
        }
    }

    /// `#45 12:04 bob (re #42 alice): text (3 likes)`; a repost reads `carol reposted #42 alice: text`.
    /// In a thread the indentation shows what a reply answers, so `re` is left out.
    private static func postLine(_ post: Post, for reader: TextReader, inThread: Bool = false) -> String {
        let time = reader.time(post.createdAt)
        let colors = reader.colors
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
}
