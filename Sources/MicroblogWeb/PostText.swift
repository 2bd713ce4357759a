import MicroblogModel

/// A post's text as HTML. Pure functions.
///
/// Mentions and hashtags are found by `PostEntities.spans(in:)`, the rules the server stores them by:
/// `@NAME` links to `/@NAME`, `#Tag` to `/tags/tag` (lower case). A web URL links to itself with
/// `rel="nofollow ugc noopener"`. Everything else is escaped (see `HTML`). A URL wins over a mention or tag
/// inside it (`https://example.com/#top` is one link).
public enum PostText {
    /// What `rel` says of links people posted: not endorsed, user content, no opener.
    public static let externalRel = "nofollow ugc noopener"

    /// The text as HTML. `linkBase` goes before the site's own paths: empty on pages, the absolute base URL
    /// (`https://example.org`) in feeds, whose readers show the text away from the site.
    public static func html(_ text: String, linkBase: String = "") -> String {
        let characters = Array(text)
        let links = webLinks(in: characters)
        var pieces: [(range: Range<Int>, html: String)] = links.compactMap { range in
            let url = String(characters[range])
            guard let href = HTML.href(url) else { return nil }
            return (range, "<a href=\"\(href)\" rel=\"\(externalRel)\">" + HTML.escape(url) + "</a>")
        }
        for span in PostEntities.spans(in: text) where !links.contains(where: { $0.overlaps(span.range) }) {
            let path = span.kind == .mention ? WebPath.profile(span.value) : WebPath.tag(span.value)
            let written = HTML.escape(String(characters[span.range]))
            let kind = span.kind == .mention ? "mention" : "tag"
            pieces.append(
                (span.range, "<a class=\"\(kind)\"" + HTML.attribute("href", linkBase + path) + ">\(written)</a>"))
        }
        pieces.sort { $0.range.lowerBound < $1.range.lowerBound }
        var result = ""
        var position = 0
        for piece in pieces {
            result += HTML.escape(String(characters[position..<piece.range.lowerBound])) + piece.html
            position = piece.range.upperBound
        }
        return result + HTML.escape(String(characters[position...]))
    }

    /// The web URLs in a text, by `Character` offsets: `http://` or `https://` (any case) not glued to a
    /// word before it, up to a space, a control or one of `<>"`; closing punctuation at its end (`.,:;!?'*`,
    /// and a bracket it does not open) belongs to the sentence, not the URL.
    static func webLinks(in characters: [Character]) -> [Range<Int>] {
        var links: [Range<Int>] = []
        var index = 0
        while index < characters.count {
            guard characters[index] == "h" || characters[index] == "H",
                index == 0 || !isWordCharacter(characters[index - 1]),
                let scheme = HTML.webScheme(of: String(characters[index..<min(index + 8, characters.count)]))
            else {
                index += 1
                continue
            }
            var end = index + scheme.count
            while end < characters.count, isURLCharacter(characters[end]) { end += 1 }
            while end > index + scheme.count, endsSentence(characters[end - 1], in: characters[index..<end - 1]) {
                end -= 1
            }
            if end > index + scheme.count { links.append(index..<end) }
            index = end
        }
        return links
    }

    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    private static func isURLCharacter(_ character: Character) -> Bool {
        if character.isWhitespace || character == "<" || character == ">" || character == "\"" { return false }
        return !character.unicodeScalars.contains(where: TextSafety.isForbidden)
    }

    private static func endsSentence(_ last: Character, in before: ArraySlice<Character>) -> Bool {
        switch last {
        case ".", ",", ":", ";", "!", "?", "'", "*": return true
        case ")": return before.count(where: { $0 == "(" }) <= before.count(where: { $0 == ")" })
        case "]": return before.count(where: { $0 == "[" }) <= before.count(where: { $0 == "]" })
        case "}": return before.count(where: { $0 == "{" }) <= before.count(where: { $0 == "}" })
        default: return false
        }
    }
}
