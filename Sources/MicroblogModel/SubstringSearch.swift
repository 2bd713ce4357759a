/// Which index answers a search, from its words alone. A value; pure.
///
/// The word index splits text at spaces and punctuation, so in a language written without spaces
/// (Japanese, Chinese, Thai, ...) a whole sentence is one "word" and `/search 日本語` finds nothing inside
/// it. A substring search finds each word anywhere inside a post (literal text, case folded for ASCII),
/// through the trigram index when a word has `minimumLength` characters or more, or else by reading the
/// newest `shortScanWindow` posts. It ranks worse than the word index and does not fold accents, so it
/// answers:
/// - every search where a word holds a character of a script written without spaces (`substrings`);
/// - otherwise a search of words of `minimumLength` or more that the word index finds nothing for, such
///   as part of a long compound word (`wordsThenSubstrings`);
/// and the word index alone answers the rest (`words`): a short Latin word is a word, not a fragment.
public enum SubstringSearch: Equatable, Sendable {
    case words
    case wordsThenSubstrings
    case substrings

    /// Characters (Unicode scalars, as the trigram tokenizer counts them) of a trigram.
    public static let minimumLength = 3
    /// Posts read, newest first, for a substring search whose words are all shorter than a trigram
    /// (`/search 東京`): no index helps, so the cost is bounded and older posts are not searched.
    public static let shortScanWindow = 20_000

    /// The route for the words of a search (already split at punctuation).
    public static func route(_ words: [String]) -> SubstringSearch {
        if words.contains(where: { $0.unicodeScalars.contains(where: isUnspacedScript) }) { return .substrings }
        guard !words.isEmpty, words.allSatisfy({ $0.unicodeScalars.count >= minimumLength }) else { return .words }
        return .wordsThenSubstrings
    }

    /// True for a character of a script written without spaces between words: CJK ideographs, kana,
    /// Thai, Lao, Khmer, Myanmar, Tibetan. (Korean uses spaces and is left to the word index.)
    public static func isUnspacedScript(_ scalar: Unicode.Scalar) -> Bool {
        unspacedScripts.contains { $0.contains(scalar.value) }
    }

    /// The code points of `isUnspacedScript`.
    static let unspacedScripts: [ClosedRange<UInt32>] = [
        0x0E00...0x0EFF,  // Thai, Lao
        0x0F00...0x0FFF,  // Tibetan
        0x1000...0x109F,  // Myanmar
        0x1780...0x17FF,  // Khmer
        0x3040...0x30FF,  // Hiragana, Katakana
        0x31F0...0x31FF,  // Katakana extensions
        0x3400...0x4DBF,  // CJK extension A
        0x4E00...0x9FFF,  // CJK unified ideographs
        0xF900...0xFAFF,  // CJK compatibility ideographs
        0xFF66...0xFF9F,  // half-width Katakana
        0x20000...0x3134F,  // CJK extensions B–G
    ]

    /// A GLOB pattern (SQLite compares code points in a class) matching text with such a character.
    public static var unspacedScriptGlob: String {
        "*["
            + unspacedScripts.map { range in
                String(Character(Unicode.Scalar(range.lowerBound)!)) + "-"
                    + String(Character(Unicode.Scalar(range.upperBound)!))
            }.joined() + "]*"
    }
}
