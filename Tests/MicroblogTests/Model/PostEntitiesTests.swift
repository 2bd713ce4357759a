import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

@Suite struct PostEntitiesTests {
    @Test func mentionsAreNamesAfterAnAt() {
        #expect(PostEntities(in: "hi @bob and @Carol_9!").mentions == ["bob", "Carol_9"])
        #expect(PostEntities(in: "@alice: first").mentions == ["alice"])
        // Too short, too long, inside an address, doubled, or repeated.
        #expect(PostEntities(in: "@ab @abcdefghijklmnopqrstu").mentions == [])
        #expect(PostEntities(in: "mail me@example.com or @@bob").mentions == [])
        #expect(PostEntities(in: "@bob @BOB").mentions == ["bob"])
        // Look-alikes may be two accounts kept apart: storage resolves each, once.
        #expect(PostEntities(in: "@sam @5am @SAM").mentions == ["sam", "5am"])
    }

    @Test func hashtagsNeedALetterAndCompareInLowerCase() {
        #expect(PostEntities(in: "#Swift is #fun, #swift #SWIFT").tags == ["swift", "fun"])
        #expect(PostEntities(in: "see #42 and #2026 and #año2026").tags == ["año2026"])
        #expect(PostEntities(in: "x#notatag &#39; ##double #日本").tags == ["日本"])
        #expect(PostEntities(in: "#" + String(repeating: "a", count: 51)).tags == [])
    }

    @Test func atMostTenOfEach() {
        let text = (0..<15).map { "#t\($0) @user\($0)" }.joined(separator: " ")
        let entities = PostEntities(in: text)
        #expect(entities.tags.count == PostEntities.maxEach)
        #expect(entities.mentions.count == PostEntities.maxEach)
        #expect(entities.tags.first == "t0")
    }

    @Test func spansAreEveryMentionAndTagWhereItStands() {
        let text = "hi @Bob, #Swift and @bob #swift me@example.com #42 é#x"
        let spans = PostEntities.spans(in: text)
        let characters = Array(text)
        #expect(spans.map { String(characters[$0.range]) } == ["@Bob", "#Swift", "@bob", "#swift"])
        #expect(spans.map(\.kind) == [.mention, .tag, .mention, .tag])
        #expect(spans.map(\.value) == ["Bob", "swift", "bob", "swift"])
        // What the spans find is what is stored, before the limit and the de-duplication.
        let many = (0..<15).map { "#t\($0) @user\($0)" }.joined(separator: " ") + " 👩‍👩‍👧 @ab #日本"
        let found = PostEntities.spans(in: many)
        let stored = PostEntities(in: many)
        #expect(found.count == 31)
        #expect(Array(found.filter { $0.kind == .tag }.map(\.value).prefix(10)) == stored.tags)
        #expect(Array(found.filter { $0.kind == .mention }.map(\.value).prefix(10)) == stored.mentions)
        #expect(found.last.map { String(Array(many)[$0.range]) } == "#日本")
    }

    @Test func typedTagsNormalise() {
        #expect(PostEntities.normalizedTag("#Swift") == "swift")
        #expect(PostEntities.normalizedTag("rust_lang") == "rust_lang")
        #expect(PostEntities.normalizedTag("#") == nil)
        #expect(PostEntities.normalizedTag("#123") == nil)
        #expect(PostEntities.normalizedTag("a b") == nil)
    }
}

/// The fast ways (printable ASCII byte by byte; nothing to scan without `@` or `#`; an ASCII name's key)
/// against the general ways, on random texts made of the characters the rules turn on.
@Suite struct EntityFastPathTests {
    static let alphabet = Array("ab rnvvcl@#&_019AZéx5.-")

    static func randomText(_ generator: inout SplitMix64, length: Int, ascii: Bool) -> String {
        let letters = ascii ? alphabet.filter(\.isASCII) : alphabet
        return String((0..<length).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
    }

    @Test func asciiTextsGiveTheSpansTheCharacterScanGives() {
        var generator = SplitMix64(seed: 27)
        for round in 0..<20_000 {
            let text = Self.randomText(&generator, length: Int(generator.next() % 60), ascii: round % 4 != 0)
            #expect(PostEntities.spans(in: text) == PostEntities.spansByCharacter(in: text), "\(text)")
        }
        // Long names and tags, at and past the limits.
        for length in [2, 3, 20, 21, 50, 51] {
            let run = String(repeating: "a", count: length)
            for text in ["@\(run)", "#\(run)", "x @\(run)!", "(#\(run))"] {
                #expect(PostEntities.spans(in: text) == PostEntities.spansByCharacter(in: text), "\(text)")
            }
        }
    }

    @Test func asciiNameKeysAreTheGeneralFoldsKeys() {
        var generator = SplitMix64(seed: 28)
        for _ in 0..<20_000 {
            let name = Self.randomText(&generator, length: Int(generator.next() % 24), ascii: true)
            #expect(AccountRules.asciiNameKey(name) == AccountRules.generalNameKey(name), "\(name)")
        }
        #expect(AccountRules.asciiNameKey("élan") == nil)
        #expect(AccountRules.nameKey("Rrnclvvv_5am") == AccountRules.generalNameKey("Rrnclvvv_5am"))
    }
}
