import Foundation
import MicroblogTestSupport
import Testing

/// The web door's feeds and `/metrics` as the programs that read them parse them: Atom by feedparser,
/// twtxt by the twtxt reference client's parser, `/metrics` by the Prometheus client's parser, each run
/// against the real server over loopback (the scripts are in `Tests/WebClients/`). Posts are made over the
/// plain door, hostile ones among them, and each must come back as it was posted.
@Suite(
    "End to end: the web door's Atom feeds, read by feedparser",
    .enabled(
        if: WebClients.hasFeedparser,
        "needs feedparser for /usr/bin/python3: apt-get install python3-feedparser (.ci/run installs it)"))
struct WebAtomParserTests {
    /// The feeds checked, each with the posts it must hold (newest first).
    private func feeds(_ site: PostedSite) -> [(path: String, posts: [PostedSite.Post])] {
        let newestFirst = site.posts.reversed()
        return [
            ("/feed.atom", Array(newestFirst)),
            ("/@alice.atom", newestFirst.filter { $0.author == "alice" }),
            ("/@mallory.atom", newestFirst.filter { $0.author == "mallory" }),
            ("/tags/hostile.atom", newestFirst.filter { $0.text.contains("#hostile") }),
            ("/tags/caf%C3%A9.atom", newestFirst.filter { $0.text.contains("#café") }),
        ]
    }

    private func read(_ site: PostedSite, _ paths: [String]) throws -> [AtomFeedReport] {
        let report = try WebClients.report(AtomReport.self, "atom_feeds.py", paths.map { site.base + $0 })
        return report.feeds
    }

    /// True for a tag URI (RFC 4151) minted under a domain name: `tag:example.org,2026:post:1`.
    private func isTagURI(_ id: String?) -> Bool {
        id?.wholeMatch(of: /tag:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?,[0-9]{4}(?:-[0-9]{2}){0,2}:[!-~]+/) != nil
    }

    /// True for an absolute http(s) URL with a host.
    private func isAbsolute(_ href: String?) -> Bool {
        guard let href, let url = URL(string: href), let scheme = url.scheme, url.host != nil else { return false }
        return scheme == "http" || scheme == "https"
    }

