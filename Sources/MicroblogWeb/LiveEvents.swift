import MicroblogModel

/// Server-Sent Events for the live listings (`text/event-stream`). Pure functions.
///
/// An event's fields end in LF and the event in an empty line. A `data:` line can hold no CR or LF, so
/// text is cut at every line break (CR LF, CR or LF) into `data:` lines of its own, which EventSource
/// joins with LF again; an article's HTML has no line break, so it is one line. The `id:` is the post's id:
/// a reconnecting EventSource sends the last one as Last-Event-ID, so the door can send what was missed.
public enum LiveEvents {
    /// `id: ID`, `event: post`, `data: <article …>`: what `live.js` puts on top of a listing.
    public static func post(_ post: Post) -> String {
        "id: \(post.id)\nevent: post\n" + data(PostArticle.html(post)) + "\n"
    }

    /// `event: deleted`, `data: 12 13`: the ids `live.js` removes from the page.
    public static func deleted(_ ids: [Int64]) -> String {
        "event: deleted\n" + data(ids.map(String.init).joined(separator: " ")) + "\n"
    }

    /// `event: reload`: more was missed than the stream resends; `live.js` reads the page again.
    public static let reload = "event: reload\ndata: \n\n"

    /// A comment, which EventSource ignores: it keeps proxies from closing an idle stream.
    public static let keepAlive = ": keep-alive\n\n"

    /// `retry: MILLISECONDS`: how long EventSource waits before it reconnects.
    public static func retry(milliseconds: Int) -> String { "retry: \(milliseconds)\n\n" }

    /// `text` as `data:` lines, each ending in LF.
    public static func data(_ text: String) -> String {
        var result = ""
        var line = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && afterCR {
                afterCR = false
                continue
            }
            afterCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                result += "data: " + String(line) + "\n"
                line = String.UnicodeScalarView()
            } else {
                line.append(scalar)
            }
        }
        return result + "data: " + String(line) + "\n"
    }
}
