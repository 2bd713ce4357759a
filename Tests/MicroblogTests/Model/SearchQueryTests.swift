@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// The limits on a search's shape, checked before any database work: the attacks of issue "guest searches
/// stall posting" (4,000 `x`, sixteen words found nowhere) are refused with `bad_query`.
@Suite struct SearchQueryTests {
    private func refusal(_ words: [String]) -> WireError? {
        if case .failure(let error) = SearchQuery.parse(words) { return error }
        return nil
    }

    @Test func wordsSplitAtPunctuationAsTheIndexDoes() throws {
        #expect(try SearchQuery.parse(["NEAR(cafe", "bon"]).get().terms == ["NEAR", "cafe", "bon"])
        #expect(try SearchQuery.parse(["日本語"]).get().terms == ["日本語"])
        #expect(refusal(["***", "()"])?.code == .badQuery)
    }

    @Test func aQueryLongerThanTheLimitIsRefused() throws {
        let long = String(repeating: "x", count: 4000)
        #expect(refusal([long])?.code == .badQuery)
        // Many words that are each allowed still add up.
        let words = Array(repeating: String(repeating: "y", count: 40), count: 6)
        #expect(words.joined().count > SearchQuery.maxCharacters)
        let error = try #require(refusal(words))
        #expect(error.code == .badQuery && error.message.contains("at most \(SearchQuery.maxCharacters) characters"))
        #expect(try SearchQuery.parse(Array(words.prefix(5))).get().terms.count == 5)
    }

    @Test func tooManyTermsAreRefusedNotDropped() throws {
        let sixteen = (0..<16).map { "w\($0)xz" }
        let error = try #require(refusal(sixteen))
        #expect(error.code == .badQuery && error.message.contains("at most \(SearchQuery.maxTerms) words"))
        // Punctuation makes terms too: one typed word can be many.
        #expect(refusal([(0..<9).map { "a\($0)" }.joined(separator: ",")])?.code == .badQuery)
        #expect(try SearchQuery.parse(Array(sixteen.prefix(SearchQuery.maxTerms))).get().terms.count == 8)
    }

    @Test func aTermLongerThanAnyWordIsRefused() throws {
        let longest = String(repeating: "a", count: SearchQuery.maxTermLength)
        #expect(try SearchQuery.parse([longest]).get().terms == [longest])
        let error = try #require(refusal([longest + "a"]))
        #expect(error.code == .badQuery && error.message.contains("search for part of it"))
        // Characters, not bytes: 50 kanji pass.
        #expect(try SearchQuery.parse([String(repeating: "語", count: 50)]).get().terms.count == 1)
    }

    @Test func theCommandRefusesWhatTheLimitsRefuse() {
        let parsed = CommandParser.parse("/search " + (0..<9).map { "word\($0)" }.joined(separator: " "))
        guard case .failure(let error)? = parsed else {
            Issue.record("expected a refusal, got \(parsed)")
            return
        }
        #expect(error.code == .badQuery)
        #expect(CommandParser.parse("/search a,b c") == .some(.success(.search(["a", "b", "c"]))))
    }
}
