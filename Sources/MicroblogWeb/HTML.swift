import MicroblogModel

/// Escaping for HTML (and XML, which needs no more), and the rule for which URLs become links. Pure functions.
///
/// One escape serves element content and attribute values alike (every attribute is written in double
/// quotes): `&`, `<`, `>`, `"` and `'` become references, so text can neither open a tag nor leave an
/// attribute. Every scalar `TextSafety` keeps from terminals becomes U+FFFD: C0 and C1 controls (NUL, ESC,
/// CR, LF and tab too), format characters such as the bidi embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069), noncharacters (U+FFFE, U+FFFF, which XML 1.0 forbids) and unassigned
/// code points. The posting rules refuse them already; the replacement is for what the rules never saw
/// (a search query, a name from an old database) and shows that something was there, where dropping it
/// would silently change the text. Right-to-left text that is allowed cannot reorder the page either: the
/// renderers put what people wrote in `<bdi>` or an element with `dir="auto"`, which isolate it.
public enum HTML {
    /// `text` made safe for element content or a double-quoted attribute value.
    public static func escape<S: StringProtocol>(_ text: S) -> String {
        // Most text needs nothing: answer it without building a new string.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && !isSpecial($0) }) { return String(text) }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(TextSafety.isForbidden(scalar) ? "\u{FFFD}" : scalar)
            }
        }
        return result
    }

    /// ` name="value"`, the value escaped: the one way attributes are written.
    public static func attribute(_ name: String, _ value: String) -> String {
        " " + name + "=\"" + escape(value) + "\""
    }

    /// `url` as an escaped `href` value when it is an absolute `http://` or `https://` URL with something
    /// after the scheme, else nil: `javascript:`, `data:`, `vbscript:`, relative and scheme-relative URLs
    /// never become links. The scheme is matched on the text as given (no trimming), so nothing before it
    /// can change what a browser reads. Bytes that do not belong in a URL (spaces, quotes, angle brackets,
    /// controls, anything not ASCII) are percent-encoded as UTF-8, which browsers read back the same.
    public static func href(_ url: String) -> String? {
        guard let scheme = webScheme(of: url), url.utf8.count > scheme.utf8.count else { return nil }
        return escape(percentEncodingUnsafeBytes(url))
    }

    /// `http://` or `https://` (as written) when `text` starts with it, ignoring ASCII case.
    static func webScheme<S: StringProtocol>(of text: S) -> S.SubSequence? {
        for scheme in ["http://", "https://"] {
            let head = text.prefix(scheme.count)
            if head.count == scheme.count, head.lowercased() == scheme { return head }
        }
        return nil
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    private static func percentEncodingUnsafeBytes(_ url: String) -> String {
        var result = ""
        for byte in url.utf8 {
            let keep =
                byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "<")
                && byte != UInt8(ascii: ">") && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "^")
                && byte != UInt8(ascii: "`") && byte != UInt8(ascii: "{") && byte != UInt8(ascii: "|")
                && byte != UInt8(ascii: "}")
            if keep {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += WebPath.percentEncoded(byte)
            }
        }
        return result
    }
}
