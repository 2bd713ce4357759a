import Foundation
import MicroblogModel

@testable import MicroblogWeb

/// What the web renderers' tests share: hostile inputs, sample posts, and a strict reader of the HTML they
/// write, which says what in it could run script, break out of an attribute or reorder the page.
enum WebSafety {
    /// Text people could send, each aimed at one way out of the escaping.
    static let hostile: [String] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "'><svg onload=alert(1)>",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1) data:text/html,<script>alert(1)</script> vbscript:msgbox",
        "https://example.com/\"onmouseover=alert(1) https://x.test/'onfocus=alert(1)'",
        "&lt;script&gt; &amp; &#x3C;script&#x3E; </main></article>",
        "left \u{202E}thgir\u{202C} \u{202A}\u{202B}\u{202D} \u{2066}iso\u{2069}\u{2067}\u{2068} end",
        "ctl \u{0}\u{1}\u{1B}[31mred\u{7}\u{7F}\u{85}\u{9B}2J \u{2028}\u{2029}\u{FEFF}\u{FFFE}\u{FFFF} end",
        "line\nbreak\r\nand\rreturn\tand tab",
        "emoji 👩‍👩‍👧‍👦 🇺🇦 e\u{301}\u{302}\u{303} ל\u{5B0}עברית عربي #日本 @bob",
        String(repeating: "a<\"'>&", count: 46) + "<>&<",
    ]

    /// 2026-11-26T11:20:05.123Z
    static let time = Timestamp(milliseconds: 1_795_692_005_123)

    static func post(
        _ id: Int64, _ author: String = "alice", _ text: String, replyTo: PostReference? = nil,
        repostOf: PostReference? = nil, likes: Int = 0
    ) -> Post {
        Post(
            id: id, authorID: 1, author: author, text: text,
            createdAt: Timestamp(milliseconds: time.milliseconds + id * 60_000), replyTo: replyTo, repostOf: repostOf,
            likes: likes)
    }

    /// Every post in `hostile`, written by a hostile name, replying to and reposting hostile names.
    static var hostilePosts: [Post] {
        hostile.enumerated().map { index, text in
            let name = hostile[(index + 1) % hostile.count]
            return post(
                Int64(index + 1), name, text, replyTo: PostReference(id: 99, author: text),
                repostOf: index.isMultiple(of: 2) ? PostReference(id: 98, author: name) : nil, likes: index)
        }
    }

    static let voidElements: Set<String> = ["meta", "link", "input", "br", "img", "hr"]
    static let allowedElements: Set<String> = [
        "html", "head", "meta", "title", "link", "script", "body", "header", "nav", "main", "footer", "a", "span",
        "form", "label", "textarea", "input", "button", "h1", "h2", "p", "section", "article", "time", "bdi", "q", "code",
        "dl", "dt", "dd", "div", "ol", "li",
    ]

    /// Problems with `html`: each tag must be one the renderers write, with double-quoted attributes holding
    /// no quote or bracket, no event handler, style or script but live.js, links only to the site or to the
    /// web; the elements must nest; the text must hold no bracket, no bare `&`, no control but LF, no bidi
    /// control. Empty when all is well.
    static func problems(in html: String) -> [String] {
        var problems: [String] = []
        for scalar in html.unicodeScalars {
            let value = scalar.value
            if (value < 0x20 && scalar != "\n") || (0x7F...0x9F).contains(value) || (0x202A...0x202E).contains(value)
                || (0x2066...0x2069).contains(value) || value == 0xFFFE || value == 0xFFFF
            {
                problems.append("raw \(TextSafety.describe(scalar))")
            }
        }
        var open: [String] = []
        var rest = Substring(html)
        while let start = rest.firstIndex(of: "<") {
            problems += textProblems(rest[..<start])
            guard let end = rest[start...].firstIndex(of: ">") else {
                problems.append("unclosed tag: \(rest[start...].prefix(40))")
                break
            }
            let tag = rest[rest.index(after: start)..<end]
            rest = rest[rest.index(after: end)...]
            if tag.lowercased() == "!doctype html" { continue }
            if tag.hasPrefix("/") {
                let name = String(tag.dropFirst())
                if open.last == name {
                    open.removeLast()
                } else {
                    problems.append("</\(name)> closes \(open.last ?? "nothing")")
                }
                continue
            }
            let (name, attributes, error) = parse(tag)
            if let error { problems.append("<\(tag.prefix(60))>: \(error)") }
            if !allowedElements.contains(name) { problems.append("element <\(name)>") }
            if !voidElements.contains(name) { open.append(name) }
            for (attribute, value) in attributes {
                let lower = attribute.lowercased()
                if lower.hasPrefix("on") || lower == "style" || lower == "srcdoc" || lower == "formaction" {
                    problems.append("attribute \(attribute) on <\(name)>")
                }
                if lower == "href" || lower == "action",
                    !(value.hasPrefix("/") && !value.hasPrefix("//")) && !value.hasPrefix("http://")
                        && !value.hasPrefix("https://")
                {
                    problems.append("\(attribute)=\"\(value)\"")
                }
                if lower == "src", name != "script" || value != StaticAsset.liveScript.path {
                    problems.append("src=\"\(value)\" on <\(name)>")
                }
            }
            if name == "script", attributes.first(where: { $0.0 == "src" }) == nil {
                problems.append("inline script")
            }
        }
        problems += textProblems(rest)
        if !open.isEmpty { problems.append("left open: \(open)") }
        return problems
    }

    /// Attributes are written `name="value"` or `name` alone; anything else is a breakout.
    private static func parse(_ tag: Substring) -> (String, [(String, String)], String?) {
        let characters = Array(tag)
        var index = 0
        func word() -> String {
            let start = index
            while index < characters.count,
                characters[index].isLetter || characters[index].isNumber
                    || characters[index] == "-"
            {
                index += 1
            }
            return String(characters[start..<index])
        }
        let name = word()
        var attributes: [(String, String)] = []
        while index < characters.count {
            guard characters[index] == " " else { return (name, attributes, "unexpected \(characters[index])") }
            index += 1
            let attribute = word()
            if attribute.isEmpty { return (name, attributes, "empty attribute name") }
            guard index < characters.count, characters[index] == "=" else {
                attributes.append((attribute, ""))
                continue
            }
            index += 1
            guard index < characters.count, characters[index] == "\"" else {
                return (name, attributes, "unquoted value of \(attribute)")
            }
            index += 1
            let start = index
            while index < characters.count, characters[index] != "\"" { index += 1 }
            guard index < characters.count else { return (name, attributes, "unclosed value of \(attribute)") }
            let value = String(characters[start..<index])
            if value.contains("<") || value.contains("'") { return (name, attributes, "raw < or ' in \(attribute)") }
            if let problem = problemsOfReferences(value) { return (name, attributes, problem) }
            attributes.append((attribute, value))
            index += 1
        }
        return (name, attributes, nil)
    }

    private static func textProblems(_ text: Substring) -> [String] {
        var problems: [String] = []
        if text.contains(">") { problems.append("raw > in text: \(text.prefix(60))") }
        if let problem = problemsOfReferences(String(text)) { problems.append(problem) }
        return problems
    }

    /// Every `&` starts one of the references the escaper writes.
    private static func problemsOfReferences(_ text: String) -> String? {
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            let after = rest[ampersand...]
            guard ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(where: { after.hasPrefix($0) }) else {
                return "bare & at \(after.prefix(20))"
            }
            rest = rest[rest.index(after: ampersand)...]
        }
        return nil
    }

    /// Page-level rules: one main, one h1, headings in order, the viewport, the stylesheet, live.js once.
    static func pageProblems(_ html: String) -> [String] {
        var problems = self.problems(in: html)
        func count(_ fragment: String) -> Int { html.components(separatedBy: fragment).count - 1 }
        if !html.hasPrefix("<!doctype html>\n<html lang=\"en\">") { problems.append("doctype or lang") }
        if count("<main>") != 1 { problems.append("\(count("<main>")) <main>") }
        if count("<h1") != 1 { problems.append("\(count("<h1")) <h1>") }
        if count("<meta charset=\"utf-8\">") != 1 { problems.append("charset") }
        if count("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") != 1 {
            problems.append("viewport")
        }
        if count("<link rel=\"stylesheet\" href=\"/static/style.css\">") != 1 { problems.append("stylesheet") }
        if count("<script") != 1 || count("<script src=\"/static/live.js\" defer></script>") != 1 {
            problems.append("scripts")
        }
        var level = 0
        for match in html.matches(of: /<h([1-6])/) {
            let next = Int(match.output.1)!
            if next > level + 1 { problems.append("h\(next) after h\(level)") }
            level = next
        }
        return problems
    }
}
