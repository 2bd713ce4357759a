import Foundation
import MicroblogModel
import Testing

@testable import MicroblogWeb

@Suite struct WebPagesTests {
    static let visitor = Pages(PageContext(siteName: "microblogd", indexing: .allow, csrfToken: "visitor-token"))
    static let alice = Pages(
        PageContext(siteName: "microblogd", indexing: .deny, signedInAs: "alice", csrfToken: "tok\"<en>"))

    static func profile(_ name: String, bio: String) -> Profile {
        Profile(
            user: User(id: 1, name: name, createdAt: WebSafety.time), bio: bio, posts: 12, followers: 3, following: 4)
    }

    static func thread(_ posts: [Post]) -> [ThreadEntry] {
        posts.enumerated().map { ThreadEntry(post: $1, depth: min($0, 2), deleted: $0 == 1) }
    }

    /// Every page, each as a visitor and signed in, for the given text in every slot people fill.
    static func everyPage(_ text: String, posts: [Post]) -> [(String, String)] {
        let page = PostPage(posts: posts, hasOlder: true)
        var pages: [(String, String)] = []
        for renderer in [visitor, alice] {
            pages += [
                ("home", renderer.home(page)),
                ("profile", renderer.profile(profile(text, bio: text), page)),
                ("thread", renderer.thread(thread(posts), focus: posts.first?.id ?? 1)),
                ("tag", renderer.tag(text, page)),
                ("search", renderer.search(query: text, results: page)),
                ("search form", renderer.search(query: text, results: nil)),
                ("sign in", renderer.signIn(name: text, error: text)),
            ]
            pages += ErrorStatus.allCases.map { ("\($0.rawValue)", renderer.error($0)) }
        }
        return pages
    }

    @Test func hostileTextIsInertOnEveryPage() {
        for text in WebSafety.hostile {
            for (name, html) in Self.everyPage(text, posts: WebSafety.hostilePosts) {
                let problems = WebSafety.pageProblems(html)
                #expect(problems.isEmpty, "\(name) page with \(text.debugDescription): \(problems)")
                #expect(!html.lowercased().contains("href=\"javascript"))
            }
        }
    }

    @Test func everyPageIsWellFormedWithPlainText() {
        let posts = [WebSafety.post(2, "bob", "hello @alice #Swift"), WebSafety.post(1, "alice", "first")]
        for (name, html) in Self.everyPage("plain", posts: posts) {
            #expect(WebSafety.pageProblems(html).isEmpty, "\(name): \(WebSafety.pageProblems(html))")
        }
        for (name, html) in Self.everyPage("plain", posts: []) {
            #expect(WebSafety.pageProblems(html).isEmpty, "\(name) empty: \(WebSafety.pageProblems(html))")
        }
    }

