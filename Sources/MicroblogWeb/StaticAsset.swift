/// A file the web door serves as it is: the live script and the stylesheet, with a strong ETag. A value; pure.
public struct StaticAsset: Sendable {
    /// Where it is served, e.g. `/static/live.js`.
    public let path: String
    /// The Content-Type header's value.
    public let contentType: String
    public let body: String
    /// A strong entity tag, quotes included: the FNV-1a 64-bit hash of the body in hex. It changes when the
    /// body does, so a cached copy is revalidated with If-None-Match rather than trusted for a day.
    public let etag: String

    public init(path: String, contentType: String, body: String) {
        self.path = path
        self.contentType = contentType
        self.body = body
        etag = "\"" + FNV1a64.hex(body.utf8) + "\""
    }

    /// Every asset, for the door's routes.
    public static let all = [liveScript, styleSheet]

    /// Keeps a listing up to date: every element with `data-live` opens an EventSource on the stream it names;
    /// a `post` event's article goes on top (unless the page has it), a `deleted` event's ids are removed.
    /// EventSource reconnects by itself and sends Last-Event-ID, so the door can replay what was missed.
    public static let liveScript = StaticAsset(
        path: "/static/live.js", contentType: "text/javascript; charset=utf-8",
        body: """
            // microblogd: live posts for listings marked data-live. No library, nothing inline (CSP script-src 'self').
            "use strict";

            for (const list of document.querySelectorAll("[data-live]")) {
              const source = new EventSource(list.dataset.live);

              source.addEventListener("post", (event) => {
                const template = document.createElement("template");
                template.innerHTML = event.data;
                const article = template.content.querySelector("article[id]");
                if (!article || document.getElementById(article.id)) return;
                const empty = list.querySelector(".empty");
                if (empty) empty.remove();
                list.prepend(article);
              });

              // More was missed than the stream resends: the page is read again.
              source.addEventListener("reload", () => location.reload());

              source.addEventListener("deleted", (event) => {
                for (const id of event.data.split(/\\s+/)) {
                  if (!/^\\d+$/.test(id)) continue;
                  const article = document.getElementById("post-" + id);
                  if (article) article.remove();
                }
              });
            }

            """)

    /// Small and readable on a phone: the system font, a column of about 40rem, dark when the reader's system
    /// is, and focus outlines that show.
    public static let styleSheet = StaticAsset(
        path: "/static/style.css", contentType: "text/css; charset=utf-8",
        body: """
            :root {
              color-scheme: light dark;
              --text: #1b1b1f; --muted: #5d5d66; --background: #fdfdfc; --line: #dedde2; --link: #1a57b8; --mark: #fff5cc;
              --error: #b3261e;
            }
            @media (prefers-color-scheme: dark) {
              :root { --text: #e8e8ec; --muted: #a4a4ad; --background: #151518; --line: #34343b; --link: #8db8ff; --mark: #3a3320;
                --error: #ffb4ab; }
            }
            * { box-sizing: border-box; }
            body {
              margin: 0 auto; padding: 0 1rem; max-width: 40rem;
              font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
              color: var(--text); background: var(--background);
            }
            a { color: var(--link); }
            a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible {
              outline: 3px solid var(--link); outline-offset: 2px;
            }
            header.site { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: baseline; justify-content: space-between;
              padding: 0.75rem 0; border-bottom: 1px solid var(--line); }
            header.site nav { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: baseline; }
            .site-name { font-weight: bold; text-decoration: none; }
            footer.site { margin: 2rem 0; padding-top: 0.75rem; border-top: 1px solid var(--line); color: var(--muted); }
            form { display: grid; gap: 0.5rem; margin: 1rem 0; }
            form.signout { display: inline; margin: 0; }
            textarea, input { font: inherit; padding: 0.5rem; width: 100%; color: inherit; background: transparent;
              border: 1px solid var(--line); border-radius: 0.25rem; }
            button { font: inherit; padding: 0.4rem 1rem; justify-self: start; }
            .post { padding: 0.75rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
            .post header, .post footer, .repost, .reply-to { color: var(--muted); font-size: 0.9rem; }
            .post p { margin: 0.25rem 0; }
            .post .author { font-weight: bold; }
            .post .text { font-size: 1.05rem; }
            .deleted { color: var(--muted); font-style: italic; }
            .thread, .thread ol { list-style: none; padding: 0; margin: 0; }
            .thread ol { padding-left: 1rem; border-left: 2px solid var(--line); }
            .thread .current > .post { background: var(--mark); }
            .counts { display: flex; gap: 1.5rem; }
            .counts div { display: flex; flex-direction: column-reverse; }
            .counts dt { color: var(--muted); font-size: 0.9rem; }
            .counts dd { margin: 0; font-weight: bold; }
            .error { color: var(--error); font-weight: bold; }
            .empty { color: var(--muted); }
            .pages { margin: 1rem 0; }

            """)
}

/// The 64-bit FNV-1a hash (Fowler, Noll, Vo): fast, not cryptographic, enough to tell versions apart. Pure.
public enum FNV1a64 {
    public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The hash as 16 lower-case hex digits.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = String(hash(bytes), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
