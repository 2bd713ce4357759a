import MicroblogModel
import Testing

@testable import MicroblogWeb

@Suite struct WebLiveTests {
    @Test func liveEventsKeepEveryLineBreakOutOfTheData() {
        let post = WebSafety.post(12, "bob", "hi\nthere")
        let event = LiveEvents.post(post)
        #expect(event == "id: 12\nevent: post\ndata: " + PostArticle.html(post) + "\n\n")
        #expect(LiveEvents.deleted([12, 13]) == "event: deleted\ndata: 12 13\n\n")
        #expect(LiveEvents.keepAlive == ": keep-alive\n\n")
        #expect(LiveEvents.retry(milliseconds: 3000) == "retry: 3000\n\n")
        #expect(LiveEvents.data("a\r\nb\rc\nd\n") == "data: a\ndata: b\ndata: c\ndata: d\ndata: \n")
        for post in WebSafety.hostilePosts {
            let event = LiveEvents.post(post)
            #expect(!event.contains("\r") && event.hasSuffix("\n\n"))
            let lines = event.dropLast(2).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(
                lines.count == 3
                    && lines.allSatisfy { $0.hasPrefix("id: ") || $0.hasPrefix("event: ") || $0.hasPrefix("data: ") })
            #expect(WebSafety.problems(in: String(lines[2].dropFirst(6))).isEmpty)
        }
    }

    @Test func staticAssetsAreSmallFilesWithStrongETags() {
        #expect(FNV1a64.hex("".utf8) == "cbf29ce484222325")
        #expect(FNV1a64.hex("a".utf8) == "af63dc4c8601ec8c")
        #expect(FNV1a64.hex("foobar".utf8) == "85944171f73967e8")
        for asset in StaticAsset.all {
            #expect(asset.etag == "\"" + FNV1a64.hex(asset.body.utf8) + "\"")
            #expect(asset.etag.count == 18)
        }
        let script = StaticAsset.liveScript
        #expect(script.path == "/static/live.js" && script.contentType.hasPrefix("text/javascript"))
        #expect(script.body.split(separator: "\n").count < 80)
        for needed in [
            "[data-live]", "new EventSource(", "\"post\"", "\"deleted\"", "createElement(\"template\")",
            "getElementById(article.id)", "\"post-\" + id",
        ] {
            #expect(script.body.contains(needed), "\(needed)")
        }
        #expect(
            !script.body.contains("eval(") && !script.body.contains("document.write")
                && !script.body.contains("import "))
        let style = StaticAsset.styleSheet
        #expect(style.path == "/static/style.css" && style.contentType.hasPrefix("text/css"))
        for needed in [
            "@media (prefers-color-scheme: dark)", "max-width: 40rem", "system-ui", ":focus-visible", "outline:",
        ] {
            #expect(style.body.contains(needed), "\(needed)")
        }
        #expect(style.body.filter { $0 == "{" }.count == style.body.filter { $0 == "}" }.count)
    }
}
