import MicroblogModel
import Testing

@testable import MicroblogWeb

@Suite struct WebTextFormatsTests {
    @Test func twtxtIsATimeATabAndOneLine() {
        let posts = [
            WebSafety.post(2, "bob", "second @alice"), WebSafety.post(1, "bob", "first\nline\r\u{2028}x\u{85}"),
        ]
        #expect(Twtxt.line(posts[0]) == "2026-11-26T11:22:05.123Z\tsecond @alice")
        #expect(Twtxt.line(posts[1]) == "2026-11-26T11:21:05.123Z\tfirst line  x ")
        let file = Twtxt.file(nick: "bob\n# url = evil", url: "https://m.test/@bob/twtxt.txt", posts: posts)
        #expect(
            file == "# nick = bob # url = evil\n# url = https://m.test/@bob/twtxt.txt\n"
                + "2026-11-26T11:21:05.123Z\tfirst line  x \n2026-11-26T11:22:05.123Z\tsecond @alice\n")
        for post in WebSafety.hostilePosts {
            let line = Twtxt.line(post)
            #expect(!line.contains(where: \.isNewline) && line.split(separator: "\t", maxSplits: 1).count == 2)
        }
    }

    @Test func prometheusTextEscapesWhatItMust() {
        var metrics = PrometheusText()
        metrics.describe("microblog_sessions", help: "Sessions open\\now\nby door", type: .gauge)
        metrics.sample("microblog_sessions", labels: [("door", "tls"), ("note", "a\\b\"c\nd")], 3)
        metrics.sample("microblog_sessions", labels: [("door", "web")], 0)
        metrics.metric("microblog_posts_total", help: "Posts", type: .counter, 42)
        metrics.sample("bad name-1", labels: [("9x", "v")], 1.5)
        metrics.sample("ratio", Double.infinity)
        metrics.sample("ratio", -Double.infinity)
        metrics.sample("ratio", Double.nan)
        #expect(
            metrics.text == """
                # HELP microblog_sessions Sessions open\\\\now\\nby door
                # TYPE microblog_sessions gauge
                microblog_sessions{door="tls",note="a\\\\b\\"c\\nd"} 3
                microblog_sessions{door="web"} 0
                # HELP microblog_posts_total Posts
                # TYPE microblog_posts_total counter
                microblog_posts_total 42
                bad_name_1{_x="v"} 1.5
                ratio +Inf
                ratio -Inf
                ratio NaN

                """)
        #expect(PrometheusText.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}