    @Test func everyFeedParsesCleanlyAndGivesBackEachPost() throws {
        let site = try PostedSite()
        try site.postHostileTexts()
        // Longer than an entry title holds: the title is the text's start and an ellipsis.
        try site.post("alice", String(repeating: "ünïcode wörds ", count: 8) + "and the end #hostile")
        let expected = feeds(site)
        let parsed = try read(site, expected.map(\.path))
        #expect(parsed.count == expected.count)
        for (feed, (path, posts)) in zip(parsed, expected) {
            #expect(!feed.bozo, "\(path): \(feed.bozoException ?? "")")
            #expect(feed.version == "atom10", "\(path)")
            #expect(feed.contentType == "application/atom+xml; charset=utf-8", "\(path)")
            #expect(isTagURI(feed.id), "\(path): \(feed.id ?? "no id")")
            #expect(feed.updated == posts.first?.second, "\(path): the feed's updated is its newest post's time")
            #expect(feed.links.contains { $0.rel == "self" && $0.href == site.base + path }, "\(path): \(feed.links)")
            #expect(feed.links.allSatisfy { isAbsolute($0.href) }, "\(path): \(feed.links)")
            #expect(feed.entries.count == posts.count, "\(path)")
            for (entry, post) in zip(feed.entries, posts) {
                let what = "\(path), post #\(post.id)"
                #expect(isTagURI(entry.id), "\(what): \(entry.id ?? "no id")")
                #expect(entry.link == site.base + "/posts/\(post.id)", "\(what)")
                #expect(entry.links.allSatisfy { isAbsolute($0.href) }, "\(what): \(entry.links)")
                #expect(entry.updated == post.second && entry.published == post.second, "\(what)")
                #expect(entry.author == post.author, "\(what)")
                #expect(entry.authorURI == site.base + "/@" + post.author, "\(what)")
                // A title is text: shown as such, it is the post's text, or its start and an ellipsis.
                let title = entry.title ?? ""
                #expect(entry.titleType == "text/plain", "\(what)")
                #expect(
                    title == post.text || (title.hasSuffix("…") && post.text.hasPrefix(title.dropLast())),
                    "\(what): \(title.debugDescription) for \(post.text.debugDescription)")
                let content = entry.content.first
                #expect(content?.type == "text/html", "\(what)")
                // The text's paragraph, as a reader shows it after sanitizing, is the post's text.
                #expect(content?.paragraphs.last == post.text, "\(what): \(content?.paragraphs ?? [])")
                if let parent = post.replyTo {
                    #expect(
                        content?.paragraphs.first == "In reply to #\(parent.id) by @\(parent.author)",
                        "\(what): \(content?.paragraphs ?? [])")
                }
                for href in content?.hrefs ?? [] { #expect(isAbsolute(href), "\(what): \(href)") }
            }
        }
        // What the texts hold stays text: the only links in the content are the site's and the web URL.
        let links = Set(parsed.flatMap(\.entries).flatMap(\.content).flatMap(\.hrefs))
        #expect(
            links.allSatisfy { $0.hasPrefix(site.base + "/") || $0 == "https://example.com/a?b=1&c=2#top" },
            "\(links)")
        #expect(links.contains("https://example.com/a?b=1&c=2#top") && links.contains(site.base + "/@mallory"))
    }

    /// A feed reader knows an entry by its id: each is unique, and the same post has the same id in every
    /// fetch, when newer posts have come since.
    @Test func entryIDsAreUniqueAndStableAcrossFetches() throws {
        let site = try PostedSite()
        try site.postHostileTexts()
        let paths = feeds(site).map(\.path)
        let first = try read(site, paths)
        let newer = try site.post("alice", "newer, after the first fetch #hostile")
        let second = try read(site, paths)
        for (before, after) in zip(first, second) {
            let path = before.url
            let idsBefore = before.entries.compactMap(\.id)
            let idsAfter = after.entries.compactMap(\.id)
            #expect(idsBefore.count == before.entries.count && Set(idsBefore).count == idsBefore.count, "\(path)")
            #expect(idsAfter.count == after.entries.count && Set(idsAfter).count == idsAfter.count, "\(path)")
            var idByLink: [String: String] = [:]
            for entry in before.entries { idByLink[entry.link ?? ""] = entry.id }
            for entry in after.entries {
                if let old = idByLink[entry.link ?? ""] {
                    #expect(entry.id == old, "\(path): \(entry.link ?? "")")
                } else {
                    #expect(entry.link == site.base + "/posts/\(newer.id)", "\(path): \(entry.link ?? "")")
                    #expect(!idsBefore.contains(entry.id ?? ""), "\(path): a new post took an old id")
                }
            }
        }
        let home = try #require(second.first)
        #expect(home.entries.count == first[0].entries.count + 1)
        #expect(home.updated == newer.second)
    }
}

@Suite(
    "End to end: the web door's twtxt files, read by the twtxt reference client",
    .enabled(
        if: WebClients.hasTwtxt,
        "needs twtxt for /usr/bin/python3: /usr/bin/python3 -m pip install --break-system-packages twtxt (.ci/run installs it)"
    ))
struct WebTwtxtParserTests {
    @Test func everyPostComesBackWithItsTimeAndText() throws {
        let site = try PostedSite()
        try site.postHostileTexts()
        for name in ["alice", "mallory"] {
            let report = try WebClients.report(TwtxtReport.self, "twtxt_file.py", [site.base + "/@\(name)/twtxt.txt"])
            let posts = site.posts.filter { $0.author == name }
            #expect(report.contentType == "text/plain; charset=utf-8", "\(name)")
            #expect(report.rejected.isEmpty, "\(name): \(report.rejected)")
            // Oldest first, as a twtxt file grows.
            #expect(report.tweets.map(\.text) == posts.map(\.text), "\(name)")
            // The client keeps a time to the second.
            #expect(report.tweets.map(\.createdAt) == posts.map(\.second), "\(name)")
        }
    }
}

