/// A `/search` as typed, split into the terms the indexes see and checked against the limits that bound
/// what one search may cost. A value; pure.
///
/// What makes a search expensive is not the number of posts that match (only the newest
/// `SQLStore.searchCandidates` are ranked) but text the indexes cannot narrow: a term longer than any
/// word is compared against every post of the scan window (`SubstringSearch.shortScanWindow`), and each
/// further term is one more comparison per post. So the query's characters, its terms and each term's
/// length are limited here, before any database work; the time limit (`timeLimit`, enforced inside
/// the database) bounds whatever remains, such as a scan for a short term written without spaces.
public struct SearchQuery: Equatable, Sendable {
    /// Characters (Unicode scalars) of all the words typed, spaces between them not counted.
    public static let maxCharacters = 200
    /// Terms after splitting at punctuation (`NEAR(cafe` is two).
    public static let maxTerms = 8
    /// Characters (Unicode scalars) of one term: longer than any word in a dictionary
    /// ("Donaudampfschifffahrtsgesellschaftskapitän" has 42).
    public static let maxTermLength = 50
    /// Seconds one search may run inside the database before it is stopped and answered with
    /// `search_timeout`.
    public static let timeLimit = 0.1

    /// The terms, in the order typed: letters and digits only, never query syntax.
    public let terms: [String]

    /// The words of `/search WORDS`, split where punctuation joins them, as the word index splits posts.
    /// Fails with `bad_query` (saying which limit and how to narrow the search) when the query is too
    /// long, has too many terms or a term too long, or has no term at all.
    public static func parse(_ words: [String]) -> Result<SearchQuery, WireError> {
        let characters = words.reduce(0) { $0 + $1.unicodeScalars.count }
        guard characters <= maxCharacters else {
            return .failure(
                WireError(
                    .badQuery,
                    "a search holds at most \(maxCharacters) characters (this one has \(characters)); search for"
                        + " fewer or shorter words"))
        }
        let terms = words.flatMap { word in
            word.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        }
        guard !terms.isEmpty else {
            return .failure(WireError(.badQuery, "a search needs at least one word of letters or digits"))
        }
        guard terms.count <= maxTerms else {
            return .failure(
                WireError(
                    .badQuery,
                    "a search holds at most \(maxTerms) words (punctuation separates words; this one has"
                        + " \(terms.count)); leave some out"))
        }
        if let long = terms.first(where: { $0.unicodeScalars.count > maxTermLength }) {
            return .failure(
                WireError(
                    .badQuery,
                    "a search word has at most \(maxTermLength) characters (one has \(long.unicodeScalars.count));"
                        + " search for part of it"))
        }
        return .success(SearchQuery(terms: terms))
    }

    /// The `search_timeout` error: the search ran out of `timeLimit`, and how to narrow it.
    public static var timedOut: WireError {
        WireError(
            .searchTimeout,
            "the search took longer than \(Int(timeLimit * 1000)) ms and was stopped; add a word, or use longer"
                + " words (3 or more characters), so that fewer posts need reading")
    }
}
