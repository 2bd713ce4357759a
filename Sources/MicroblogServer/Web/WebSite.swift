import Dispatch
import Glibc
import MicroblogHTTP
import MicroblogModel
import MicroblogStorage
import MicroblogSupport
import MicroblogWeb

/// What the web door answers: the pages, feeds and files of `MicroblogWeb`, read from the store through
/// a read-only connection of the door's own, so a page never waits behind a commit or a search.
///
/// Confined to the web queue (the daemon's); the reader hands its results back there.
final class WebSite: HTTPHandler {
    let queue: DispatchQueue
    let configuration: WebConfiguration
    let reader: StorageReader
    /// Takes a live stream's socket once libmicrohttpd has sent its head: `closed` is its count's, to call
    /// when it closes; `since` where it starts (see `WebStreams.adopt`). Set by the door.
    var adoptStream:
        (
            _ fd: Int32, _ peerHost: String, _ closed: @escaping () -> Void, _ filter: WebStreams.Filter,
            _ since: Int64?
        ) -> Void = { fd, _, closed, _, _ in
            Glibc.close(fd)
            closed()
        }
    /// Tells the streams whom the web door hides now. Set by the door.
    var tellStreamsHidden: (Set<Int64>) -> Void = { _ in }
    /// The accounts hidden, as last read.
    private var hiddenAuthors: Set<Int64> = []
    /// The server's figures and each door's connections, for `/metrics`, answered on the web queue. Set
    /// by the door.
    var figures: (_ done: @escaping ([StatsField], [(door: String, count: Int)]) -> Void) -> Void = { done in
        done([], [])
    }
    /// Runs a search as `/search` does (on the server queue, with its budget and its reader) and answers
    /// on the web queue. Set by the door.
    var search: (_ text: String, _ host: String, _ done: @escaping (Result<[Post], WireError>) -> Void) -> Void = {
        _, _, done in done(.failure(WireError(.storage, "search is not available")))
    }
    /// Signs in as `/login` does (on the server queue, with its throttles and budget) and answers on the web
    /// queue. Set by the door.
    var signIn:
        (
            _ name: String, _ password: String, _ host: String, _ secure: Bool,
            _ done: @escaping (Result<(user: User, token: String), WireError>) -> Void
        ) -> Void = { _, _, _, _, done in done(.failure(WireError(.storage, "signing in is not available"))) }
    /// Posts as `/post` does, for an account signed in here. Set by the door.
    var post:
        (_ text: String, _ user: User, _ host: String, _ done: @escaping (Result<Post, WireError>) -> Void) -> Void =
            { _, _, _, done in done(.failure(WireError(.storage, "posting is not available"))) }
    /// Ends a web session. Set by the door.
    var signOut: (_ token: String, _ done: @escaping (Result<Void, WireError>) -> Void) -> Void = { _, done in
        done(.failure(WireError(.storage, "signing out is not available")))
    }
    /// Whether passwords may arrive only over HTTPS (`--plaintext-passwords deny`). Set by the door.
    var passwordsNeedHTTPS = false
    private let site: FeedSite
    private let siteName: String
    let log: Logger

    init(queue: DispatchQueue, configuration: WebConfiguration, reader: StorageReader, siteName: String, log: Logger) {
        self.queue = queue
        self.configuration = configuration
        self.reader = reader
        self.siteName = siteName
        self.log = log
        site = FeedSite(
            siteName: siteName, baseURL: configuration.baseURL, idAuthority: configuration.idAuthority)
    }

    /// The pages as `viewer` sees them: a visitor is offered the sign-in link; someone signed in gets the
    /// post form and the sign-out button, each with the session's form token.
    func pages(for viewer: WebViewer?) -> Pages {
        var context = PageContext(siteName: siteName, indexing: configuration.allowIndexing ? .allow : .deny)
        context.signedInAs = viewer?.user.name
        context.csrfToken = viewer?.formToken
        return Pages(context)
    }

    /// The visitor's pages (error pages, whoever asked).
    private var pages: Pages { pages(for: nil) }

