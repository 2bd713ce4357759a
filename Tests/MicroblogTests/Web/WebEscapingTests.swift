import Foundation
import MicroblogModel
import Testing

@testable import MicroblogWeb

@Suite struct WebEscapingTests {
    @Test func escapingCoversContentAndDoubleQuotedAttributes() {
        #expect(HTML.escape("plain text, 100% fine") == "plain text, 100% fine")
        #expect(
            HTML.escape("<a href=\"x\" title='y'>&amp;</a>")
                == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(HTML.attribute("value", "\"><script>") == " value=\"&quot;&gt;&lt;script&gt;\"")
        // Emoji, joiners, combining marks and right-to-left letters are text like any other.
        for kept in ["👩‍👩‍👧‍👦", "🇺🇦", "e\u{301}\u{302}", "עברית", "❤\u{FE0F}", "日本語"] { #expect(HTML.escape(kept) == kept) }
    }

    @Test func controlsAndBidiControlsBecomeReplacementCharacters() {
        let bidi = (0x202A...0x202E).map { Unicode.Scalar($0)! } + (0x2066...0x2069).map { Unicode.Scalar($0)! }
        for scalar in bidi {
            #expect(HTML.escape("a\(Character(scalar))b") == "a\u{FFFD}b", "\(TextSafety.describe(scalar))")
        }
        #expect(
            HTML.escape("\u{0}\u{1B}[31m\u{7F}\u{85}\u{9B}\n\r\t") == "\u{FFFD}\u{FFFD}[31m"
                + String(repeating: "\u{FFFD}", count: 6))
        #expect(HTML.escape("\u{FFFE}\u{FFFF}\u{200B}\u{2028}") == String(repeating: "\u{FFFD}", count: 4))
    }

    @Test func onlyWebURLsBecomeLinks() {
        #expect(HTML.href("https://example.com/a?b=1&c=2") == "https://example.com/a?b=1&amp;c=2")
        #expect(HTML.href("HTTP://Example.com") == "HTTP://Example.com")
        #expect(HTML.href("https://例え.jp/パス") == "https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9")
        #expect(
            HTML.href("https://x.test/\"><script>'` {}|\\^")
                == "https://x.test/%22%3E%3Cscript%3E&#39;%60%20%7B%7D%7C%5C%5E")
        #expect(HTML.href("https://x.test/\u{202E}\u{0}") == "https://x.test/%E2%80%AE%00")
        let refused = [
            "javascript:alert(1)", "JavaScript:alert(1)", " https://x.test", "\u{0}https://x.test", "java\tscript:x",
            "data:text/html,<script>", "vbscript:msgbox", "//evil.test", "/local", "?q", "#top", "https://", "http:/x",
            "https:\\\\evil.test", "ftp://x.test", "mailto:a@b.c", "",
        ]
        for url in refused { #expect(HTML.href(url) == nil, "\(url)") }
    }

