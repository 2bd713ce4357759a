import Foundation
import MicroblogModel
import Testing

@testable import MicroblogWeb

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct WebFeedTests {
    static let site = FeedSite(siteName: "micro<blog>d", baseURL: "https://m.test/", idAuthority: "m.test,2026")

    /// What XMLParser reads of a feed: the text of each element by path, in order, or the parse error.
    final class FeedReader: NSObject, XMLParserDelegate {
        var path: [String] = []
        var values: [(path: String, text: String)] = []
        var attributes: [(path: String, attributes: [String: String])] = []
        var error: Error?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            path.append(name)
            self.attributes.append((path.joined(separator: "/"), attributes))
            values.append((path.joined(separator: "/"), ""))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let index = values.lastIndex(where: { $0.path == path.joined(separator: "/") }) {
                values[index].text += string
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            path.removeLast()
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

        func texts(_ path: String) -> [String] { values.filter { $0.path == path }.map(\.text) }

        static func read(_ xml: String) -> FeedReader {
            let reader = FeedReader()
            let parser = XMLParser(data: Data(xml.utf8))
            parser.delegate = reader
            if !parser.parse() && reader.error == nil {
                reader.error = parser.parserError ?? CocoaError(.coderReadCorrupt)
            }
            return reader
        }
    }

    @Test func aFeedParsesAndSaysWhatItIs() throws {
        let posts = [
            WebSafety.post(
                2, "bob", "hi @alice #Swift https://swift.org & <b>", replyTo: PostReference(id: 1, author: "alice")),
            WebSafety.post(1, "alice", String(repeating: "long ", count: 40)),
        ]
        let xml = AtomFeed.render(
            .profile("Bob"), posts: posts, site: Self.site, emptyUpdated: Timestamp(milliseconds: 0))
        #expect(
            xml.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"))
        let feed = FeedReader.read(xml)
        #expect(feed.error == nil, "\(String(describing: feed.error))")
        #expect(feed.texts("feed/title") == ["Bob on micro<blog>d"])
        #expect(feed.texts("feed/id") == ["tag:m.test,2026:feed:/@bob"])
        #expect(feed.texts("feed/updated") == ["2026-11-26T11:22:05.123Z"])
        let links = feed.attributes.filter { $0.path == "feed/link" }.map(\.attributes)
        #expect(links.contains { $0["rel"] == "self" && $0["href"] == "https://m.test/@Bob.atom" })
        #expect(
            links.contains {
                $0["rel"] == "alternate" && $0["type"] == "text/html" && $0["href"] == "https://m.test/@Bob"
            })
        #expect(feed.texts("feed/entry/id") == ["tag:m.test,2026:post:2", "tag:m.test,2026:post:1"])
        #expect(feed.texts("feed/entry/published") == ["2026-11-26T11:22:05.123Z", "2026-11-26T11:21:05.123Z"])
        #expect(feed.texts("feed/entry/author/name") == ["bob", "alice"])
        let titles = feed.texts("feed/entry/title")
        #expect(titles[0] == "hi @alice #Swift https://swift.org & <b>")
        #expect(titles[1].count == AtomFeed.titleCharacters && titles[1].hasSuffix("…"))
        let content = feed.texts("feed/entry/content")[0]
        #expect(
            content.contains(
                "<p>In reply to <a href=\"https://m.test/posts/1\">#1</a> by <a href=\"https://m.test/@alice\">@alice</a></p>"
            ))
        #expect(content.contains("<a class=\"mention\" href=\"https://m.test/@alice\">@alice</a>"))
        #expect(content.contains("&amp; &lt;b&gt;</p>"))
        let entryLinks = feed.attributes.filter { $0.path == "feed/entry/link" }.map { $0.attributes["href"] }
        #expect(entryLinks == ["https://m.test/posts/2", "https://m.test/posts/1"])
    }

    @Test func entryIDsNeverChange() {
        let original = WebSafety.post(5, "bob", "first words", likes: 0)
        var edited = original
        edited.text = "other words"
        edited.likes = 9
        let before = FeedReader.read(
            AtomFeed.render(.home, posts: [original], site: Self.site, emptyUpdated: WebSafety.time))
        let moved = FeedSite(siteName: "renamed", baseURL: "http://127.0.0.1:8080", idAuthority: "m.test,2026")
        let after = FeedReader.read(
            AtomFeed.render(.tag("swift"), posts: [edited], site: moved, emptyUpdated: WebSafety.time))
        #expect(before.texts("feed/entry/id") == ["tag:m.test,2026:post:5"])
        #expect(before.texts("feed/entry/id") == after.texts("feed/entry/id"))
        #expect(Self.site.feedID(.profile("ALICE")) == Self.site.feedID(.profile("alice")))
    }

    @Test func anEmptyFeedTakesTheGivenTime() {
        let feed = FeedReader.read(
            AtomFeed.render(.tag("café"), posts: [], site: Self.site, emptyUpdated: WebSafety.time))
        #expect(feed.error == nil)
        #expect(feed.texts("feed/updated") == ["2026-11-26T11:20:05.123Z"])
        #expect(feed.texts("feed/id") == ["tag:m.test,2026:feed:/tags/caf%C3%A9"])
        #expect(feed.texts("feed/entry/id").isEmpty)
    }

    @Test func hostileFeedsStayValidXMLWithInertContent() {
        let posts = WebSafety.hostilePosts
        for timeline in [Timeline.home, .profile(WebSafety.hostile[1]), .tag(WebSafety.hostile[0])] {
            let xml = AtomFeed.render(timeline, posts: posts, site: Self.site, emptyUpdated: WebSafety.time)
            let feed = FeedReader.read(xml)
            #expect(feed.error == nil, "\(timeline): \(String(describing: feed.error))")
            #expect(feed.texts("feed/entry/id") == posts.map { "tag:m.test,2026:post:\($0.id)" })
            #expect(
                !xml.unicodeScalars.contains {
                    ($0.value < 0x20 && $0 != "\n") || $0.value == 0xFFFE || $0.value == 0xFFFF
                })
            for content in feed.texts("feed/entry/content") {
                #expect(WebSafety.problems(in: content).isEmpty, "\(WebSafety.problems(in: content))")
            }
        }
    }
}