    func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        queue.checkConfined()
        // `/signin` is a page and its form's target; `/post` and `/signout` only take a form.
        let allowed =
            request.path == WebPath.signIn
            ? ["GET", "HEAD", "POST"] : WebPath.forms.contains(request.path) ? ["POST"] : ["GET", "HEAD"]
        guard allowed.contains(request.method) else {
            var response = page(.methodNotAllowed)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return responder.respond(response)
        }
        // A session cookie: the account is found first (one indexed read), and the answer is made for it.
        guard cookie(WebViewer.sessionCookie, of: request) == nil else {
            return viewer(of: request) { [self] lookup in
                switch lookup {
                case .unknown:
                    // Not known now (a storage fault): neither a visitor's page nor a cleared cookie.
                    responder.respond(page(.unavailable))
                case .signedIn(let viewer):
                    if request.method == "POST" { return form(request, viewer: viewer, responder) }
                    route(request, viewer: viewer, responder)
                case .nobody:
                    if request.method == "POST" { return form(request, viewer: nil, responder) }
                    route(request, viewer: nil, clearingCookie: true, responder)
                }
            }
        }
        if request.method == "POST" { return form(request, viewer: nil, responder) }
        route(request, viewer: nil, responder)
    }

    /// Answers a GET or HEAD as `viewer` sees it. Visitors' answers are kept in the cache and answered from
    /// it; with `clearingCookie` (a session cookie that signs no one in) they also clear the cookie.
    private func route(
        _ request: HTTPRequest, viewer: WebViewer?, clearingCookie: Bool = false, _ responder: HTTPResponder
    ) {
        let path = request.path
        let key = viewer == nil ? Self.cacheKey(request) : nil
        let now = MonotonicClock.now()
        if let key, let cached = cache[key], now - cached.made < Self.cacheLifetime {
            cacheHits += 1
            let answer = Self.notModified(cached.prepared.response, for: request)
            if clearingCookie {
                return responder.respond(personal(answer, viewer: viewer, clearingCookie: true, request))
            }
            // The page itself goes out as handed to libmicrohttpd once: no copy per request.
            return responder.respond(answer.status == 304 ? .response(answer) : .prepared(cached.prepared))
        }
        let generation = cacheGeneration
        let answer = { [self] (response: HTTPResponse) in
            let prepared = Self.prepared(response)
            // Not kept if a post or deletion came while it was read: it may not show it.
            if let key, prepared.status == 200, generation == cacheGeneration, let made = HTTPPreparedResponse(prepared)
            {
                if cache.count >= Self.cacheEntries { cache.removeAll(keepingCapacity: true) }
                cache[key] = (made, MonotonicClock.now())
            }
            responder.respond(
                personal(
                    Self.notModified(prepared, for: request), viewer: viewer, clearingCookie: clearingCookie, request))
        }
        if let asset = StaticAsset.all.first(where: { $0.path == path }) {
            return answer(
                HTTPResponse(
                    status: 200,
                    headers: [("Content-Type", asset.contentType), ("Cache-Control", "public, max-age=3600")],
                    body: Array(asset.body.utf8)))
        }
        // `/@alice/` is `/@alice`: a trailing slash, as people type and some tools add, leads to the page.
        if path.count > 1 && path.hasSuffix("/") {
            return responder.respond(Self.prepared(redirect(Self.withoutTrailingSlash(request))))
        }
        var before: Int64?
        if let text = request.query["before"] {
            guard let id = Int64(text), id > 0 else { return responder.respond(page(.badRequest)) }
            before = id
        }
        if path == WebPath.homeEvents || path.hasSuffix("/events") {
            return live(path, request, responder)
        }
        switch path {
        case WebPath.home:
            return listing(.home, scope: .everyone, before: before, viewer: viewer, answer)
        case WebPath.signIn:
            return signInPage(request, viewer: viewer, responder)
        case WebPath.homeAtom:
            return feed(.home, scope: .everyone, answer)
        case WebPath.search:
            return searchPage(request, viewer: viewer, answer)
        case "/metrics":
            guard configuration.metricsAllow.contains(client(of: request).host) else {
                return responder.respond(page(.notFound))
            }
            return figures { fields, doors in
                responder.respond(
                    HTTPResponse(
                        status: 200,
                        headers: [("Content-Type", PrometheusText.contentType), ("Cache-Control", "no-store")]
                            + Self.securityHeaders,
                        body: Array(Self.prometheus(fields, doors: doors).utf8)))
            }
        case "/favicon.ico":
            // None: answered at once, so browsers stop asking (a 404 would be logged in their console).
            return responder.respond(HTTPResponse(status: 204, headers: Self.securityHeaders))
        case "/robots.txt":
            let rules = configuration.allowIndexing ? "User-agent: *\nAllow: /\n" : "User-agent: *\nDisallow: /\n"
            return answer(text(rules))
        default:
            break
        }
        if path.hasPrefix("/@") {
            return person(String(path.dropFirst(2)), before: before, viewer: viewer, answer)
        }
        if path.hasPrefix("/posts/"), let id = Int64(path.dropFirst("/posts/".count)), id > 0 {
            return thread(id, viewer: viewer, answer)
        }
        if path.hasPrefix("/tags/") {
            var name = String(path.dropFirst("/tags/".count))
            let atom = name.hasSuffix(".atom")
            if atom { name.removeLast(".atom".count) }
            guard let tag = PostEntities.normalizedTag(name) else { return answer(page(.notFound)) }
            if tag != name { return answer(redirect(atom ? Timeline.tag(tag).atomPath : WebPath.tag(tag))) }
            return atom
                ? feed(.tag(tag), scope: .tagged(tag), answer)
                : listing(.tag(tag), scope: .tagged(tag), before: before, viewer: viewer, answer)
        }
        answer(page(.notFound))
    }

    /// Where `/@alice/` leads: the path without its trailing slashes, and with one leading slash only (a
    /// Location of `//host` would lead off the site), encoded again, with the query kept.
    static func withoutTrailingSlash(_ request: HTTPRequest) -> String {
        let segments = request.path.split(separator: "/").map(String.init)
        let path = WebPath.encodedPath("/" + segments.joined(separator: "/"))
        let query = request.query.sorted { $0.key < $1.key }.map {
            WebPath.segment($0.key) + "=" + WebPath.segment($0.value)
        }
        return path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// `response` with what only this request gets: `private` for a signed-in page, the clearing of a
    /// session cookie that signs no one in.
    private func personal(
        _ response: HTTPResponse, viewer: WebViewer?, clearingCookie: Bool, _ request: HTTPRequest
    ) -> HTTPResponse {
        var response = response
        if viewer != nil {
            response.headers = response.headers.map {
                $0.name == "Cache-Control" && $0.value == "no-cache" ? ("Cache-Control", "private, no-cache") : $0
            }
        }
        if clearingCookie {
            let secure = client(of: request).secure
            response.headers.append(("Set-Cookie", WebViewer.clearing(WebViewer.sessionCookie, secure: secure)))
        }
        return response
    }

    /// Who sent `request`: its peer, or behind a trusted proxy (`--web-trusted-proxy`) the address
    /// `X-Forwarded-For` names last that is not itself a trusted proxy, and whether the client's own
    /// connection was HTTPS (`X-Forwarded-Proto`). A client's own forwarding headers are never believed.
    func client(of request: HTTPRequest) -> (host: String, secure: Bool) {
        Self.client(of: request, trusting: configuration.trustedProxies)
    }

    static func client(of request: HTTPRequest, trusting proxies: Set<String>) -> (host: String, secure: Bool) {
        guard proxies.contains(request.peerHost) else { return (request.peerHost, false) }
        let secure = request.header("X-Forwarded-Proto")?.lowercased() == "https"
        let hops = (request.header("X-Forwarded-For") ?? "").split(separator: ",").map {
            String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        let named = hops.reversed().first { !proxies.contains($0) && !$0.isEmpty }
        return (named ?? request.peerHost, secure)
    }

    // MARK: - Pages

    /// A listing's page: newest first, `pageSize` at a time.
    func listing(
        _ timeline: Timeline, scope: PostScope, before: Int64?, profile: Profile? = nil, viewer: WebViewer?,
        draft: String = "", problem: String? = nil, _ answer: @escaping (HTTPResponse) -> Void
    ) {
        let limit = configuration.pageSize + 1
        let query: FeedQuery = before.map { .before(id: $0, limit: limit) } ?? .latest(limit: limit)
        read({ store in try store.posts(in: scope, query, viewer: nil) }, answer) { [self] found in
            let newest = Array(found.reversed())
            let page = PostPage(
                posts: Array(newest.prefix(configuration.pageSize)), before: before,
                hasOlder: newest.count > configuration.pageSize)
            let pages = pages(for: viewer)
            switch timeline {
            case .home: return html(pages.home(page, draft: draft, problem: problem))
            case .profile: return profile.map { html(pages.profile($0, page)) } ?? self.page(.notFound)
            case .tag(let tag): return html(pages.tag(tag, page))
            }
        }
    }

    /// `/@NAME`, `/@NAME.atom`, `/@NAME/twtxt.txt`: found by name as `/profile` finds it; a name typed
    /// in another case (or a look-alike of it) is sent to the account's own address.
    private func person(
        _ rest: String, before: Int64?, viewer: WebViewer?, _ answer: @escaping (HTTPResponse) -> Void
    ) {
        enum Kind { case page, atom, twtxt }
        var name = rest
        var kind = Kind.page
        if name.hasSuffix("/twtxt.txt") {
            name.removeLast("/twtxt.txt".count)
            kind = .twtxt
        } else if name.hasSuffix(".atom") {
            name.removeLast(".atom".count)
            kind = .atom
        }
        guard case .success = AccountRules.validateName(name) else { return answer(page(.notFound)) }
        let typed = name
        reader.read({ store -> Profile? in
            // As names typed in commands are found; an account banned or `/web off` is not on the web.
            guard let user = try store.user(named: typed), try !store.webHiddenAuthors().contains(user.id) else {
                return nil
            }
            return try store.profile(of: user.id)
        }) { [self] result in
            switch result {
            case .failure(let error): storageFailed(error, answer)
            case .success(nil): answer(page(.notFound))
            case .success(let profile?):
                let canonical = profile.user.name
                let timeline = Timeline.profile(canonical)
                switch kind {
                case .page where canonical != name: answer(redirect(WebPath.profile(canonical)))
                case .atom where canonical != name: answer(redirect(timeline.atomPath))
                case .twtxt where canonical != name: answer(redirect(WebPath.twtxt(canonical)))
                case .page:
                    listing(
                        timeline, scope: .author(profile.user.id), before: before, profile: profile, viewer: viewer,
                        answer)
                case .atom: feed(timeline, scope: .author(profile.user.id), answer)
                case .twtxt: twtxt(profile, answer)
                }
            }
        }
    }

    private func thread(_ id: Int64, viewer: WebViewer?, _ answer: @escaping (HTTPResponse) -> Void) {
        read({ store in try store.thread(of: id, limit: 500) }, answer) { [self] entries in
            guard entries.contains(where: { $0.post.id == id && !$0.deleted }) else { return page(.notFound) }
            return html(pages(for: viewer).thread(entries, focus: id))
        }
    }

    /// `/search?q=WORDS`: the same search as `/search`, twenty best matches.
    private func searchPage(_ request: HTTPRequest, viewer: WebViewer?, _ answer: @escaping (HTTPResponse) -> Void) {
        let query = request.query["q"] ?? ""
        let pages = pages(for: viewer)
        guard query.contains(where: { !$0.isWhitespace }) else {
            return answer(html(pages.search(query: query, results: nil)))
        }
        search(query, client(of: request).host) { [self] result in
            switch result {
            case .success(let posts):
                answer(html(pages.search(query: query, results: PostPage(posts: posts))))
            case .failure(let error):
                var response = html(pages.search(query: query, results: nil, problem: error.messageWithWait))
                switch error.code {
                case .rateLimited:
                    response.status = 429
                    if let wait = error.retryAfter {
                        response.headers.append(("Retry-After", "\(Int(wait.rounded(.up)))"))
                    }
                case .badQuery: response.status = 400
                default: response.status = 503
                }
                answer(response)
            }
        }
    }

    /// `/stats`' figures in the Prometheus text format: each number a `microblogd_` metric, counters
    /// (names ending `_total`, and the `disconnects_` counts) as counters, the rest as gauges; the
    /// connections also by door.
    static func prometheus(_ fields: [StatsField], doors: [(door: String, count: Int)]) -> String {
        var text = PrometheusText()
        for field in fields {
            let counter = field.name.hasSuffix("_total") || field.name.hasPrefix("disconnects_")
            // Prometheus names every counter `..._total`: `/stats`' `disconnects_quit` is
            // `microblogd_disconnects_quit_total` here.
            let name = "microblogd_" + field.name + (counter && !field.name.hasSuffix("_total") ? "_total" : "")
            let help = "/stats " + field.name.replacingAll("_", with: " ")
            switch field.value {
            case .int(let value):
                text.describe(name, help: help, type: counter ? .counter : .gauge)
                text.sample(name, value)
            case .double(let value):
                text.describe(name, help: help, type: counter ? .counter : .gauge)
                text.sample(name, value)
            case .text:
                continue
            }
        }
        text.describe("microblogd_door_connections", help: "connections open now, by door", type: .gauge)
        for (door, count) in doors { text.sample("microblogd_door_connections", labels: [("door", door)], count) }
        return text.text
    }

    // MARK: - Live

    /// `/events`, `/@NAME/events`, `/tags/TAG/events`: a stream of the listing's new posts (and of
    /// deletions), from the post id the page was made at (`?since=`) or the last one a reconnecting
    /// EventSource saw (`Last-Event-ID`).
    private func live(_ path: String, _ request: HTTPRequest, _ responder: HTTPResponder) {
        var since: Int64?
        if let text = request.header("Last-Event-ID") ?? request.query["since"] {
            guard let id = Int64(text), id >= 0 else { return responder.respond(page(.badRequest)) }
            since = id
        }
        let open = { [self] (filter: WebStreams.Filter) in
            let headers: [(name: String, value: String)] =
                [
                    ("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-store"),
                    // nginx: pass each event on at once rather than buffer the response.
                    ("X-Accel-Buffering", "no"),
                ] + Self.securityHeaders
            // HEAD: the head only, as libmicrohttpd sends it; nothing to stream.
            guard request.method == "GET" else { return responder.respond(HTTPResponse(status: 200, headers: headers)) }
            let (start, peerHost, adopt) = (since, request.peerHost, adoptStream)
            responder.respond(
                .handOver(status: 200, headers: headers, first: Array(LiveEvents.retry(milliseconds: 3000).utf8)) {
                    fd, closed in adopt(fd, peerHost, closed, filter, start)
                })
        }
        if path == WebPath.homeEvents { return open(.everyone) }
        if path.hasPrefix("/tags/") {
            let name = String(path.dropFirst("/tags/".count).dropLast("/events".count))
            guard let tag = PostEntities.normalizedTag(name), tag == name else {
                return responder.respond(page(.notFound))
            }
            return open(.tag(tag))
        }
        if path.hasPrefix("/@") {
            let name = String(path.dropFirst(2).dropLast("/events".count))
            guard case .success = AccountRules.validateName(name) else { return responder.respond(page(.notFound)) }
            return reader.read({ store -> Int64? in
                guard let id = try store.user(named: name)?.id, try !store.webHiddenAuthors().contains(id) else {
                    return nil
                }
                return id
            }) { [self] result in
                switch result {
                case .success(let id?): open(.author(id))
                case .success(nil): responder.respond(page(.notFound))
                case .failure(let error): storageFailed(error) { responder.respond($0) }
                }
            }
        }
        responder.respond(page(.notFound))
    }

    /// What a stream opened at `since` missed: its listing's posts after that id, oldest first (one more
    /// than a stream is sent, so that too many can be told); nil when the store could not say.
    func missedPosts(_ filter: WebStreams.Filter, since: Int64, _ done: @escaping ([Post]?) -> Void) {
        queue.checkConfined()
        let scope = filter.scope
        reader.read({ store in
            try store.asSeenOnTheWeb {
                try store.posts(in: scope, .since(id: since, limit: WebStreams.maxReplay + 1), viewer: nil)
            }
        }) { result in
            done(try? result.get())
        }
    }

    // MARK: - Feeds

    private func feed(_ timeline: Timeline, scope: PostScope, _ answer: @escaping (HTTPResponse) -> Void) {
        read({ store in try store.posts(in: scope, .latest(limit: 50), viewer: nil) }, answer) { [self] found in
            let xml = AtomFeed.render(
                timeline, posts: found.reversed(), site: site, emptyUpdated: Timestamp(milliseconds: 0))
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "application/atom+xml; charset=utf-8")], body: Array(xml.utf8))
        }
    }

    private func twtxt(_ profile: Profile, _ answer: @escaping (HTTPResponse) -> Void) {
        let url = site.baseURL + WebPath.twtxt(profile.user.name)
        read({ store in try store.posts(in: .author(profile.user.id), .latest(limit: 500), viewer: nil) }, answer) {
            [self] posts in
            text(Twtxt.file(nick: profile.user.name, url: url, posts: posts))
        }
    }

    // MARK: - Reading

    /// Reads with the door's own reader, then makes the response on the web queue; a storage fault is a 503.
    private func read<T: Sendable>(
        _ work: @escaping @Sendable (any ReadingStore) throws -> T, _ answer: @escaping (HTTPResponse) -> Void,
        _ make: @escaping (T) -> HTTPResponse
    ) {
        reader.read({ store in try store.asSeenOnTheWeb { try work(store) } }) { [self] result in
            switch result {
            case .success(let value): answer(make(value))
            case .failure(let error): storageFailed(error, answer)
            }
        }
    }

    func storageFailed(_ error: StoreError, _ answer: (HTTPResponse) -> Void) {
        log.warn("web_storage", ["error": "\(error)"], limitKey: "web_storage")
        answer(page(.unavailable))
    }

    // MARK: - Responses

    func html(_ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(text.utf8))
    }

    private func text(_ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// An error page, with the headers every answer carries (it may go out without `prepared`).
    func page(_ status: ErrorStatus) -> HTTPResponse {
        HTTPResponse(
            status: status.rawValue, headers: [("Content-Type", "text/html; charset=utf-8")] + Self.securityHeaders,
            body: Array(pages.error(status).utf8))
    }

    func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 301, headers: [("Location", location)])
    }

    // MARK: - The cache

    /// Answers made lately, by path and query: a busy page is read and rendered at most once a
    /// `cacheLifetime`, and again at once after a post or a deletion (`liveItem`); a like shows within
    /// the second. Searches and streams are never kept.
    private var cache: [String: (prepared: HTTPPreparedResponse, made: Double)] = [:]
    static let cacheLifetime = 1.0
    static let cacheEntries = 512
    /// Requests answered from the cache, for tests and `/stats`.
    private(set) var cacheHits = 0
    /// Counts `liveItem`s, so an answer read before one is not kept after it.
    private var cacheGeneration = 0

    private static func cacheKey(_ request: HTTPRequest) -> String? {
        guard request.path != WebPath.search, !request.path.hasSuffix("/events") else { return nil }
        guard request.query.keys.allSatisfy({ $0 == "before" }) else { return nil }
        return request.path + (request.query["before"].map { "?before=" + $0 } ?? "")
    }

    /// How often the accounts the web door hides are read again (a ban or `/web off` on any node shows
    /// in the live streams within this; pages read the store, so they show it at once).
    static let hiddenAuthorsRefresh = 1.0

    /// Reads the accounts the web door hides for the live streams, now and every `hiddenAuthorsRefresh`
    /// until the site is gone; called once by the door.
    func refreshHiddenAuthors() {
        readHiddenAuthors { [weak self] in
            guard let self, !stopped else { return }
            queue.asyncAfterConfined(.milliseconds(Int(Self.hiddenAuthorsRefresh * 1000))) { [weak self] in
                self?.refreshHiddenAuthors()
            }
        }
    }

    /// Reads the accounts the web door hides now (a ban or `/web` on this node): the pages kept are
    /// dropped at once, since one may show what is now hidden.
    func hiddenAuthorsChanged() {
        queue.checkConfined()
        cache.removeAll(keepingCapacity: true)
        cacheGeneration += 1
        readHiddenAuthors {}
    }

    private func readHiddenAuthors(_ then: @escaping () -> Void) {
        queue.checkConfined()
        reader.read({ store in try store.webHiddenAuthors() }) { [weak self] result in
            guard let self else { return }
            if case .success(let hidden) = result, hidden != hiddenAuthors {
                hiddenAuthors = hidden
                tellStreamsHidden(hidden)
                cache.removeAll(keepingCapacity: true)
                cacheGeneration += 1
            }
            then()
        }
    }

    /// Set when the door stops: the hidden accounts are no longer read.
    var stopped = false

    /// A post or a deletion: every page kept may have changed (the streams are told on the server queue).
    func postsChanged() {
        queue.checkConfined()
        cache.removeAll(keepingCapacity: true)
        cacheGeneration += 1
    }

    /// Adds what every answer carries: the security headers, and for a `200` an ETag and `no-cache` when
    /// it sets no cache rule of its own.
    static func prepared(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        if response.header("Content-Security-Policy") == nil { response.headers += securityHeaders }
        guard response.status == 200 else { return response }
        response.headers.append(("ETag", "\"" + FNV1a64.hex(response.body) + "\""))
        if response.header("Cache-Control") == nil { response.headers.append(("Cache-Control", "no-cache")) }
        // A page differs for someone signed in: a cache between must not give a visitor's to them.
        if response.header("Content-Type")?.hasPrefix("text/html") == true {
            response.headers.append(("Vary", "Cookie"))
        }
        return response
    }

    /// `304` with the same headers when the client's copy (If-None-Match) is current; else `response`.
    static func notModified(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard response.status == 200, let tag = response.header("ETag") else { return response }
        if let wanted = request.header("If-None-Match"),
            wanted.split(separator: ",").contains(where: { $0.split(separator: " ").first.map(String.init) == tag })
        {
            return HTTPResponse(status: 304, headers: response.headers.filter { $0.name != "Content-Type" })
        }
        return response
    }

    /// No script but the site's own file, no framing, no sniffing, no referrer beyond the site.
    static let securityHeaders: [(name: String, value: String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
                + " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]
}