    @Test func pathsPercentEncodeWhatPeopleWrote() {
        #expect(WebPath.profile("alice_9") == "/@alice_9")
        #expect(WebPath.profile("a/b?c#d e") == "/@a%2Fb%3Fc%23d%20e")
        #expect(WebPath.tag("café") == "/tags/caf%C3%A9")
        #expect(WebPath.tag("日本") == "/tags/%E6%97%A5%E6%9C%AC")
        #expect(WebPath.search("a b&c=d\"<") == "/search?q=a%20b%26c%3Dd%22%3C")
        #expect(WebPath.search("x", before: 42) == "/search?q=x&before=42")
        #expect(WebPath.post(7) == "/posts/7" && WebPath.twtxt("bob") == "/@bob/twtxt.txt")
        #expect(
            Timeline.home.path == "/" && Timeline.home.atomPath == "/feed.atom" && Timeline.home.eventsPath == "/events"
        )
        #expect(
            Timeline.profile("bob").atomPath == "/@bob.atom" && Timeline.profile("bob").eventsPath == "/@bob/events")
        #expect(
            Timeline.tag("swift").atomPath == "/tags/swift.atom"
                && Timeline.tag("swift").eventsPath == "/tags/swift/events")
        #expect(Timeline.profile("bob").olderPath(before: 9) == "/@bob?before=9")
        #expect(Timeline.home.olderPath(before: 9) == "/?before=9")
    }

    @Test func mentionsTagsAndURLsLink() {
        let html = PostText.html("hi @Bob, #Swift & #café: see https://example.com/x?a=1&b=2. 🎉")
        #expect(
            html == "hi <a class=\"mention\" href=\"/@Bob\">@Bob</a>, <a class=\"tag\" href=\"/tags/swift\">#Swift</a>"
                + " &amp; <a class=\"tag\" href=\"/tags/caf%C3%A9\">#café</a>: see <a href=\"https://example.com/x?a=1&amp;b=2\""
                + " rel=\"nofollow ugc noopener\">https://example.com/x?a=1&amp;b=2</a>. 🎉")
        // The rules are PostEntities': no mention in an address, no tag of digits, no tag after `&`.
        #expect(!PostText.html("me@example.com #42 &#39;").contains("<a"))
        // Feeds give absolute links.
        #expect(
            PostText.html("@bob", linkBase: "https://m.test")
                == "<a class=\"mention\" href=\"https://m.test/@bob\">@bob</a>")
    }

    @Test func urlsEndWhereTheSentenceGoesOn() {
        func links(_ text: String) -> [String] {
            let characters = Array(text)
            return PostText.webLinks(in: characters).map { String(characters[$0]) }
        }
        #expect(
            links("see https://example.com/a_(b). and (https://x.test/y), ok?") == [
                "https://example.com/a_(b)", "https://x.test/y",
            ])
        #expect(links("'https://x.test/q?a=1!' \"https://y.test\"") == ["https://x.test/q?a=1", "https://y.test"])
        #expect(
            links("xhttps://glued.test https:// http://a.b/<c> HTTPS://LOUD.TEST") == [
                "http://a.b/", "HTTPS://LOUD.TEST",
            ])
        #expect(links("https://a.test/\u{202E}b https://b.test\u{0}c") == ["https://a.test/", "https://b.test"])
        // A URL wins over the mention or tag inside it.
        let html = PostText.html("https://x.test/#top https://x.test/@bob @bob")
        #expect(!html.contains("class=\"tag\"") && html.components(separatedBy: "class=\"mention\"").count == 2)
    }

    /// The checker the renderers' tests rely on finds each thing it looks for.
    @Test func theSafetyCheckerCatchesBreakouts() {
        let unsafe = [
            "<script>alert(1)</script>", "<a href=\"javascript:alert(1)\">x</a>", "<a href=\"//evil.test\">x</a>",
            "<p class=\"x\" onclick=\"y\">z</p>", "<p style=\"color:red\">x</p>", "<img src=x>",
            "<a href=\"/x\" title=\"a\"b\">x</a>", "<a href='/x'>x</a>", "<p>a > b</p>", "<p>fish & chips</p>",
            "<p>\u{202E}x</p>", "<p>\u{1B}[2J</p>", "<p><a href=\"/\">x</p></a>", "<section>", "<p title=\"<\">x</p>",
        ]
        for html in unsafe { #expect(!WebSafety.problems(in: html).isEmpty, "\(html)") }
        #expect(WebSafety.problems(in: "<p class=\"a\">x &amp; &lt;y&gt; &quot;&#39;</p>\n").isEmpty)
    }

    @Test func hostileTextNeverLinksAnythingButTheWeb() {
        for text in WebSafety.hostile {
            let html = PostText.html(text)
            #expect(WebSafety.problems(in: html).isEmpty, "\(text): \(WebSafety.problems(in: html))")
            #expect(!html.lowercased().contains("href=\"javascript") && !html.lowercased().contains("href=\"data"))
            #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<svg"))
        }
    }
}
