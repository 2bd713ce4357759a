import MicroblogModel

/// The web door's pages: server-rendered semantic HTML5 that works without JavaScript. A value; pure.
///
/// Every page has one `<main>` and one `<h1>`, the site's header and footer, the stylesheet and the live
/// script as files (the door's Content-Security-Policy allows no inline script or style, so no page has
/// either), and the Atom feed of its listing as an alternate link. A listing on its newest page names its
/// live stream in `data-live`; older pages never change. Forms carry the context's CSRF token as `csrf`.
public struct Pages: Sendable {
    public var context: PageContext

    /// How many levels a thread's replies indent; deeper replies sit at this level, saying what they answer.
    public static let maxThreadNesting = 6

    public init(_ context: PageContext) {
        self.context = context
    }

    /// `/`: everyone's latest posts, and a post form when someone is signed in, holding `draft` and saying
    /// `problem` when a post was refused. (No `maxlength`: a browser counts UTF-16 units, not characters;
    /// the server says when a post is too long and gives the text back.)
    public func home(_ page: PostPage, draft: String = "", problem: String? = nil) -> String {
        var main = "<h1 id=\"listing\">Latest posts</h1>\n"
        if context.signedInAs != nil {
            if let problem {
                main += "<p class=\"error\" role=\"alert\">" + HTML.escape(Self.sentence(problem)) + "</p>\n"
            }
            main += """
                <form class="compose" method="post" action="\(WebPath.newPost)">
                <label for="compose-text">New post (up to \(PostRules.maxCharacters) characters)</label>
                <textarea id="compose-text" name="text" rows="3" required>\(HTML.escape(draft))</textarea>
                \(csrfField)<button type="submit">Post</button>
                </form>

                """
        }
        main += listing(page, live: .home, olderPath: Timeline.home.olderPath)
        return document(title: nil, feed: .home, main: main)
    }

    /// `/@NAME`: the profile, then the account's posts.
    public func profile(_ profile: Profile, _ page: PostPage) -> String {
        let name = profile.user.name
        let timeline = Timeline.profile(name)
        var main = "<h1><bdi>" + HTML.escape(name) + "</bdi></h1>\n"
        if !profile.bio.isEmpty { main += "<p class=\"bio\" dir=\"auto\">" + PostText.html(profile.bio) + "</p>\n" }
        main += "<dl class=\"counts\">"
        for (term, count) in [
            ("Posts", profile.posts), ("Followers", profile.followers), ("Following", profile.following),
        ] {
            main += "<div><dt>\(term)</dt><dd>\(count)</dd></div>"
        }
        main += "</dl>\n<p class=\"feeds\"><a" + HTML.attribute("href", timeline.atomPath) + ">Atom feed</a> · <a"
        main += HTML.attribute("href", WebPath.twtxt(name)) + ">twtxt</a></p>\n"
        main += "<h2 id=\"listing\">Posts</h2>\n" + listing(page, live: timeline, olderPath: timeline.olderPath)
        return document(title: name, feed: timeline, main: main)
    }

    /// `/posts/ID`: the thread the post belongs to (depth first, as the store gives it), the post marked
    /// `aria-current="true"`. Replies nest as lists up to `maxThreadNesting` levels.
    public func thread(_ entries: [ThreadEntry], focus: Int64) -> String {
        let focused = entries.first { $0.post.id == focus }
        let author = focused.flatMap { $0.deleted ? nil : $0.post.author }
        let title = focused == nil ? "Thread" : "Post #\(focus)" + (author.map { " by " + $0 } ?? "")
        var main = "<h1>" + (focused == nil ? "Thread" : "Post #\(focus)")
        main += (author.map { " by <bdi>" + HTML.escape($0) + "</bdi>" } ?? "") + "</h1>\n<ol class=\"thread\">"
        var level = 0
        for (index, entry) in entries.enumerated() {
            let target = index == 0 ? 0 : min(entry.depth, Self.maxThreadNesting, level + 1)
            if index > 0 {
                if target > level {
                    main += "\n<ol>"
                } else {
                    main += "</li>"
                    for _ in target..<level { main += "</ol></li>" }
                }
            }
            level = target
            main += entry.post.id == focus ? "\n<li class=\"current\" aria-current=\"true\">" : "\n<li>"
            main += entry.deleted ? PostArticle.deleted(id: entry.post.id) : PostArticle.html(entry.post)
        }
        if !entries.isEmpty { main += "</li>" + String(repeating: "</ol></li>", count: level) }
        main += "\n</ol>\n"
        return document(title: title, feed: nil, main: main)
    }

