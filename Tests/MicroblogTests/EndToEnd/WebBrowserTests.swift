import Foundation
import MicroblogTestSupport
import Testing

/// The web door in a real browser: headless Chromium (Debian's), driven by Playwright for Python through
/// `Tests/WebClients/browser.py`. A reader loads `/`; posts made afterwards over the plain door appear in
/// the page without a reload (Server-Sent Events and /live.js); the author's profile and the post's thread
/// are reached by following links; hostile posts are text on every page, open no dialog, and the
/// Content-Security-Policy never has to refuse anything of our own.
@Suite(
    "End to end: the web door in a real browser",
    .enabled(
        if: WebClients.hasBrowser,
        "needs Chromium and Playwright: apt-get install chromium python3-pip, then /usr/bin/python3 -m pip install --break-system-packages playwright (never `playwright install`; .ci/run installs both)"
    ))
struct WebBrowserTests {
    /// What alice posts from the page's form: markup a page must show as text.
    static let fromTheForm = "from the form <b>bold?</b> #web"

    /// Launching a browser on a machine busy building takes a while.
    private static let timeout: Double = 120

    @Test func livePostsLinksAndHostileTextInChromium() throws {
        let site = try PostedSite()
        try site.postHostileTexts()
        let browser = try WebClient("browser.py", [site.base])

        let ready = try browser.read(BrowserReady.self, timeout: Self.timeout)
        #expect(ready.step == "ready")
        let newest = try #require(site.posts.last)
        #expect(ready.stream == "/events?since=\(newest.id)" && ready.streamStatus == 200, "\(ready)")
        #expect(ready.articles.first == "post-\(newest.id)", "\(ready.articles)")

        // Made after the page loaded, over the plain door: they reach the page only through its live stream.
        let live = [
            try site.post("alice", "live from the plain door: ünïcode ✓ #live"),
            try site.post("mallory", #"<img src=x onerror=alert(3)> <script>alert(4)</script> live"#),
        ]
        let hostile = try #require(site.posts.first { $0.author == "mallory" })
        let pages = ["/posts/\(hostile.id)", "/@mallory", "/tags/hostile"]
        try browser.send(
            BrowserOrder(
                live: live.map(\.id),
                hostile: pages.map { BrowserOrder.Target(id: hostile.id, path: $0) }
                    + site.posts.filter { $0.author == "mallory" }.dropFirst().map {
                        BrowserOrder.Target(id: $0.id, path: "/posts/\($0.id)")
                    },
                signIn: BrowserOrder.SignIn(
                    name: "alice", password: PostedSite.password, text: Self.fromTheForm)))

        let shown = try browser.read(BrowserLive.self, timeout: Self.timeout)
        #expect(shown.step == "live")
        #expect(!shown.reloaded && shown.path == "/", "the page was read again: \(shown)")
        #expect(shown.posts.map(\.id) == live.map(\.id))
        for (seen, post) in zip(shown.posts, live) {
            let article = try #require(seen.article, "#\(post.id) never appeared: \(seen.error ?? "")")
            expectShown(article, post)
        }

        // Signed in, a post from the page's form reaches the plain door live, and is at the top of the page.
        let posted = try browser.read(BrowserPosted.self, timeout: Self.timeout)
        #expect(posted.step == "posted")
        #expect(posted.signedIn.contains("Signed in as alice"), "\(posted.signedIn)")
        #expect(posted.cookie.httpOnly == true && posted.cookie.sameSite == "Strict", "\(posted.cookie)")
        let seen = try site.watched(Self.fromTheForm)
        #expect(seen.author == "alice" && seen.id == posted.id, "\(seen)")
        expectShown(posted.article, seen)
        #expect(posted.path == "/" && posted.signedOut.contains("Sign in") && !posted.signedOut.contains("Signed in"))

        let links = try browser.read(BrowserLinks.self, timeout: Self.timeout)
        #expect(links.step == "links")
        #expect(links.profile.path == "/@alice" && links.profile.h1 == "alice", "\(links.profile)")
        #expect(links.profile.lists == true, "the profile does not list #\(live[0].id)")
        #expect(links.thread.path == "/posts/\(live[0].id)", "\(links.thread)")
        #expect(links.thread.current == ["post-\(live[0].id)"], "\(links.thread)")

        let read = try browser.read(BrowserPages.self, timeout: Self.timeout)
        #expect(read.step == "pages")
        for page in read.pages {
            let post = try #require(site.posts.first { $0.id == page.id })
            #expect(page.page.scripts == ["/static/live.js"], "\(page.page.path): \(page.page.scripts)")
            let article = try #require(page.article, "\(page.page.path) does not show #\(page.id)")
            expectShown(article, post, on: page.page.path)
        }

        let report = try browser.read(BrowserReport.self, timeout: Self.timeout)
        #expect(report.step == "report")
        #expect(report.dialogs.isEmpty, "a post opened a dialog: \(report.dialogs)")
        let refused = report.console.filter { $0.text.contains("Content Security Policy") }
        #expect(refused.isEmpty, "\(refused)")
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.failed.isEmpty, "\(report.failed)")
        #expect(report.assets == ["/static/live.js": 200, "/static/style.css": 200], "\(report.assets)")
        #expect(try browser.finish(timeout: Self.timeout) == 0, "\(browser.errorOutput)")
    }