    @Test func homePageOfTwoPosts() {
        let posts = [
            WebSafety.post(
                2, "bob", "hi @alice, #Swift at https://swift.org/blog!",
                replyTo: PostReference(id: 1, author: "alice"),
                likes: 3),
            WebSafety.post(1, "alice", "first post"),
        ]
        let html = Self.visitor.home(PostPage(posts: posts, hasOlder: true))
        let fragments = [
            "<title>microblogd</title>",
            "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"microblogd (Atom)\" href=\"/feed.atom\">",
            "<a class=\"site-name\" href=\"/\">microblogd</a>",
            "<a href=\"/signin\">Sign in</a>",
            "<h1 id=\"listing\">Latest posts</h1>",
            "<section class=\"posts\" aria-labelledby=\"listing\" data-live=\"/events?since=2\" aria-live=\"polite\" aria-relevant=\"additions\">",
            "<article class=\"post\" id=\"post-2\" data-id=\"2\"><header><a class=\"author\" href=\"/@bob\"><bdi>bob</bdi></a>",
            "<a class=\"permalink\" href=\"/posts/2\"><time datetime=\"2026-11-26T11:22:05.123Z\">2026-11-26 11:22 UTC</time></a>",
            "<p class=\"reply-to\">in reply to <a href=\"/posts/1\">#1</a> by <a href=\"/@alice\"><bdi>alice</bdi></a></p>",
            "<p class=\"text\" dir=\"auto\">hi <a class=\"mention\" href=\"/@alice\">@alice</a>, <a class=\"tag\" href=\"/tags/swift\">#Swift</a> at <a href=\"https://swift.org/blog\" rel=\"nofollow ugc noopener\">https://swift.org/blog</a>!</p>",
            "<footer><span class=\"likes\">3 likes</span></footer></article>",
            "<article class=\"post\" id=\"post-1\" data-id=\"1\">",
            "<a rel=\"next\" href=\"/?before=1\">Older posts</a>",
        ]
        for fragment in fragments { #expect(html.contains(fragment), "\(fragment)") }
        #expect(html.range(of: "id=\"post-2\"")!.lowerBound < html.range(of: "id=\"post-1\"")!.lowerBound)
        #expect(!html.contains("<form class=\"compose\"") && !html.contains("robots"))
        #expect(html.contains("<p class=\"text\" dir=\"auto\">first post</p></article>"), "no likes, no footer")
        #expect(WebSafety.pageProblems(html).isEmpty)
    }

    @Test func signedInPagesCarryTheTokenAndTheForms() {
        let html = Self.alice.home(PostPage(posts: []))
        #expect(html.contains("<meta name=\"robots\" content=\"noindex\">"))
        #expect(html.contains("<span>Signed in as <a href=\"/@alice\"><bdi>alice</bdi></a></span>"))
        #expect(html.contains("<form class=\"signout\" method=\"post\" action=\"/signout\">"))
        #expect(html.contains("<form class=\"compose\" method=\"post\" action=\"/post\">"))
        // No maxlength: a browser would count UTF-16 units, cutting posts of emoji short.
        #expect(html.contains("<textarea id=\"compose-text\" name=\"text\" rows=\"3\" required></textarea>"))
        // A refused post comes back in the form, escaped, with the reason.
        let refused = Self.alice.home(PostPage(posts: []), draft: "</textarea><script>", problem: "too <long>")
        #expect(refused.contains("required>&lt;/textarea&gt;&lt;script&gt;</textarea>"))
        #expect(refused.contains("<p class=\"error\" role=\"alert\">Too &lt;long&gt;</p>"))
        #expect(
            html.components(separatedBy: "<input type=\"hidden\" name=\"csrf\" value=\"tok&quot;&lt;en&gt;\">").count
                == 3)
        #expect(html.contains("<p class=\"empty\">No posts yet.</p>") && !html.contains("Older posts"))
        #expect(!html.contains("href=\"/signin\""))
    }