    /// `/tags/TAG`: the posts with a hashtag (given in lower case).
    public func tag(_ tag: String, _ page: PostPage) -> String {
        let timeline = Timeline.tag(tag)
        let main =
            "<h1 id=\"listing\"><bdi>#" + HTML.escape(tag) + "</bdi></h1>\n"
            + listing(page, live: timeline, olderPath: timeline.olderPath)
        return document(title: "#" + tag, feed: timeline, main: main)
    }

    /// `/search?q=QUERY`: the form with the query in it, and its results when there was a query.
    public func search(query: String, results: PostPage?, problem: String? = nil) -> String {
        var main = """
            <h1>Search</h1>
            <form class="search" role="search" method="get" action="\(WebPath.search)">
            <label for="search-query">Words, @name or #tag</label>
            <input type="search" id="search-query" name="q"\(HTML.attribute("value", query))>
            <button type="submit">Search</button>
            </form>

            """
        if let problem {
            main += "<p class=\"problem\" role=\"alert\">" + HTML.escape(Self.sentence(problem)) + "</p>\n"
        }
        if let results {
            main += "<h2 id=\"listing\">Results for <q><bdi>" + HTML.escape(query) + "</bdi></q></h2>\n"
            main += listing(
                results, live: nil, olderPath: { WebPath.search(query, before: $0) }, empty: "No posts found.")
        }
        return document(title: query.isEmpty ? "Search" : "Search: " + query, feed: nil, main: main)
    }

    /// `/signin`: the form, with the name given back and what went wrong, if anything. Where passwords
    /// may not cross this connection (`--plaintext-passwords deny` without HTTPS), `closed` says why
    /// instead of a form, so nothing is typed in vain.
    public func signIn(name: String = "", error: String? = nil, closed: String? = nil) -> String {
        var main = "<h1>Sign in</h1>\n"
        if let error { main += "<p class=\"error\" role=\"alert\">" + HTML.escape(Self.sentence(error)) + "</p>\n" }
        if let closed {
            main += "<p class=\"problem\">" + HTML.escape(closed) + "</p>\n"
            return document(title: "Sign in", feed: nil, main: main)
        }
        main += """
            <form class="signin" method="post" action="\(WebPath.signIn)">
            <label for="signin-name">Name</label>
            <input type="text" id="signin-name" name="name" autocomplete="username" required\(HTML.attribute("value", name))>
            <label for="signin-password">Password</label>
            <input type="password" id="signin-password" name="password" autocomplete="current-password" required>
            \(csrfField)<button type="submit">Sign in</button>
            </form>
            <p>No account yet? Accounts are made from a terminal: connect with telnet or nc and type
            <code>/register NAME</code>.</p>

            """
        return document(title: "Sign in", feed: nil, main: main)
    }

    /// The page for an error status: what happened, in one plain sentence.
    public func error(_ status: ErrorStatus) -> String {
        let main =
            "<h1>\(status.reason)</h1>\n<p>\(status.sentence)</p>\n<p><a href=\"/\">Back to the latest posts</a></p>\n"
        return document(title: "\(status.rawValue) \(status.reason)", feed: nil, main: main)
    }

    // MARK: parts

    /// A server message as a sentence on a page: its first letter in capitals (`wrong name or password`
    /// reads `Wrong name or password`).
    static func sentence(_ message: String) -> String {
        guard let first = message.first, first.isLowercase else { return message }
        return first.uppercased() + message.dropFirst()
    }

    private var csrfField: String {
        context.csrfToken.map { "<input type=\"hidden\" name=\"csrf\"" + HTML.attribute("value", $0) + ">\n" } ?? ""
    }

