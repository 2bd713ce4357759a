import Foundation
import MicroblogHTTP
import MicroblogServer
import MicroblogTestSupport
import MicroblogWeb
import Testing

/// A browser as far as the sign-in tests need one: it keeps the cookies it is given (dropping those set
/// with `Max-Age=0`), sends them back, and reads every header of a response, `Set-Cookie` each time.
final class TestBrowser {
    struct Answer {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: String
        func header(_ name: String) -> String? { headers.last { $0.name.lowercased() == name.lowercased() }?.value }
        var cookiesSet: [String] { headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) }
    }

    let port: UInt16
    var cookies: [String: String] = [:]
    /// Sent with every request, e.g. a proxy's `X-Forwarded-Proto`.
    var extraHeaders = ""

    init(port: UInt16) { self.port = port }

    func get(_ path: String) throws -> Answer { try send("GET", path) }

    func post(_ path: String, _ form: [(String, String)], headers: String = "") throws -> Answer {
        let body = form.map { WebPath.segment($0.0) + "=" + WebPath.segment($0.1) }.joined(separator: "&")
        return try send(
            "POST", path,
            headers: "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
                + headers, body: body)
    }

    /// The `csrf` field of the first form on `page`.
    static func formToken(_ page: Answer) -> String? {
        guard let range = page.body.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(page.body[range.upperBound...].prefix { $0 != "\"" })
    }

    private func send(_ method: String, _ path: String, headers: String = "", body: String = "") throws -> Answer {
        let client = try BlockingClient(port: port)
        let cookie =
            cookies.isEmpty ? "" : "Cookie: " + cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n"
        client.sendRaw(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\(cookie)\(extraHeaders)\(headers)\r\n\(body)"
        )
        let statusLine = try client.readLine()
        var answer = Answer(
            status: Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0, headers: [], body: "")
        while true {
            let line = try client.readLine()
            if line.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            answer.headers.append(
                (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""))
        }
        let length = Int(answer.header("Content-Length") ?? "0") ?? 0
        answer.body = String(decoding: try client.readBytes(count: length), as: UTF8.self)
        for set in answer.cookiesSet {
            let pair = set.prefix { $0 != ";" }.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if set.contains("Max-Age=0") {
                cookies[String(pair[0])] = nil
            } else {
                cookies[String(pair[0])] = String(pair[1])
            }
        }
        return answer
    }

    /// Opens `/signin` and sends its form with `name` and `password`.
    @discardableResult
    func signIn(_ name: String, _ password: String) throws -> Answer {
        let form = try get(WebPath.signIn)
        let token = try #require(Self.formToken(form), "\(form.body)")
        return try post(WebPath.signIn, [("name", name), ("password", password), ("csrf", token)])
    }

    /// Posts `text` from the form on `/`.
    @discardableResult
    func postFromHome(_ text: String) throws -> Answer {
        let home = try get(WebPath.home)
        let token = try #require(Self.formToken(home), "\(home.body)")
        return try post(WebPath.newPost, [("text", text), ("csrf", token)])
    }
}

/// Signing in, posting and signing out on the web door, over real sockets, with what every other door
/// sees of it.
@Suite("End to end: signing in and posting on the web door")
struct WebSignInTests {
    private func server(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer {
            $0.web = WebConfiguration(port: 0)
            configure(&$0)
        }
    }

