import MicroblogModel

/// twtxt (https://twtxt.readthedocs.io/): a feed as a text file, a post a line: an RFC 3339 time, a tab, the
/// text. The web door serves it at `/@NAME/twtxt.txt`; `microblogd export --format twtxt` writes the same
/// lines. Pure functions.
public enum Twtxt {
    /// `2026-11-26T11:20:05.123Z<TAB>text`, without the newline. The text is as posted (a mention stays
    /// `@name`, not twtxt's `@<name url>`); a line break or other control character, which the posting rules
    /// refuse anyway, becomes a space, so one post is always one line.
    public static func line(_ post: Post) -> String {
        UTCTime(post.createdAt).iso8601 + "\t" + oneLine(post.text)
    }

    /// The whole file: a `# nick = NAME` and `# url = URL` header (comments to readers that know no
    /// metadata), then a line for each post, oldest first as a twtxt file grows.
    public static func file(nick: String, url: String, posts: [Post]) -> String {
        var text = "# nick = \(oneLine(nick))\n# url = \(oneLine(url))\n"
        for post in posts.sorted(by: { $0.id < $1.id }) { text += line(post) + "\n" }
        return text
    }

    private static func oneLine(_ text: String) -> String {
        // Printable ASCII, as most posts are, needs no look at each scalar.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let breaks = scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
            result.append(breaks ? " " : scalar)
        }
        return String(result)
    }
}