    /// The posts of a page under the heading `#listing`, and the link to older ones. Only the newest page
    /// of a live timeline names its stream.
    private func listing(
        _ page: PostPage, live: Timeline?, olderPath: (Int64) -> String, empty: String = "No posts yet."
    ) -> String {
        var html = "<section class=\"posts\" aria-labelledby=\"listing\""
        if let live, page.before == nil {
            // From the newest post shown: the stream first sends what came between the page and it. New
            // posts are announced politely to screen readers as they are added.
            html += HTML.attribute("data-live", live.eventsPath + "?since=\(page.posts.first?.id ?? 0)")
            html += " aria-live=\"polite\" aria-relevant=\"additions\""
        }
        html += ">\n"
        if page.posts.isEmpty { html += "<p class=\"empty\">\(empty)</p>\n" }
        for post in page.posts { html += PostArticle.html(post) + "\n" }
        html += "</section>\n"
        let newest = page.before == nil ? nil : live?.path
        if page.olderBefore != nil || newest != nil {
            html += "<nav class=\"pages\" aria-label=\"Pages\">"
            // An older page leads back to the newest one as well as further back.
            if let newest { html += "<a" + HTML.attribute("href", newest) + ">Latest posts</a>" }
            if newest != nil && page.olderBefore != nil { html += " · " }
            if let before = page.olderBefore {
                html += "<a rel=\"next\"" + HTML.attribute("href", olderPath(before)) + ">Older posts</a>"
            }
            html += "</nav>\n"
        }
        return html
    }

    private func document(title: String?, feed: Timeline?, main: String) -> String {
        let site = HTML.escape(context.siteName)
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title.map { HTML.escape($0) + " · " } ?? "")\(site)</title>

            """
        if context.indexing == .deny { html += "<meta name=\"robots\" content=\"noindex\">\n" }
        html += """
            <link rel="stylesheet"\(HTML.attribute("href", StaticAsset.styleSheet.path))>
            <script\(HTML.attribute("src", StaticAsset.liveScript.path)) defer></script>

            """
        if let feed {
            html += "<link rel=\"alternate\" type=\"application/atom+xml\""
            html += HTML.attribute("title", (title ?? context.siteName) + " (Atom)")
            html += HTML.attribute("href", feed.atomPath) + ">\n"
        }
        html += "</head>\n<body>\n<header class=\"site\">\n<a class=\"site-name\" href=\"/\">\(site)</a>\n"
        html += "<nav aria-label=\"Site\">\n<a href=\"\(WebPath.search)\">Search</a>\n"
        if let name = context.signedInAs {
            html += "<span>Signed in as " + PostArticle.profileLink(name) + "</span>\n"
            html += "<form class=\"signout\" method=\"post\" action=\"\(WebPath.signOut)\">\n"
            html += csrfField + "<button type=\"submit\">Sign out</button>\n</form>\n"
        } else {
            if context.offersSignIn { html += "<a href=\"\(WebPath.signIn)\">Sign in</a>\n" }
        }
        html += "</nav>\n</header>\n<main>\n" + main + "</main>\n<footer class=\"site\">\n<p>" + site
        html += " · <a" + HTML.attribute("href", (feed ?? .home).atomPath) + ">Atom feed</a></p>\n</footer>\n"
        return html + "</body>\n</html>\n"
    }
}

/// The errors the web door answers with a page: the status, its reason phrase and a plain sentence. A value.
public enum ErrorStatus: Int, Sendable, CaseIterable {
    case badRequest = 400
    case forbidden = 403
    case notFound = 404
    case methodNotAllowed = 405
    case uriTooLong = 414
    case tooManyRequests = 429
    case headersTooLarge = 431
    case internalError = 500
    case unavailable = 503

    /// The reason phrase (RFC 9110 and RFC 6585), for the status line and the page's heading.
    public var reason: String {
        switch self {
        case .badRequest: "Bad Request"
        case .forbidden: "Forbidden"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .uriTooLong: "URI Too Long"
        case .tooManyRequests: "Too Many Requests"
        case .headersTooLarge: "Request Header Fields Too Large"
        case .internalError: "Internal Server Error"
        case .unavailable: "Service Unavailable"
        }
    }

    public var sentence: String {
        switch self {
        case .badRequest: "The request could not be understood."
        case .forbidden: "This form came from another site or has expired; go back, reload the page and try again."
        case .notFound: "There is nothing at this address."
        case .methodNotAllowed: "This address does not take that kind of request."
        case .uriTooLong: "The address is too long."
        case .tooManyRequests: "Too many requests came from you at once; please wait a moment and try again."
        case .headersTooLarge: "The request's headers are too large."
        case .internalError: "Something went wrong on the server; please try again later."
        case .unavailable: "The server is busy or stopping; please try again in a moment."
        }
    }
}