    private func browser(_ server: TestServer) throws -> TestBrowser {
        TestBrowser(port: try #require(server.server.webPort))
    }

    @Test func aPostFromTheFormReachesEveryDoorLiveAndSigningOutEndsTheSession() throws {
        let server = try server()
        _ = try server.registeredClient("alice", password: "hunter2hunter2")
        let watcher = try server.greetedClient()
        let browser = try browser(server)

        let visitor = try browser.get("/")
        #expect(visitor.body.contains("<a href=\"/signin\">Sign in</a>") && !visitor.body.contains("class=\"compose\""))
        let wrong = try browser.signIn("alice", "not her password")
        #expect(wrong.status == 403 && wrong.body.contains("Wrong name or password"), "\(wrong.body)")
        #expect(browser.cookies["microblogd_session"] == nil)

        // The name as typed in another case signs in, as /login does.
        let signedIn = try browser.signIn("ALICE", "hunter2hunter2")
        #expect(signedIn.status == 303 && signedIn.header("Location") == "/")
        let session = try #require(signedIn.cookiesSet.first { $0.hasPrefix("microblogd_session=") })
        #expect(session.contains("; HttpOnly") && session.contains("; SameSite=Strict") && !session.contains("Secure"))
        #expect(session.contains("Max-Age=2592000"))

        let home = try browser.get("/")
        #expect(home.body.contains("Signed in as <a href=\"/@alice\">"), "\(home.body)")
        #expect(home.body.contains("<form class=\"compose\""))
        #expect(home.header("Cache-Control") == "private, no-cache" && home.header("Vary") == "Cookie")

        // A textarea's line break becomes a space: a post is one line on every door.
        let posted = try browser.postFromHome("Hello from the\r\nweb form #web")
        #expect(posted.status == 303 && posted.header("Location") == "/")
        #expect(try watcher.readLine().hasSuffix(" alice: Hello from the web form #web"))
        #expect(try browser.get("/").body.contains("Hello from the web form"))

        // Refused text comes back in the form with the reason.
        let long = try browser.postFromHome(String(repeating: "x", count: 281))
        #expect(long.status == 400 && long.body.contains("at most 280 characters"))
        #expect(long.body.contains(String(repeating: "x", count: 281) + "</textarea>"))

        // Signing in again from the same browser (a sign-in form left open in another tab) ends the session
        // it held.
        let first = browser.cookies
        browser.cookies["microblogd_session"] = nil
        let form = try browser.get(WebPath.signIn)
        browser.cookies["microblogd_session"] = first["microblogd_session"]
        let token = try #require(TestBrowser.formToken(form))
        let resigned = try browser.post(
            WebPath.signIn, [("name", "alice"), ("password", "hunter2hunter2"), ("csrf", token)])
        #expect(resigned.status == 303 && browser.cookies["microblogd_session"] != first["microblogd_session"])
        let again = TestBrowser(port: browser.port)
        again.cookies = first
        #expect(try !again.get("/").body.contains("Signed in as"))
        // A cookie of the wrong shape is not looked up: the visitor's page, and the cookie cleared.
        let odd = TestBrowser(port: browser.port)
        odd.cookies = ["microblogd_session": "zz"]
        let oddPage = try odd.get("/")
        #expect(
            oddPage.status == 200
                && oddPage.cookiesSet == ["microblogd_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"])

        let stolen = browser.cookies
        let home2 = try browser.get("/")
        let out = try browser.post(WebPath.signOut, [("csrf", try #require(TestBrowser.formToken(home2)))])
        #expect(out.status == 303 && browser.cookies["microblogd_session"] == nil)
        // The old cookie signs no one in any more, and is cleared.
        let replay = TestBrowser(port: browser.port)
        replay.cookies = stolen
        let after = try replay.get("/")
        #expect(
            !after.body.contains("Signed in as") && after.cookiesSet.contains { $0.hasPrefix("microblogd_session=;") })
        let late = try replay.post(WebPath.newPost, [("text", "after signing out"), ("csrf", "x")])
        #expect(late.status == 403)
        #expect(try watcher.run("/feed").contains("2 posts") == false)
    }

    @Test func aFormWithoutItsTokenOrFromAnotherSiteDoesNothing() throws {
        let server = try server()
        _ = try server.registeredClient("alice", password: "hunter2hunter2")
        let watcher = try server.greetedClient()
        let browser = try browser(server)
        // No form cookie behind the token: another site's form cannot sign anyone in.
        let forged = try browser.post(
            WebPath.signIn, [("name", "alice"), ("password", "hunter2hunter2"), ("csrf", "0")])
        #expect(forged.status == 403 && browser.cookies["microblogd_session"] == nil)
        try browser.signIn("alice", "hunter2hunter2")
        #expect(browser.cookies["microblogd_session"] != nil)
        // Signed in, a post needs the session's own token, and is refused when the browser says it came
        // from another site.
        let wrongToken = try browser.post(
            WebPath.newPost, [("text", "forged"), ("csrf", String(repeating: "a", count: 64))])
        #expect(wrongToken.status == 403 && wrongToken.body.contains("forged</textarea>"))
        let token = try #require(TestBrowser.formToken(try browser.get("/")))
        let crossSite = try browser.post(
            WebPath.newPost, [("text", "forged"), ("csrf", token)], headers: "Sec-Fetch-Site: cross-site\r\n")
        #expect(crossSite.status == 403)
        let signOutElsewhere = try browser.post(WebPath.signOut, [("csrf", "nope")])
        #expect(signOutElsewhere.status == 403 && browser.cookies["microblogd_session"] != nil)
        #expect(try watcher.run("/feed") == "* no posts yet; be the first")
        // Forms are posted; the other paths take no POST.
        let getPost = try browser.get(WebPath.newPost)
        #expect(getPost.status == 405 && getPost.header("Allow") == "POST")
        let postHome = try browser.post("/", [("text", "x")])
        #expect(postHome.status == 405 && postHome.header("Allow") == "GET, HEAD")
    }

    @Test func changingThePasswordWithLogoutOthersEndsWebSessions() throws {
        let server = try server()
        let alice = try server.registeredClient("alice", password: "hunter2hunter2")
        let browser = try browser(server)
        try browser.signIn("alice", "hunter2hunter2")
        #expect(try browser.get("/").body.contains("Signed in as"))
        alice.send("/passwd --logout-others")
        for (prompt, answer) in [
            ("Current password: ", "hunter2hunter2"), ("New password: ", "correct horse"),
            ("Repeat the new password: ", "correct horse"),
        ] {
            try alice.readUntilBytes(Array(prompt.utf8))
            alice.send(answer)
        }
        #expect(
            try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last
                == "* password changed; 1 other session ended")
        #expect(try !browser.get("/").body.contains("Signed in as"))
        // The new password signs in; the old one no longer does.
        #expect(try browser.signIn("alice", "hunter2hunter2").status == 403)
        #expect(try browser.signIn("alice", "correct horse").status == 303)
    }

    @Test func passwordsOnlyOverHTTPSWhenPlaintextPasswordsAreDenied() throws {
        let server = try server {
            $0.settings.plaintextPasswords = false
            $0.web?.trustedProxies = ["127.0.0.1"]
        }
        // No password crosses the plain door either: the account is made by the operator's tool.
        try AccountTool.create(name: "alice", password: "hunter2hunter2", database: server.databasePath)
        let plain = try browser(server)
        let page = try plain.get(WebPath.signIn)
        #expect(page.body.contains("accepted only over HTTPS") && !page.body.contains("type=\"password\""))
        let tried = try plain.post(WebPath.signIn, [("name", "alice"), ("password", "hunter2hunter2"), ("csrf", "0")])
        #expect(tried.status == 403 && plain.cookies["microblogd_session"] == nil)
        // Through the trusted proxy over HTTPS, the form is there and the cookie is Secure.
        let secure = try browser(server)
        secure.extraHeaders = "X-Forwarded-Proto: https\r\nX-Forwarded-For: 192.0.2.7\r\n"
        let signedIn = try secure.signIn("alice", "hunter2hunter2")
        #expect(signedIn.status == 303)
        // Over HTTPS the cookies carry the __Host- prefix: only this host, over HTTPS, can set them.
        #expect(signedIn.cookiesSet.contains { $0.hasPrefix("__Host-microblogd_session=") && $0.hasSuffix("; Secure") })
        #expect(try secure.get("/").body.contains("Signed in as"))
        // The plain name is not taken over HTTPS: a cookie planted without the prefix signs no one in.
        let planted = try browser(server)
        planted.extraHeaders = secure.extraHeaders
        planted.cookies = ["microblogd_session": try #require(secure.cookies["__Host-microblogd_session"])]
        #expect(try !planted.get("/").body.contains("Signed in as"))
    }

    @Test func passwordChecksDrawOnTheAddressBudget() throws {
        let server = try server { $0.settings.passwordChecksPerMinute = 2 }
        _ = try server.registeredClient("alice", password: "hunter2hunter2")
        let browser = try browser(server)
        // Registering drew on the same budget: a refusal comes within three tries.
        var statuses: [Int] = []
        for _ in 0..<3 where statuses.last != 429 {
            statuses.append(try browser.signIn("alice", "wrong password").status)
        }
        #expect(statuses.last == 429 && statuses.dropLast().allSatisfy { $0 == 403 }, "\(statuses)")
        let refused = try browser.signIn("alice", "hunter2hunter2")
        #expect(refused.status == 429 && refused.header("Retry-After") != nil)
        #expect(refused.body.contains("Too many"), "\(refused.body)")
        // A browser shows no header: the page says how long to wait, as the terminal doors do.
        #expect(refused.body.contains("; try again in "), "\(refused.body)")
    }
}

/// What the web door never shows: accounts that chose `/web off`, and banned ones; the terminal doors
/// are unchanged.
@Suite("End to end: what the web door hides")
struct WebHiddenAccountTests {
    @Test func webOffKeepsAProfileAndItsPostsOffEveryPageFeedSearchAndStream() throws {
        let server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.postRate = 0
        }
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        #expect(try bob.run("bob speaks #shared zebra").hasPrefix("* posted #1"))
        #expect(try alice.run("/repost 1").hasPrefix("* reposted #1 as #2"))
        #expect(try alice.run("/reply 1 alice answers #shared zebra").hasPrefix("* posted #3"))
        let web = TestBrowser(port: try #require(server.server.webPort))
        #expect(try web.get("/").body.contains("bob speaks"))

        #expect(try bob.run("/web") == "* the web door shows your profile and posts (/web off keeps them off it)")
        #expect(
            try bob.run("/web off")
                == "* the web door no longer shows your profile or posts (the terminal doors do)")
        #expect(try bob.run("/web") == "* the web door does not show your profile or posts (/web on shows them)")
        // Neither his post nor alice's repost of it; her reply stays, its parent a placeholder.
        let home = try web.get("/")
        #expect(!home.body.contains("bob speaks") && home.body.contains("alice answers"), "\(home.body)")
        #expect(!home.body.contains("id=\"post-2\""))
        for path in ["/@bob", "/@bob.atom", "/@bob/twtxt.txt", "/@bob/events", "/posts/1", "/posts/2"] {
            #expect(try web.get(path).status == 404, "\(path)")
        }
        // Her reply does not name him where the web door shows it.
        #expect(home.body.contains("in reply to <a href=\"/posts/1\">#1</a></p>"), "\(home.body)")
        #expect(!home.body.contains("href=\"/@bob\""))
        let thread = try web.get("/posts/3")
        #expect(thread.status == 200 && thread.body.contains("Post #1 was deleted or is not shown on the web."))
        #expect(!thread.body.contains("bob speaks"))
        for path in ["/feed.atom", "/tags/shared", "/tags/shared.atom", "/search?q=zebra"] {
            let page = try web.get(path)
            #expect(!page.body.contains("bob speaks") && page.body.contains("alice answers"), "\(path): \(page.body)")
        }
        // The terminal doors still show it.
        #expect(try alice.run("/feed").contains("3 posts"))

        // Live: once the door has read who is hidden (within a second), his new posts are not sent.
        let stream = try BlockingClient(port: web.port)
        stream.sendRaw("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try stream.readUntil { $0.isEmpty }
        var round = 0
        var bobsSent = true
        while bobsSent && round < 20 {
            round += 1
            let bobs = try #require(Int64(try bob.run("bob live \(round)").dropFirst("* posted #".count)))
            let alices = try #require(Int64(try alice.run("alice live \(round)").dropFirst("* posted #".count)))
            let ids = try stream.readUntil { $0 == "id: \(alices)" }
            bobsSent = ids.contains("id: \(bobs)")
        }
        #expect(!bobsSent, "bob's live posts were still sent after \(round) rounds")

        #expect(try bob.run("/web on") == "* the web door shows your profile and posts again")
        #expect(try web.get("/@bob").status == 200)
        #expect(try web.get("/").body.contains("bob speaks"))
    }

    @Test func aBannedAccountIsHiddenUntilTheBanIsLifted() throws {
        let server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.admins = ["root"]
        }
        let root = try server.registeredClient("root")
        let troll = try server.registeredClient("troll", password: "trolling123")
        #expect(try troll.run("spam spam spam").hasPrefix("* posted #1"))
        let web = TestBrowser(port: try #require(server.server.webPort))
        try web.signIn("troll", "trolling123")
        #expect(try web.get("/").body.contains("Signed in as"))
        #expect(try root.run("/ban troll spamming").hasPrefix("* troll is banned"))
        let home = try web.get("/")
        #expect(!home.body.contains("spam spam spam") && !home.body.contains("Signed in as"))
        #expect(try web.get("/@troll").status == 404)
        #expect(try web.signIn("troll", "trolling123").body.contains("This account is banned: spamming"))
        #expect(try root.run("/unban troll").hasPrefix("* troll"))
        #expect(try web.get("/").body.contains("spam spam spam"))
    }
}
