/// The rules for a post's text. Pure functions.
public enum PostRules {
    /// Counted in `Character`s (grapheme clusters), so an emoji counts once.
    public static let maxCharacters = 280

    /// Returns the text as it will be stored: tabs become spaces, blanks at both ends are trimmed.
    /// Refuses empty and over-long text and any character that could act on a terminal
    /// (see `TextSafety`).
    public static func validate(_ raw: String) -> Result<String, WireError> {
        validate(raw, maxCharacters: maxCharacters, what: "a post")
    }

    /// The same rules for any text one user shows others (bios, messages), with its own limit.
    public static func validate(_ raw: String, maxCharacters: Int, what: String) -> Result<String, WireError> {
        // A tab is always a character of its own, so its byte says as much as a walk over the characters.
        let untabbed = raw.utf8.contains(0x09) ? raw.replacingTabs() : raw
        let text = untabbed.trimmingBlanks()
        if text.isEmpty {
            return .failure(WireError(.emptyPost, "\(what) needs some text"))
        }
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            // Printable ASCII, as most posts are: no control, invisible or combining character can be in
            // it, trimmed it shows something, and each byte is one character. The Unicode property
            // lookups below cost a fifth of the server's time when tens of thousands of posts arrive a second.
            let count = text.utf8.count
            guard count <= maxCharacters else {
                return .failure(
                    WireError(.tooLong, "\(what) holds at most \(maxCharacters) characters; this one has \(count)"))
            }
            return .success(text)
        }
        if let scalar = TextSafety.firstForbiddenScalar(in: text) {
            return .failure(
                WireError(
                    .badText,
                    "\(what) cannot contain control or invisible formatting characters (found \(TextSafety.describe(scalar)))"
                ))
        }
        if text.unicodeScalars.allSatisfy(TextSafety.looksBlank) {
            return .failure(WireError(.emptyPost, "\(what) needs some visible text"))
        }
        if let first = text.unicodeScalars.first, TextSafety.isMark(first) {
            // It would draw on whatever precedes the post on screen: the author's name.
            return .failure(WireError(.badText, "\(what) cannot start with a combining mark"))
        }
        if text.contains(where: { $0.unicodeScalars.count(where: TextSafety.isMark) > TextSafety.maxMarksPerCharacter })
        {
            return .failure(
                WireError(
                    .badText, "at most \(TextSafety.maxMarksPerCharacter) combining marks may sit on one character"))
        }
        let count = text.count
        if count > maxCharacters {
            return .failure(
                WireError(.tooLong, "\(what) holds at most \(maxCharacters) characters; this one has \(count)"))
        }
        return .success(text)
    }
}
