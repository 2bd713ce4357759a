import MicroblogModel

/// One post as an `<article>`: the same markup on pages, in threads and in live events, so the live script
/// can put an event's article beside the page's own. Pure functions.
///
/// Each article is `id="post-ID"` and `data-id="ID"`, and is written on one line. It depends on nothing about
/// the reader, so a live post is rendered once for everyone watching. Reposts have no count in `Post`, so
/// none is shown; likes are, when there are any.
public enum PostArticle {
    public static func html(_ post: Post) -> String {
        var html = "<article class=\"post\" id=\"post-\(post.id)\" data-id=\"\(post.id)\">"
        let author: String
        if let original = post.repostOf {
            html +=
                "<p class=\"repost\">" + profileLink(post.author) + " reposted <a href=\"" + WebPath.post(original.id)
                + "\">#\(original.id)</a></p>"
            author = original.author
        } else {
            author = post.author
        }
        html +=
            "<header>" + profileLink(author, class: "author") + " <a class=\"permalink\" href=\""
            + WebPath.post(post.id) + "\">" + time(post.createdAt) + "</a></header>"
        if let parent = post.replyTo {
            // No author when the web door does not show the parent's (`/web off`, a ban).
            html +=
                "<p class=\"reply-to\">in reply to <a href=\"" + WebPath.post(parent.id) + "\">#\(parent.id)</a>"
                + (parent.author.isEmpty ? "" : " by " + profileLink(parent.author)) + "</p>"
        }
        html += "<p class=\"text\" dir=\"auto\">" + PostText.html(post.text) + "</p>"
        if post.likes > 0 {
            html +=
                "<footer><span class=\"likes\">" + (post.likes == 1 ? "1 like" : "\(post.likes) likes")
                + "</span></footer>"
        }
        return html + "</article>"
    }

    /// The place of a deleted post in a thread.
    public static func deleted(id: Int64) -> String {
        "<article class=\"post deleted\" id=\"post-\(id)\" data-id=\"\(id)\"><p>Post #\(id) was deleted or is not shown on the web.</p></article>"
    }

    /// `<time datetime="2026-11-26T11:20:05.123Z">2026-11-26 11:20 UTC</time>`
    public static func time(_ timestamp: Timestamp) -> String {
        let utc = UTCTime(timestamp)
        return "<time datetime=\"\(utc.iso8601)\">\(readable(utc))</time>"
    }

    /// `2026-11-26 11:20 UTC`: the same for every reader, so pages and events can be shared.
    public static func readable(_ utc: UTCTime) -> String {
        func pad(_ value: Int, _ width: Int = 2) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(utc.year, 4))-\(pad(utc.month))-\(pad(utc.day)) \(pad(utc.hour)):\(pad(utc.minute)) UTC"
    }

    /// `<a href="/@NAME"><bdi>NAME</bdi></a>`: the name isolated, so no script in it turns the sentence around.
    static func profileLink(_ name: String, class className: String? = nil) -> String {
        "<a" + (className.map { " class=\"\($0)\"" } ?? "") + HTML.attribute("href", WebPath.profile(name)) + "><bdi>"
            + HTML.escape(name) + "</bdi></a>"
    }
}
