import MicroblogHTTP
import MicroblogModel
import MicroblogStorage
import MicroblogSupport
import MicroblogWeb

/// Someone signed in on the web door, as one request found them by its session cookie. A value.
struct WebViewer {
    /// The cookie that carries a session's token (`HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS).
    static let sessionCookie = "microblogd_session"
    /// The cookie behind the sign-in form's token, for a visitor who has no session yet.
    static let formCookie = "microblogd_form"

    /// A cookie's name on a request that came over HTTPS or not: over HTTPS with the `__Host-` prefix, which
    /// browsers take only from this host, over HTTPS, for the whole site, so nobody else (a sibling
    /// subdomain, a plain-HTTP page in between) can plant one.
    static func cookie(_ name: String, secure: Bool) -> String { secure ? "__Host-" + name : name }

    let user: User
    let token: String

    /// The token every form of theirs carries: derived from the session's, so another site cannot know it.
    var formToken: String { SessionToken.derived(token, purpose: "form") }

    /// A `Set-Cookie` value that sets cookie `name` (see `cookie`) to `value` for `seconds`.
    static func setting(_ name: String, _ value: String, seconds: Int64, secure: Bool) -> String {
        "\(cookie(name, secure: secure))=\(value); Path=/; Max-Age=\(seconds); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }

    /// A `Set-Cookie` value that removes cookie `name` (see `cookie`).
    static func clearing(_ name: String, secure: Bool) -> String {
        "\(cookie(name, secure: secure))=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }
}

/// Signing in, posting and signing out from the pages. Every form carries a token only this browser can
/// know (derived from its session cookie, or before signing in from the form cookie), every cookie is
/// `HttpOnly` and `SameSite=Strict`, and a request a browser marks as coming from another site is refused:
/// another site cannot post or sign anyone in or out. Passwords go through the same throttles, budget
/// and hashing pool as `/login`. Same queue as the site (the web queue).
extension WebSite {
    /// Who a request's session cookie signs in. A value.
    enum Lookup {
        case signedIn(WebViewer)
        /// Malformed, ended, expired, or its account deleted or banned: the page is a visitor's, and the
        /// cookie is cleared.
        case nobody
        /// The store could not say (a fault): the cookie is kept for the next request.
        case unknown
    }

    /// The value of cookie `name` as this request should carry it (`__Host-` over HTTPS, see
    /// `WebViewer.cookie`).
    func cookie(_ name: String, of request: HTTPRequest) -> String? {
        request.cookies[WebViewer.cookie(name, secure: client(of: request).secure)]
    }

    /// Finds who the request's session cookie signs in.
    func viewer(of request: HTTPRequest, _ done: @escaping (Lookup) -> Void) {
        guard let token = cookie(WebViewer.sessionCookie, of: request), SessionToken.isWellFormed(token) else {
            return done(.nobody)
        }
        let stored = SessionToken.stored(token)
        let notBefore = Timestamp(milliseconds: Timestamp.now().milliseconds - WebSessionRules.lifetimeMilliseconds)
        reader.read({ store in try store.webSessionUser(tokenHash: stored, notBefore: notBefore) }) { [self] result in
            switch result {
            case .success(let user?): done(.signedIn(WebViewer(user: user, token: token)))
            case .success(nil): done(.nobody)
            case .failure(let error):
                log.warn("web_storage", ["error": "\(error)"], limitKey: "web_storage")
                done(.unknown)
            }
        }
    }

    /// `GET /signin`: the form, with a fresh form cookie behind its token; someone signed in is sent home.
    func signInPage(_ request: HTTPRequest, viewer: WebViewer?, _ responder: HTTPResponder) {
        if viewer != nil { return responder.respond(seeOther(WebPath.home)) }
        responder.respond(signInForm(request))
    }

    /// The sign-in page, with a new form cookie and what went wrong (`problem`), the name given back.
    private func signInForm(
        _ request: HTTPRequest, status: Int = 200, name: String = "", problem: WireError? = nil
    ) -> HTTPResponse {
        let secure = client(of: request).secure
        if passwordsNeedHTTPS && !secure {
            var response = html(
                pages(for: nil).signIn(
                    closed: "Passwords are accepted only over HTTPS here: open this page with https:// to sign in."))
            response.status = status
            return Self.prepared(response, personal: true)
        }
        let formCookie = SessionToken.make()
        var context = pages(for: nil)
        context.context.csrfToken = SessionToken.derived(formCookie, purpose: "signin")
        var response = html(context.signIn(name: name, error: problem?.messageWithWait))
        response.status = status
        response.headers.append(
            ("Set-Cookie", WebViewer.setting(WebViewer.formCookie, formCookie, seconds: 3600, secure: secure)))
        if let wait = problem?.retryAfter { response.headers.append(("Retry-After", "\(Int(wait.rounded(.up)))")) }
        return Self.prepared(response, personal: true)
    }

    /// A form's `POST`: `/signin`, `/post` or `/signout`.
    func form(_ request: HTTPRequest, viewer: WebViewer?, _ responder: HTTPResponder) {
        // Browsers say where a request came from; one from another site is refused whatever it carries.
        if request.header("Sec-Fetch-Site") == "cross-site" { return responder.respond(page(.forbidden)) }
        switch request.path {
        case WebPath.signIn: signInPosted(request, viewer: viewer, responder)
        case WebPath.newPost: postPosted(request, viewer: viewer, responder)
        default: signOutPosted(request, viewer: viewer, responder)
        }
    }

    private func signInPosted(_ request: HTTPRequest, viewer: WebViewer?, _ responder: HTTPResponder) {
        let name = (request.form["name"] ?? "").trimmingBlanks()
        guard let formCookie = cookie(WebViewer.formCookie, of: request), SessionToken.isWellFormed(formCookie),
            SessionToken.same(request.form["csrf"] ?? "", SessionToken.derived(formCookie, purpose: "signin"))
        else {
            let expired = WireError(.badUsage, "The form had expired; please sign in again.")
            return responder.respond(signInForm(request, status: 403, name: name, problem: expired))
        }
        let password = request.form["password"] ?? ""
        guard !name.isEmpty, !password.isEmpty else {
            let missing = WireError(.badUsage, "Please give both your name and your password.")
            return responder.respond(signInForm(request, status: 400, name: name, problem: missing))
        }
        let (host, secure) = client(of: request)
        signIn(name, password, host, secure) { [self] result in
            switch result {
            case .success(let signedIn):
                var response = seeOther(WebPath.home)
                let seconds = WebSessionRules.lifetimeMilliseconds / 1000
                response.headers += [
                    (
                        "Set-Cookie",
                        WebViewer.setting(WebViewer.sessionCookie, signedIn.token, seconds: seconds, secure: secure)
                    ),
                    ("Set-Cookie", WebViewer.clearing(WebViewer.formCookie, secure: secure)),
                ]
                // A session this browser held before ends first: one browser, one session.
                guard let old = cookie(WebViewer.sessionCookie, of: request), SessionToken.isWellFormed(old) else {
                    return responder.respond(response)
                }
                signOut(old) { _ in responder.respond(response) }
            case .failure(let error):
                responder.respond(signInForm(request, status: Self.status(of: error), name: name, problem: error))
            }
        }
    }

    private func postPosted(_ request: HTTPRequest, viewer: WebViewer?, _ responder: HTTPResponder) {
        let text = request.form["text"] ?? ""
        guard let viewer else {
            let signedOut = WireError(.notLoggedIn, "Please sign in to post; your session has ended.")
            return responder.respond(signInForm(request, status: 403, problem: signedOut))
        }
        let answer = { (response: HTTPResponse) in responder.respond(Self.prepared(response, personal: true)) }
        guard SessionToken.same(request.form["csrf"] ?? "", viewer.formToken) else {
            return listing(
                .home, scope: .everyone, before: nil, viewer: viewer, draft: text,
                problem: "The form had expired; please post again.", { answer(Self.with(403, $0)) })
        }
        post(text, viewer.user, client(of: request).host) { [self] result in
            switch result {
            case .success:
                responder.respond(seeOther(WebPath.home))
            case .failure(let error):
                listing(
                    .home, scope: .everyone, before: nil, viewer: viewer, draft: text, problem: error.messageWithWait,
                    {
                        var response = Self.with(Self.status(of: error), $0)
                        if let wait = error.retryAfter {
                            response.headers.append(("Retry-After", "\(Int(wait.rounded(.up)))"))
                        }
                        answer(response)
                    })
            }
        }
    }

    private func signOutPosted(_ request: HTTPRequest, viewer: WebViewer?, _ responder: HTTPResponder) {
        var response = seeOther(WebPath.home)
        response.headers.append(
            ("Set-Cookie", WebViewer.clearing(WebViewer.sessionCookie, secure: client(of: request).secure)))
        guard let viewer else { return responder.respond(response) }
        guard SessionToken.same(request.form["csrf"] ?? "", viewer.formToken) else {
            return responder.respond(page(.forbidden))
        }
        signOut(viewer.token) { [self] result in
            switch result {
            case .success: responder.respond(response)
            case .failure: responder.respond(page(.unavailable))
            }
        }
    }

    /// The HTTP status for a refusal with `error`'s code.
    static func status(of error: WireError) -> Int {
        switch error.code {
        case .rateLimited, .throttled: 429
        case .storage, .shuttingDown: 503
        case .badLogin, .banned, .plaintextDenied, .notLoggedIn, .accountDeleted: 403
        default: 400
        }
    }

    private static func with(_ status: Int, _ response: HTTPResponse) -> HTTPResponse {
        var response = response
        if response.status == 200 { response.status = status }
        return response
    }

    /// `303 See Other` to `location`: after a form, the browser asks for the page itself (reloading it
    /// sends nothing again).
    func seeOther(_ location: String) -> HTTPResponse {
        HTTPResponse(
            status: 303, headers: [("Location", location), ("Cache-Control", "no-store")] + Self.securityHeaders)
    }

    /// `prepared`, for an answer made for one person: no cache between keeps it.
    static func prepared(_ response: HTTPResponse, personal: Bool) -> HTTPResponse {
        var response = response
        if personal && response.header("Cache-Control") == nil {
            response.headers.append(("Cache-Control", "no-store"))
        }
        return prepared(response)
    }
}