@Suite(
    "End to end: the web door's /metrics, read by the Prometheus client's parser",
    .enabled(
        if: WebClients.hasPrometheusClient,
        "needs prometheus_client for /usr/bin/python3: apt-get install python3-prometheus-client (.ci/run installs it)"
    ))
struct WebMetricsParserTests {
    @Test func theParserReadsEveryFamily() throws {
        let site = try PostedSite()
        try site.postHostileTexts()
        let report = try WebClients.report(MetricsReport.self, "metrics.py", [site.base + "/metrics"])
        #expect(report.error == nil, "\(report.error ?? "")")
        #expect(report.contentType == "text/plain; version=0.0.4; charset=utf-8")
        let names = report.families.map(\.name)
        #expect(Set(names).count == names.count, "a family is described twice: \(names)")
        for family in report.families {
            #expect(["counter", "gauge"].contains(family.type), "\(family.name): \(family.type)")
            #expect(!family.documentation.isEmpty, "\(family.name)")
            #expect(!family.samples.isEmpty, "\(family.name)")
        }
        func family(_ name: String) -> MetricsReport.Family? { report.families.first { $0.name == name } }
        func value(_ family: MetricsReport.Family?, _ labels: [String: String] = [:]) -> Double? {
            family?.samples.first { $0.labels == labels }.flatMap { Double($0.value) }
        }
        let doors = try #require(family("microblogd_door_connections"), "\(names)")
        #expect(doors.type == "gauge")
        #expect(value(doors, ["door": "plain"]) == Double(site.plainConnections), "\(doors.samples)")
        // The scrape itself is a connection to the web door.
        #expect((value(doors, ["door": "web"]) ?? 0) >= 1, "\(doors.samples)")
        #expect(value(family("microblogd_posts")) == Double(site.posts.count))
        // The parser names a counter's family without `_total`; its sample keeps it.
        let deliveries = try #require(family("microblogd_deliveries"), "\(names)")
        #expect(deliveries.type == "counter" && deliveries.samples.first?.name == "microblogd_deliveries_total")
        #expect(value(family("microblogd_storage_faults")) == 0)
    }
}

/// What `atom_feeds.py` prints.
struct AtomReport: Decodable {
    var feeds: [AtomFeedReport]
}

struct AtomFeedReport: Decodable {
    struct Link: Decodable, CustomStringConvertible {
        var rel: String?
        var href: String?
        var description: String { "\(rel ?? "-") \(href ?? "-")" }
    }

    struct Content: Decodable {
        var type: String?
        var paragraphs: [String]
        var hrefs: [String]
    }

    struct Entry: Decodable {
        var id: String?
        var title: String?
        var titleType: String?
        var updated: String?
        var published: String?
        var link: String?
        var links: [Link]
        var author: String?
        var authorURI: String?
        var content: [Content]
    }

    var url: String
    var contentType: String?
    var bozo: Bool
    var bozoException: String?
    var version: String?
    var title: String?
    var id: String?
    var updated: String?
    var links: [Link]
    var entries: [Entry]
}

/// What `twtxt_file.py` prints.
struct TwtxtReport: Decodable {
    struct Tweet: Decodable {
        var createdAt: String
        var text: String
    }

    struct Rejected: Decodable {
        var line: String
        var error: String
    }

    var contentType: String?
    var tweets: [Tweet]
    var rejected: [Rejected]
}

/// What `metrics.py` prints.
struct MetricsReport: Decodable {
    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        /// Python's repr of the float.
        var value: String
    }

    struct Family: Decodable {
        var name: String
        var type: String
        var documentation: String
        var samples: [Sample]
    }

    var contentType: String?
    var error: String?
    var families: [Family]
}
