import MicroblogTestSupport
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

/// The rules for a post: safe text, at most 280 characters, blanks trimmed.
@Suite struct PostRulesTests {
    @Test(arguments: TextSafetyTests.hostile)
    func hostileTextInAPostIsBadText(text: String) {
        var posts = ["before" + text + "after", "a " + text + " b", "x" + text + "\u{1F600}"]
        // Blanks (as Unicode defines them) at the ends are trimmed, so only test the others there.
        if !text.unicodeScalars.first!.properties.isWhitespace { posts += [text, text + "x", "x" + text] }
        for post in posts {
            guard case .failure(let error) = PostRules.validate(post) else {
                Issue.record("accepted \(post.unicodeScalars.map(\.value))")
                continue
            }
            #expect(error.code == .badText, "\(post.unicodeScalars.map(\.value))")
        }
    }

    @Test(arguments: TextSafetyTests.hostile)
    func anAcceptedPostNeverHoldsAForbiddenScalar(text: String) {
        // Whatever validate does with a hostile scalar at either end, what it accepts is safe.
        for post in [text, "x" + text, text + "x", " " + text + " x " + text + " "] {
            if case .success(let stored) = PostRules.validate(post) {
                #expect(TextSafety.firstForbiddenScalar(in: stored) == nil, "\(post.unicodeScalars.map(\.value))")
            }
        }
    }

    @Test func badTextErrorNamesTheScalar() {
        guard case .failure(let error) = PostRules.validate("look \u{202E}here") else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.contains("U+202E"))
        #expect(TextSafety.firstForbiddenScalar(in: error.message) == nil)
    }

    @Test(arguments: TextSafetyTests.friendly)
    func friendlyTextIsAPost(text: String) {
        #expect(PostRules.validate(text) == .success(text))
    }

    @Test func postLengthIsCountedInCharacters() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"
        for unit in ["x", "\u{1F600}", family, "e\u{301}", "\u{1F1EB}\u{1F1F7}", "\u{4E2D}"] {
            let exact = String(repeating: unit, count: PostRules.maxCharacters)
            #expect(PostRules.validate(exact) == .success(exact), "\(unit)")
            let over = String(repeating: unit, count: PostRules.maxCharacters + 1)
            guard case .failure(let error) = PostRules.validate(over) else {
                Issue.record("accepted 281 of \(unit)")
                continue
            }
            #expect(error.code == .tooLong)
            #expect(error.message.contains("281"))
        }
    }

    @Test func blanksAroundTheLimitDoNotCount() {
        let text = String(repeating: "y", count: 280)
        #expect(PostRules.validate("   " + text + " \t ") == .success(text))
    }

    @Test func tabsBecomeSpaces() {
        #expect(PostRules.validate("a\tb\t\tc") == .success("a b  c"))
        #expect(PostRules.validate("e\u{301}\tcafé\t日本") == .success("e\u{301} café 日本"))
    }

    @Test func blanksAreTrimmedAtBothEnds() {
        #expect(PostRules.validate("  hello world  ") == .success("hello world"))
        #expect(PostRules.validate("\t hi \t") == .success("hi"))
        #expect(PostRules.validate("\u{3000}wide\u{A0}") == .success("wide"))
        #expect(PostRules.validate("inner   blanks stay") == .success("inner   blanks stay"))
    }

    @Test(arguments: ["", " ", "\t", "  \t  ", "\u{3000}"])
    func emptyOrBlankIsEmptyPost(text: String) {
        guard case .failure(let error) = PostRules.validate(text) else {
            Issue.record("accepted")
            return
        }
        #expect(error.code == .emptyPost)
    }

    @Test func variationSelectorsFollowTheMarkRules() {
        // Emoji and text presentation, and an ideographic variation sequence (葛 with its IVS).
        for text in ["\u{2764}\u{FE0F}", "\u{263A}\u{FE0E}", "\u{845B}\u{E0100}", "\u{1820}\u{180B}"] {
            #expect(PostRules.validate(text) == .success(text), "\(text.unicodeScalars.map(\.value))")
        }
        // Like any mark: none may start a text, a text of them alone is blank, and at most 8 per character.
        #expect(PostRules.validate("\u{FE0F}x").isFailure)
        #expect(PostRules.validate("\u{FE0F}\u{FE0F}").isFailure)
        #expect(PostRules.validate("x" + String(repeating: "\u{E0100}", count: 9)).isFailure)
    }

    /// Trimming's shortcut (visible ASCII at both ends: nothing to trim) gives what the walk over scalars
    /// gives, on random text with blanks, tabs, controls and combining marks at the ends.
    @Test func trimmingAgreesWithTheWalkOverScalars() {
        let pieces = [
            " ", "\t", "\n", "\r\n", "\r", "a", "~", "!", "é", "e\u{301}", "\u{301}", "\u{3000}", "\u{A0}", "日",
            "\t\u{301}", "x",
        ]
        func reference(_ text: String) -> String {
            let scalars = text.unicodeScalars
            guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
                let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
            else { return "" }
            return String(scalars[first...last])
        }
        var generator = SplitMix64(seed: 29)
        for _ in 0..<20_000 {
            let text = (0..<Int(generator.next() % 8)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }
                .joined()
            #expect(text.trimmingBlanks() == reference(text), "\(text.unicodeScalars.map(\.value))")
        }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

}
