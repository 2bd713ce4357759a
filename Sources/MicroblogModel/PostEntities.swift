/// The mentions and hashtags in a post's text, found once when it is posted and stored with it.
///
/// - A mention is `@` and a name (3 to 20 of `A-Z a-z 0-9 _`), not preceded by a letter, digit, `_`
///   or `@` (so `me@example.com` is none) and not followed by another name character.
/// - A hashtag is `#` and 1 to 50 letters, digits or `_` (any script) holding at least one letter (so
///   `#42`, the way posts are referred to, is none), not preceded by a letter, digit, `_`, `#` or `&`.
///   Tags compare in lower case: `#Swift` and `#swift` are one tag.
///
/// At most `maxEach` of each are kept, in order of first appearance, without repeats. Names repeat
/// when they differ only in case; look-alikes (`@sam @5am`) are both kept, since two accounts kept
/// apart may have them (storage resolves each to its account, once).
public struct PostEntities: Sendable, Equatable {
    public static let maxEach = 10
    public static let maxTagLength = 50

    /// Mentioned names as written (not yet resolved to accounts).
    public var mentions: [String] = []
    /// Hashtags in lower case, without `#`.
    public var tags: [String] = []

    public init(mentions: [String] = [], tags: [String] = []) {
        self.mentions = mentions
        self.tags = tags
    }

    public init(in text: String) {
        var seenNames: Set<String> = []
        var seenTags: Set<String> = []
        Self.scan(text) { span in
            switch span.kind {
            case .mention:
                if mentions.count < Self.maxEach, seenNames.insert(span.value.lowercased()).inserted {
                    mentions.append(span.value)
                }
            case .tag:
                if tags.count < Self.maxEach, seenTags.insert(span.value).inserted { tags.append(span.value) }
            }
        }
    }

    /// One mention or hashtag where it stands in a text, as `init(in:)` finds them. A value.
    public struct Span: Sendable, Equatable {
        /// A mention (`@name`) or a hashtag (`#tag`). A value.
        public enum Kind: Sendable, Equatable {
            case mention
            case tag
        }
        public var kind: Kind
        /// `Character` offsets into the text, the `@` or `#` included.
        public var range: Range<Int>
        /// The name as written, or the tag in lower case, without `@` or `#`.
        public var value: String
    }

    /// Every mention and hashtag in `text`, in order, repeats included: what a renderer links. The rules are
    /// `init(in:)`'s (one scanner serves both); its limit and de-duplication apply to what is stored only.
    public static func spans(in text: String) -> [Span] {
        var spans: [Span] = []
        scan(text) { spans.append($0) }
        return spans
    }

    /// Scans `text`: nothing to do without an `@` or `#`; printable ASCII byte by byte (a byte is then a
    /// `Character`, and the letters, digits and `_` are ASCII's own), anything else by `Character`. Most
    /// posts take one of the first two ways, and splitting a text into `Character`s (grapheme breaking)
    /// was a tenth of the storage writer's time when every post carried a mention and a tag.
    private static func scan(_ text: String, _ found: (Span) -> Void) {
        let handled = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.contains(UInt8(ascii: "@")) || bytes.contains(UInt8(ascii: "#")) else { return true }
            guard bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return false }
            scanASCII(bytes, found)
            return true
        }
        if handled != true { scan(Array(text), found) }
    }

    /// `spans(in:)` the general way only, by `Character` (for the tests that hold the ASCII way to it).
    static func spansByCharacter(in text: String) -> [Span] {
        var spans: [Span] = []
        scan(Array(text)) { spans.append($0) }
        return spans
    }

    /// `scan` over printable ASCII bytes, with the same rules.
    private static func scanASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ found: (Span) -> Void) {
        func isName(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let previous: UInt8? = index > 0 ? bytes[index - 1] : nil
            if byte == UInt8(ascii: "@"), previous.map({ !isName($0) && $0 != UInt8(ascii: "@") }) ?? true {
                var end = index + 1
                while end < bytes.count, isName(bytes[end]) { end += 1 }
                if AccountRules.nameLengths.contains(end - index - 1) {
                    found(Span(kind: .mention, range: index..<end, value: text((index + 1)..<end)))
                }
                index = max(end, index + 1)
                continue
            }
            if byte == UInt8(ascii: "#"),
                previous.map({ !isName($0) && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "&") }) ?? true
            {
                var end = index + 1
                while end < bytes.count, isName(bytes[end]) { end += 1 }
                let length = end - index - 1
                let hasLetter = bytes[(index + 1)..<end].contains {
                    (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                }
                if (1...maxTagLength).contains(length), hasLetter {
                    found(Span(kind: .tag, range: index..<end, value: text((index + 1)..<end).lowercased()))
                }
                index = max(end, index + 1)
                continue
            }
            index += 1
        }
    }

    private static func scan(_ characters: [Character], _ found: (Span) -> Void) {
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let previous: Character? = index > 0 ? characters[index - 1] : nil
            if character == "@", previous.map({ !isNameCharacter($0) && $0 != "@" }) ?? true {
                var end = index + 1
                while end < characters.count, isNameCharacter(characters[end]) { end += 1 }
                let name = String(characters[(index + 1)..<end])
                if AccountRules.nameLengths.contains(name.count) {
                    found(Span(kind: .mention, range: index..<end, value: name))
                }
                index = max(end, index + 1)
                continue
            }
            if character == "#", previous.map({ !isTagCharacter($0) && $0 != "#" && $0 != "&" }) ?? true {
                var end = index + 1
                while end < characters.count, isTagCharacter(characters[end]) { end += 1 }
                let tag = String(characters[(index + 1)..<end]).lowercased()
                if (1...maxTagLength).contains(tag.count), tag.contains(where: \.isLetter) {
                    found(Span(kind: .tag, range: index..<end, value: tag))
                }
                index = max(end, index + 1)
                continue
            }
            index += 1
        }
    }

    public static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_")
    }

    static func isTagCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }

    /// A tag as a user typed it (`#Swift` or `swift`), normalised; nil when it is no valid tag.
    public static func normalizedTag(_ typed: String) -> String? {
        let body = typed.hasPrefix("#") ? String(typed.dropFirst()) : typed
        let tag = body.lowercased()
        guard (1...maxTagLength).contains(tag.count), tag.allSatisfy(isTagCharacter), tag.contains(where: \.isLetter)
        else { return nil }
        return tag
    }
}