    /// `article` is `post` as text: its words, its author linked to the profile, its permalink, and
    /// nothing its text could have made (an image, a `javascript:` link).
    private func expectShown(_ article: BrowserArticle, _ post: PostedSite.Post, on path: String = "/") {
        let what = "\(path), #\(post.id)"
        #expect(article.text == post.text, "\(what): \(article.text?.debugDescription ?? "-")")
        #expect(article.author == post.author && article.authorHref == "/@" + post.author, "\(what)")
        #expect(article.permalink == "/posts/\(post.id)", "\(what)")
        #expect(article.images == 0 && article.scriptLinks == 0, "\(what): \(article)")
    }
}

// What `browser.py` and the test say to each other (see its documentation).

struct BrowserReady: Decodable {
    var step: String
    var stream: String
    var streamStatus: Int
    var articles: [String]
}

struct BrowserOrder: Encodable {
    struct Target: Encodable {
        var id: Int64
        var path: String
    }

    struct SignIn: Encodable {
        var name: String
        var password: String
        var text: String
    }

    var live: [Int64]
    var hostile: [Target]
    var signIn: SignIn
}

struct BrowserPosted: Decodable {
    struct Cookie: Decodable {
        var httpOnly: Bool?
        var sameSite: String?
    }

    var step: String
    var signedIn: String
    var cookie: Cookie
    var id: Int64
    var article: BrowserArticle
    var signedOut: String
    var path: String
}

struct BrowserArticle: Decodable {
    var text: String?
    var author: String?
    var authorHref: String?
    var permalink: String?
    var images: Int
    var scriptLinks: Int
}

struct BrowserLive: Decodable {
    struct Shown: Decodable {
        var id: Int64
        var article: BrowserArticle?
        var error: String?
    }

    var step: String
    var posts: [Shown]
    var reloaded: Bool
    var path: String
}

struct BrowserPageFacts: Decodable {
    var path: String
    var h1: String
    var scripts: [String?]
    var current: [String]
    var lists: Bool?
}

struct BrowserLinks: Decodable {
    var step: String
    var profile: BrowserPageFacts
    var thread: BrowserPageFacts
}

struct BrowserPages: Decodable {
    struct Page: Decodable {
        var id: Int64
        var page: BrowserPageFacts
        var article: BrowserArticle?
    }

    var step: String
    var pages: [Page]
}

struct BrowserReport: Decodable {
    struct Dialog: Decodable {
        var type: String
        var message: String
        var url: String
    }

    struct Console: Decodable {
        var type: String
        var text: String
    }

    struct Failure: Decodable {
        var url: String
        var error: String?
    }

    var step: String
    var dialogs: [Dialog]
    var console: [Console]
    var errors: [String]
    var failed: [Failure]
    var assets: [String: Int]
}