    @Test func olderPagesAreNotLive() {
        let posts = [WebSafety.post(5, "bob", "x")]
        let newest = Self.visitor.tag("swift", PostPage(posts: posts))
        let older = Self.visitor.tag("swift", PostPage(posts: posts, before: 6, hasOlder: true))
        #expect(newest.contains("data-live=\"/tags/swift/events?since=5\"") && !newest.contains("Older posts"))
        // An older page leads back to the newest as well as further back.
        #expect(older.contains("<a href=\"/tags/swift\">Latest posts</a>"), "\(older)")
        #expect(!newest.contains("Latest posts"))
        #expect(!older.contains("data-live") && older.contains("href=\"/tags/swift?before=5\""))
        #expect(
            newest.contains("href=\"/tags/swift.atom\"") && newest.contains("<h1 id=\"listing\"><bdi>#swift</bdi></h1>")
        )
    }

    @Test func profilePageShowsTheCountsAndPosts() {
        let html = Self.visitor.profile(
            Self.profile("bob", bio: "I write #Swift"),
            PostPage(posts: [WebSafety.post(3, "bob", "hey")], hasOlder: true))
        #expect(html.contains("<title>bob · microblogd</title>") && html.contains("<h1><bdi>bob</bdi></h1>"))
        #expect(
            html.contains("<p class=\"bio\" dir=\"auto\">I write <a class=\"tag\" href=\"/tags/swift\">#Swift</a></p>"))
        #expect(
            html.contains(
                "<div><dt>Posts</dt><dd>12</dd></div><div><dt>Followers</dt><dd>3</dd></div><div><dt>Following</dt><dd>4</dd></div>"
            ))
        #expect(html.contains("data-live=\"/@bob/events?since=3\"") && html.contains("href=\"/@bob?before=3\""))
        #expect(html.contains("href=\"/@bob.atom\"") && html.contains("href=\"/@bob/twtxt.txt\""))
    }

    @Test func aRepostNamesWhoSharedWhat() {
        let repost = WebSafety.post(7, "carol", "original words", repostOf: PostReference(id: 4, author: "alice"))
        let html = PostArticle.html(repost)
        #expect(
            html.hasPrefix(
                "<article class=\"post\" id=\"post-7\" data-id=\"7\"><p class=\"repost\"><a href=\"/@carol\"><bdi>carol</bdi></a> reposted <a href=\"/posts/4\">#4</a></p><header><a class=\"author\" href=\"/@alice\">"
            ))
        #expect(!html.contains("\n"))
    }

    @Test func threadsNestRepliesAndMarkThePost() {
        let entries = [
            ThreadEntry(post: WebSafety.post(1, "alice", "root"), depth: 0, deleted: false),
            ThreadEntry(
                post: WebSafety.post(2, "bob", "reply", replyTo: PostReference(id: 1, author: "alice")), depth: 1,
                deleted: false),
            ThreadEntry(post: WebSafety.post(3, "", ""), depth: 2, deleted: true),
            ThreadEntry(post: WebSafety.post(4, "carol", "second reply"), depth: 1, deleted: false),
            ThreadEntry(post: WebSafety.post(5, "dave", "other"), depth: 0, deleted: false),
        ]
        let html = Self.visitor.thread(entries, focus: 2)
        #expect(WebSafety.pageProblems(html).isEmpty, "\(WebSafety.pageProblems(html))")
        #expect(
            html.contains("<h1>Post #2 by <bdi>bob</bdi></h1>")
                && html.contains("<title>Post #2 by bob · microblogd</title>"))
        #expect(html.contains("<li class=\"current\" aria-current=\"true\"><article class=\"post\" id=\"post-2\""))
        #expect(html.contains("<ol class=\"thread\">\n<li><article class=\"post\" id=\"post-1\""))
        #expect(html.contains("</article>\n<ol>\n<li class=\"current\""))
        #expect(
            html.contains(
                "<article class=\"post deleted\" id=\"post-3\" data-id=\"3\"><p>Post #3 was deleted or is not shown on the web.</p></article></li></ol></li>\n<li><article class=\"post\" id=\"post-4\""
            ))
        #expect(
            html.contains("id=\"post-4\"")
                && html.contains("</article></li></ol></li>\n<li><article class=\"post\" id=\"post-5\""))
        #expect(!html.contains("data-live"))

        // A long chain indents no deeper than the limit.
        let chain = (0..<40).map {
            ThreadEntry(post: WebSafety.post(Int64($0 + 1), "bob", "n"), depth: $0, deleted: false)
        }
        let deep = Self.visitor.thread(chain, focus: 40)
        #expect(WebSafety.pageProblems(deep).isEmpty)
        #expect(deep.components(separatedBy: "<ol").count - 1 == Pages.maxThreadNesting + 1)
        #expect(Self.visitor.thread([], focus: 9).contains("<h1>Thread</h1>"))
    }

    @Test func searchGivesTheQueryBackEscaped() {
        let query = "\"><script>alert(1)</script>"
        let html = Self.visitor.search(query: query, results: PostPage(posts: [], hasOlder: false))
        #expect(html.contains("name=\"q\" value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">"))
        #expect(
            html.contains(
                "<h2 id=\"listing\">Results for <q><bdi>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</bdi></q></h2>")
        )
        #expect(html.contains("No posts found.") && !html.contains("data-live"))
        let paged = Self.visitor.search(
            query: "a b", results: PostPage(posts: [WebSafety.post(8, "bob", "a b")], hasOlder: true))
        #expect(paged.contains("href=\"/search?q=a%20b&amp;before=8\""))
        #expect(!Self.visitor.search(query: "", results: nil).contains("<h2"))
    }

    @Test func signInAndErrorPages() {
        let html = Self.visitor.signIn(name: "bob", error: "wrong name or password")
        #expect(html.contains("<p class=\"error\" role=\"alert\">Wrong name or password</p>"))
        #expect(html.contains("<form class=\"signin\" method=\"post\" action=\"/signin\">"))
        #expect(html.contains("name=\"name\" autocomplete=\"username\" required value=\"bob\">"))
        #expect(html.contains("<input type=\"password\" id=\"signin-password\" name=\"password\""))
        #expect(html.contains("<input type=\"hidden\" name=\"csrf\" value=\"visitor-token\">"))
        #expect(!Self.visitor.signIn().contains("role=\"alert\""))
        for status in ErrorStatus.allCases {
            let page = Self.visitor.error(status)
            #expect(page.contains("<title>\(status.rawValue) \(status.reason) · microblogd</title>"))
            #expect(page.contains("<h1>\(status.reason)</h1>\n<p>\(status.sentence)</p>"))
        }
        #expect(ErrorStatus(rawValue: 431)?.reason == "Request Header Fields Too Large")
    }
}
