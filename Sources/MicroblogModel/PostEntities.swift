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
        Self.scan(Array(text)) { span in
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
        scan(Array(text)) { spans.append($0) }
        return spans
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
