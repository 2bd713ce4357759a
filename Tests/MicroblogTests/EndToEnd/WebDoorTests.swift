import Foundation
import MicroblogHTTP
import MicroblogServer
import MicroblogTestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The web door over real sockets: what the terminal doors post is on its pages and feeds at once, read
/// through its own connection; every answer carries its security headers; the doors' limits hold.
@Suite("End to end: the web door")
struct WebDoorTests {
    private func server(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer {
            $0.web = WebConfiguration(port: 0)
            configure(&$0)
        }
    }

    private func get(_ server: TestServer, _ path: String, headers: String = "") throws -> ReadResponse {
        let client = try BlockingClient(port: try #require(server.server.webPort))
        client.sendRaw("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
        return try client.readResponse()
    }

    @Test func postsMadeOverTelnetAreOnThePagesAndFeeds() throws {
        let server = try server()
        let alice = try server.registeredClient("alice")
        #expect(try alice.run("hello from telnet #firstpost").hasPrefix("* posted #1"))
        try alice.run("/reply 1 and a reply")
        let home = try get(server, "/")
        #expect(home.status == 200)
        #expect(home.headers["content-type"] == "text/html; charset=utf-8")
        #expect(home.body.contains("hello from telnet"), "\(home.body)")
        #expect(home.body.contains("href=\"/tags/firstpost\""))
        #expect(try get(server, "/@alice").body.contains("and a reply"))
        let thread = try get(server, "/posts/2")
        #expect(
            thread.status == 200 && thread.body.contains("hello from telnet") && thread.body.contains("and a reply"))
        #expect(try get(server, "/tags/firstpost").body.contains("hello from telnet"))
        let twtxt = try get(server, "/@alice/twtxt.txt")
        #expect(twtxt.body.contains("\thello from telnet #firstpost\n"), "\(twtxt.body)")
        let atom = try get(server, "/feed.atom")
        #expect(atom.headers["content-type"] == "application/atom+xml; charset=utf-8")
        #expect(XMLParser(data: Data(atom.body.utf8)).parse(), "\(atom.body)")
        #expect(atom.body.components(separatedBy: "<entry>").count == 3)
    }

    @Test func unknownAndWrongRequestsGetTheirStatus() throws {
        let server = try server()
        let alice = try server.registeredClient("alice")
        try alice.run("a post")
        #expect(try get(server, "/@nobody").status == 404)
        #expect(try get(server, "/posts/99").status == 404)
        #expect(try get(server, "/nothing/here").status == 404)
        #expect(try get(server, "/?before=abc").status == 400)
        let moved = try get(server, "/@ALICE")
        #expect(moved.status == 301 && moved.headers["location"] == "/@alice")
        // A trailing slash leads to the page, its segments encoded again.
        let slashed = try get(server, "/@alice//")
        #expect(slashed.status == 301 && slashed.headers["location"] == "/@alice")
        let tagSlash = try get(server, "/tags/caf%C3%A9/")
        #expect(tagSlash.status == 301 && tagSlash.headers["location"] == "/tags/caf%C3%A9")
        // Never off the site (a Location of //host is another site), and the query is kept.
        for path in ["//evil.example/", "/%2F%2Fevil.example/", "///evil.example//"] {
            let away = try get(server, path)
            #expect(away.status == 301 && away.headers["location"] == "/evil.example", "\(path): \(away.headers)")
        }
        let search = try get(server, "/search/?q=caf%C3%A9")
        #expect(search.status == 301 && search.headers["location"] == "/search?q=caf%C3%A9", "\(search.headers)")
        let client = try BlockingClient(port: try #require(server.server.webPort))
        client.sendRaw("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
        let refused = try client.readResponse()
        #expect(refused.status == 405 && refused.headers["allow"] == "GET, HEAD")
    }

    @Test func everyAnswerCarriesItsHeadersAndACurrentCopyIsNotSentAgain() throws {
        let server = try server()
        var answers: [(String, ReadResponse)] = []
        for path in ["/", "/nothing", "/static/style.css", "/robots.txt", "/?before=abc", "/events?since=abc"] {
            answers.append((path, try get(server, path)))
        }
        let posted = try BlockingClient(port: try #require(server.server.webPort))
        posted.sendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        answers.append(("POST /", try posted.readResponse()))
        for (path, response) in answers {
            #expect(response.headers["content-security-policy"]?.contains("script-src 'self'") == true, "\(path)")
            #expect(response.headers["x-content-type-options"] == "nosniff", "\(path)")
            #expect(response.headers["x-frame-options"] == "DENY", "\(path)")
        }
        let first = try get(server, "/")
        let tag = try #require(first.headers["etag"])
        let again = try get(server, "/", headers: "If-None-Match: \(tag)\r\n")
        #expect(again.status == 304 && again.body.isEmpty)
        // A new post changes the page, and so its tag.
        let alice = try server.registeredClient("alice")
        try alice.run("something new")
        // The page kept for a second is dropped once the post reaches the door's live feed.
        #expect(waitUntil(timeout: 5) { (try? get(server, "/", headers: "If-None-Match: \(tag)\r\n").status) == 200 })
        #expect(try get(server, "/robots.txt").body == "User-agent: *\nDisallow: /\n")
        #expect(first.body.contains("<meta name=\"robots\" content=\"noindex\">"))
    }

    @Test func crawlersAreWelcomeWhenAllowed() throws {
        let server = try server { $0.web?.allowIndexing = true }
        #expect(try get(server, "/robots.txt").body == "User-agent: *\nAllow: /\n")
        #expect(!(try get(server, "/").body.contains("noindex")))
    }

    @Test func hostileTextIsEscapedOnEveryPage() throws {
        let server = try server()
        let mallory = try server.registeredClient("mallory")
        try mallory.run("<script>alert(1)</script> \"><img src=x onerror=alert(1)> javascript:alert(1) #x")
        for path in ["/", "/@mallory", "/posts/1", "/tags/x"] {
            let body = try get(server, path).body
            #expect(!body.contains("<script>alert"), "\(path)")
            #expect(!body.contains("<img"), "\(path)")
            #expect(!body.contains("href=\"javascript:"), "\(path)")
            #expect(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(path)")
        }
    }

    /// Every link and resource a page names is there: a crawl from `/` over the site's own paths meets
    /// no 404.
    @Test func everyLinkLeadsSomewhere() throws {
        let server = try server()
        let alice = try server.registeredClient("alice")
        try alice.run("a post with #tags and @alice")
        try alice.run("/reply 1 a reply")
        var seen: Set<String> = []
        var queue = ["/"]
        let link = try Regex(#"(?:href|src)="(/[^"]*)""#)
        while let path = queue.popLast(), seen.count < 60 {
            guard seen.insert(path).inserted else { continue }
            let response = try get(server, path.replacingOccurrences(of: "&amp;", with: "&"))
            #expect([200, 301].contains(response.status), "\(path): \(response.status)")
            guard response.headers["content-type"]?.hasPrefix("text/html") == true else { continue }
            for match in response.body.matches(of: link) {
                if let found = match.output[1].substring { queue.append(String(found)) }
            }
        }
        #expect(seen.contains("/static/live.js") && seen.contains("/@alice") && seen.contains("/posts/2"))
    }

    @Test func theDoorsConnectionLimitsHold() throws {
        let server = try server { $0.settings.maxConnectionsPerIP = 2 }
        let port = try #require(server.server.webPort)
        let first = try BlockingClient(port: port)
        let second = try BlockingClient(port: port)
        first.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try first.readResponse().status == 200)
        let third = try BlockingClient(port: port)
        let refused = try third.readResponse()
        #expect(refused.status == 429, "\(refused)")
        _ = second
        // Closing one lets another in.
        first.close()
        #expect(
            waitUntil(timeout: 5) {
                guard let next = try? BlockingClient(port: port) else { return false }
                next.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return (try? next.readResponse(timeout: 2).status) == 200
            })
    }
}

/// The web door's live streams: what is posted on any door arrives at once, each listing only its own,
/// and a reconnecting client is sent what it missed, once.
@Suite("End to end: the web door's live streams")
struct WebDoorLiveTests {
    private func stream(_ server: TestServer, _ path: String, lastEventID: Int64? = nil) throws -> BlockingClient {
        let client = try BlockingClient(port: try #require(server.server.webPort))
        let header = lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? ""
        client.sendRaw("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(header)\r\n")
        #expect(try client.readLine() == "HTTP/1.1 200 OK")
        let head = try client.readUntil { $0.isEmpty }
        #expect(head.contains { $0.lowercased() == "content-type: text/event-stream; charset=utf-8" }, "\(head)")
        return client
    }

    /// The ids of the next `count` post events.
    private func postIDs(_ client: BlockingClient, count: Int) throws -> [Int64] {
        var ids: [Int64] = []
        while ids.count < count {
            let line = try client.readLine()
            if line.hasPrefix("id: ") { ids.append(Int64(line.dropFirst(4))!) }
        }
        return ids
    }

    @Test func postsArriveLiveAndDeletionsFollow() throws {
        let server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.postRate = 0
        }
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let everyone = try stream(server, "/events?since=0")
        let alices = try stream(server, "/@alice/events?since=0")
        let tagged = try stream(server, "/tags/web/events?since=0")
        #expect(try alice.run("first #web").hasPrefix("* posted #1"))
        #expect(try bob.run("bob's, not alice's").hasPrefix("* posted #2"))
        #expect(try alice.run("alice again").hasPrefix("* posted #3"))
        #expect(try postIDs(everyone, count: 3) == [1, 2, 3])
        #expect(try postIDs(alices, count: 2) == [1, 3])
        #expect(try postIDs(tagged, count: 1) == [1])
        #expect(try alice.run("/delete 3").hasPrefix("* deleted"))
        try everyone.readUntil { $0 == "event: deleted" }
        #expect(try everyone.readLine() == "data: 3")
    }

    @Test func aReconnectingClientIsSentWhatItMissedOnce() throws {
        let server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.postRate = 0
        }
        let alice = try server.registeredClient("alice")
        for text in ["one", "two", "three"] { try alice.run(text) }
        let back = try stream(server, "/events", lastEventID: 1)
        #expect(try postIDs(back, count: 2) == [2, 3])
        try alice.run("four")
        #expect(try postIDs(back, count: 1) == [4])
        // The page says where its stream starts: the newest post it shows.
        let client = try BlockingClient(port: try #require(server.server.webPort))
        client.sendRaw("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body.contains("data-live=\"/events?since=4\""))
    }
}

/// `/search?q=` on the web door: the same search, bounds and budget as `/search`.
@Suite("End to end: searching the web door")
struct WebSearchTests {
    @Test func findsWhatSlashSearchFindsWithinItsBudget() throws {
        let server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.searchesPerMinute = 3
        }
        let alice = try server.registeredClient("alice")
        try alice.run("the quick brown fox")
        try alice.run("a lazy dog")
        let port = try #require(server.server.webPort)
        func get(_ path: String) throws -> ReadResponse {
            let client = try BlockingClient(port: port)
            client.sendRaw("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            return try client.readResponse()
        }
        let empty = try get("/search")
        #expect(empty.status == 200 && empty.body.contains("name=\"q\""))
        // Like /search, it waits for the search index to hold every post committed before it.
        let found = try get("/search?q=brown+fox")
        #expect(found.status == 200 && found.body.contains("the quick brown fox") && !found.body.contains("lazy"))
        let bad = try get("/search?q=" + String(repeating: "a", count: 60))
        #expect(bad.status == 400 && bad.body.contains("at most 50 characters"), "\(bad.body)")
        var limited = try get("/search?q=dog")
        for _ in 0..<5 where limited.status != 429 { limited = try get("/search?q=dog") }
        #expect(limited.status == 429 && limited.headers["retry-after"] != nil, "\(limited)")
    }
}

/// `/metrics`: `/stats` in the Prometheus text format, for the addresses `--metrics-allow` names only.
@Suite("End to end: the web door's /metrics")
struct WebMetricsTests {
    private func get(_ server: TestServer, _ path: String) throws -> ReadResponse {
        let client = try BlockingClient(port: try #require(server.server.webPort))
        client.sendRaw("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        return try client.readResponse()
    }

    @Test func theFiguresAreScrapedFromLoopbackOnly() throws {
        let server = try TestServer { $0.web = WebConfiguration(port: 0) }
        let alice = try server.registeredClient("alice")
        try alice.run("counted")
        let metrics = try get(server, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let lines = metrics.body.split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE microblogd_posts gauge"))
        #expect(lines.contains("microblogd_posts 1"), "\(lines)")
        #expect(lines.contains("# TYPE microblogd_deliveries_total counter"))
        #expect(lines.contains("microblogd_storage_faults_total 0"))
        #expect(lines.contains("microblogd_door_connections{door=\"plain\"} 1"), "\(lines)")
        // The web door's relay to the live feed is no session watching.
        #expect(lines.contains("microblogd_sessions_watching 1"), "\(lines)")
        // Every sample line is NAME[{labels}] NUMBER.
        let sample = try Regex(#"^[a-z_][a-z0-9_]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.]+(e[+-]?[0-9]+)?$"#)
        for line in lines where !line.hasPrefix("#") { #expect(line.wholeMatch(of: sample) != nil, "\(line)") }

        let closed = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.web?.metricsAllow = ["192.0.2.1"]
        }
        #expect(try get(closed, "/metrics").status == 404)
    }
}

/// The path of nginx, if installed (`.ci/run` installs it).
let nginxPath: String? = ["/usr/sbin/nginx", "/usr/bin/nginx"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// The web door behind nginx, as README shows it for HTTPS: pages and live streams pass through (no
/// buffering), the proxy is not held to the per-address limit, and X-Forwarded-For names the client.
@Suite(
    "End to end: the web door behind nginx",
    .enabled(if: nginxPath != nil, "nginx is not installed (.ci/run installs it)"))
struct WebBehindProxyTests {
    /// nginx in the foreground on an ephemeral port, proxying to `upstream`, stopped on deinit.
    final class Nginx {
        private var pid: pid_t = 0
        let port: UInt16
        let directory: TemporaryDirectory

        init(upstream: UInt16) throws {
            directory = try TemporaryDirectory()
            port = try freeLoopbackPort()
            let config = """
                worker_processes 1;
                daemon off;
                pid \(directory.path)/nginx.pid;
                error_log \(directory.path)/error.log;
                events { worker_connections 256; }
                http {
                    access_log off;
                    server {
                        listen 127.0.0.1:\(port);
                        location / {
                            proxy_pass http://127.0.0.1:\(upstream);
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                            proxy_set_header X-Forwarded-Proto $scheme;
                            proxy_buffering off;
                            proxy_read_timeout 1h;
                        }
                    }
                }
                """
            try config.write(toFile: directory.path + "/nginx.conf", atomically: true, encoding: .utf8)
            // Not Foundation's Process: it would pass nginx every open descriptor of this process (other
            // tests' sockets), which would then never close for their peers.
            let null = open("/dev/null", O_WRONLY)
            defer { close(null) }
            pid = try CleanSpawn.start(
                nginxPath!, ["-p", directory.path, "-c", directory.path + "/nginx.conf"], output: null, errors: null)
            let ready = waitUntil(timeout: 10) { (try? BlockingClient(port: port)) != nil }
            guard ready else { throw TestFailure("nginx did not start") }
        }

        deinit {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    @Test func pagesAndLiveStreamsPassThroughAndTheClientIsNamed() throws {
        let server = try TestServer {
            var web = WebConfiguration(port: 0)
            web.trustedProxies = ["127.0.0.1"]
            $0.web = web
            $0.settings.maxConnectionsPerIP = 2
        }
        let nginx = try Nginx(upstream: try #require(server.server.webPort))
        let alice = try server.registeredClient("alice")
        try alice.run("before the streams")
        // Three streams at once through the proxy: three connections from 127.0.0.1, over the limit of 2
        // an address may hold, but the proxy is trusted.
        var streams: [BlockingClient] = []
        for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            let client = try BlockingClient(port: nginx.port, source: source)
            client.sendRaw("GET /events?since=1 HTTP/1.1\r\nHost: example.org\r\n\r\n")
            #expect(try client.readLine() == "HTTP/1.1 200 OK")
            try client.readUntil { $0.hasPrefix("retry:") }
            streams.append(client)
        }
        try alice.run("through nginx, live")
        for client in streams {
            let lines = try client.readUntil { $0.contains("through nginx, live") }
            #expect(lines.contains("id: 2"), "\(lines)")
        }
        let page = try BlockingClient(port: nginx.port, source: "127.0.0.2")
        page.sendRaw("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
        let home = try page.readResponse()
        #expect(home.status == 200 && home.body.contains("through nginx, live"))
        // /metrics answers loopback only: a client of the proxy is named by X-Forwarded-For (a forged
        // header of its own is not believed), so it is turned away.
        let scraper = try BlockingClient(port: nginx.port, source: "127.0.0.2")
        scraper.sendRaw("GET /metrics HTTP/1.1\r\nHost: example.org\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n")
        #expect(try scraper.readResponse().status == 404)
        let direct = try BlockingClient(port: try #require(server.server.webPort))
        direct.sendRaw("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try direct.readResponse().status == 200)
    }
}
