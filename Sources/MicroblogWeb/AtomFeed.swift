import MicroblogModel

/// Where the site's feeds live and what names their entries for ever. A value; pure.
public struct FeedSite: Sendable, Equatable {
    public var siteName: String
    /// The absolute URL the door is reached at, without a trailing slash: `https://example.org`.
    public var baseURL: String
    /// The tag URI authority (RFC 4151) every id is minted under: a domain the site held and a date it held
    /// it on, `example.org,2026`. Chosen once: feed readers know an entry by its id, so changing it shows
    /// every post again as new. It is not the base URL, so the site can move without that.
    public var idAuthority: String

    public init(siteName: String, baseURL: String, idAuthority: String) {
        self.siteName = siteName
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.idAuthority = idAuthority
    }

    /// `tag:AUTHORITY:post:ID`, the entry's id: it depends on nothing a post or the site's address can change.
    public func entryID(_ postID: Int64) -> String { "tag:\(idAuthority):post:\(postID)" }

    /// `tag:AUTHORITY:feed:/PATH`: the feed's id, from its path (a profile's name in lower case, since
    /// `/@Alice` and `/@alice` are one account).
    public func feedID(_ timeline: Timeline) -> String {
        switch timeline {
        case .profile(let name): "tag:\(idAuthority):feed:" + Timeline.profile(name.lowercased()).path
        case .home, .tag: "tag:\(idAuthority):feed:" + timeline.path
        }
    }
}

/// Atom 1.0 feeds (RFC 4287) of a timeline: `/feed.atom`, `/@NAME.atom`, `/tags/TAG.atom`. Pure functions.
///
/// Everything is escaped by `HTML.escape`, which XML needs no more of, and which replaces the characters
/// XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF) with U+FFFD. An entry's content is its text as HTML (links
/// absolute), escaped once more as `type="html"` asks.
public enum AtomFeed {
    /// How many characters of a post's text its entry's title holds.
    public static let titleCharacters = 80

    /// The feed of `posts` (newest first). Its `updated` is the newest post's time, or `emptyUpdated`
    /// when there are none.
    public static func render(_ timeline: Timeline, posts: [Post], site: FeedSite, emptyUpdated: Timestamp) -> String {
        let title: String
        let author: String
        switch timeline {
        case .home: (title, author) = (site.siteName, site.siteName)
        case .profile(let name): (title, author) = ("\(name) on \(site.siteName)", name)
        case .tag(let tag): (title, author) = ("#\(tag) on \(site.siteName)", site.siteName)
        }
        let updated = posts.map(\.createdAt).max() ?? emptyUpdated
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <title>\(HTML.escape(title))</title>
            <id>\(HTML.escape(site.feedID(timeline)))</id>
            <updated>\(UTCTime(updated).iso8601)</updated>
            <link rel="self" type="application/atom+xml"\(HTML.attribute("href", site.baseURL + timeline.atomPath))/>
            <link rel="alternate" type="text/html"\(HTML.attribute("href", site.baseURL + timeline.path))/>
            <author><name>\(HTML.escape(author))</name></author>
            <generator>microblogd</generator>

            """
        for post in posts { xml += entry(post, site: site) }
        return xml + "</feed>\n"
    }

    static func entry(_ post: Post, site: FeedSite) -> String {
        var content = ""
        var title = ""
        if let original = post.repostOf {
            title = "\(post.author) reposted \(original.author): "
            content += "<p>Reposted from " + link(site, WebPath.profile(original.author), "@" + original.author)
            content += " (" + link(site, WebPath.post(original.id), "#\(original.id)") + ")</p>"
        } else if let parent = post.replyTo {
            content += "<p>In reply to " + link(site, WebPath.post(parent.id), "#\(parent.id)")
            if !parent.author.isEmpty {
                content += " by " + link(site, WebPath.profile(parent.author), "@" + parent.author)
            }
            content += "</p>"
        }
        content += "<p>" + PostText.html(post.text, linkBase: site.baseURL) + "</p>"
        title += post.text.count > titleCharacters ? String(post.text.prefix(titleCharacters - 1)) + "…" : post.text
        let time = UTCTime(post.createdAt).iso8601
        return """
            <entry>
            <id>\(HTML.escape(site.entryID(post.id)))</id>
            <title type="text">\(HTML.escape(title))</title>
            <updated>\(time)</updated>
            <published>\(time)</published>
            <link rel="alternate" type="text/html"\(HTML.attribute("href", site.baseURL + WebPath.post(post.id)))/>
            <author><name>\(HTML.escape(post.author))</name><uri>\(HTML.escape(site.baseURL + WebPath.profile(post.author)))</uri></author>
            <content type="html">\(HTML.escape(content))</content>
            </entry>

            """
    }

    private static func link(_ site: FeedSite, _ path: String, _ text: String) -> String {
        "<a" + HTML.attribute("href", site.baseURL + path) + ">" + HTML.escape(text) + "</a>"
    }
}
