import Testing

@testable import MicroblogCore

/// What may reach another person's terminal, and the rules for posts, names and passwords.
@Suite struct TextRulesTests {
    /// Each must be refused inside a post: it can move the cursor, recolour or hide text, or reorder it.
    static let hostile: [String] = [
        "\u{1B}[2J", "\u{1B}]0;title\u{07}", "\u{1B}", "\u{85}", "\u{9B}31m", "\u{7F}", "\u{07}", "\u{0}", "\u{8}",
        "\u{0B}", "\u{0C}", "\u{202E}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{2066}", "\u{2067}",
        "\u{2068}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{2060}", "\u{FEFF}", "\u{2028}",
        "\u{2029}", "\u{E0041}", "\u{E0001}", "\u{00AD}",
        // Noncharacters, which Swift literals cannot spell.
        scalar(0xFFFF), scalar(0xFDD0), scalar(0x10FFFE),
    ]

    private static func scalar(_ value: UInt32) -> String { String(Unicode.Scalar(value)!) }

    /// Text people write: emoji sequences, flags, accents, other scripts.
    static let friendly: [String] = [
        "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}",  // family
        "\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",  // rainbow flag
        "\u{1F1EB}\u{1F1F7} \u{1F1EF}\u{1F1F5}",  // flags
        "\u{1F44B}\u{1F3FD}",  // skin tone
        "e\u{301}a\u{300}o\u{308}",  // combining accents
        "caf\u{E9} na\u{EF}ve",
        "\u{4E2D}\u{6587}\u{5B57} \u{65E5}\u{672C}\u{8A9E} \u{D55C}\u{AD6D}\u{C5B4}",  // CJK and Hangul
        "\u{645}\u{631}\u{62D}\u{628}\u{627}",  // Arabic
        "\u{92E}\u{93F}\u{200C}\u{937}",  // Devanagari with ZWNJ
        "\u{3A9}\u{3BC}\u{3AD}\u{3B3}\u{3B1}",
        "non\u{A0}breaking",
        "$ 5 < 6 & \"quotes\" 'x' \\ ~",
    ]

    // MARK: - TextSafety

    @Test(arguments: hostile)
    func hostileScalarsAreForbidden(text: String) {
        #expect(TextSafety.firstForbiddenScalar(in: text) != nil)
        #expect(TextSafety.isForbidden(text.unicodeScalars.first!))
    }

    @Test(arguments: friendly)
    func friendlyTextIsAllowed(text: String) {
        #expect(TextSafety.firstForbiddenScalar(in: text) == nil)
    }

    @Test func firstForbiddenScalarIsTheFirst() {
        #expect(TextSafety.firstForbiddenScalar(in: "ok \u{202E}then\u{1B}") == "\u{202E}")
        #expect(TextSafety.firstForbiddenScalar(in: "plain") == nil)
    }

    @Test func printableReplacesForbiddenScalars() {
        #expect(TextSafety.printable("a\u{1B}[2Jb\u{202E}c") == "a\u{FFFD}[2Jb\u{FFFD}c")
        #expect(TextSafety.printable("caf\u{E9} \u{1F600}") == "caf\u{E9} \u{1F600}")
        for text in Self.hostile {
            #expect(TextSafety.firstForbiddenScalar(in: TextSafety.printable(text)) == nil)
        }
    }

    @Test func describeNamesTheScalar() {
        #expect(TextSafety.describe("\u{1B}") == "U+001B")
        #expect(TextSafety.describe("\u{202E}") == "U+202E")
        #expect(TextSafety.describe("\u{E0041}") == "U+E0041")
    }

    // MARK: - PostRules

    @Test(arguments: hostile)
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

    @Test(arguments: hostile)
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

    @Test(arguments: friendly)
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

    // MARK: - Names

    @Test(arguments: ["bob", "alice_42", "ABC", "_x_", "a1b2c3d4e5f6g7h8i9j0", "Zed"])
    func validNames(name: String) {
        #expect(AccountRules.validateName(name) == .success(name))
    }

    @Test(arguments: [
        "", "ab", "abcdefghijklmnopqrstu", "bob-smith", "bob smith", " bob", "bob ", "jos\u{E9}",
        "\u{43C}\u{438}\u{440}",
        "b\u{430}b", "\u{430}lice", "bob!", "bob.", "bob\u{0}", "bob\u{200B}x", "\u{FF41}\u{FF42}\u{FF43}",
        "\u{1F600}ab",
        "b\u{1B}[2J",
    ])
    func invalidNames(name: String) {
        guard case .failure(let error) = AccountRules.validateName(name) else {
            Issue.record("accepted \(name.unicodeScalars.map(\.value))")
            return
        }
        #expect(error.code == .badName)
    }

    @Test func nameLengthBounds() {
        #expect(AccountRules.validateName("ab").isFailure)
        #expect(!AccountRules.validateName("abc").isFailure)
        #expect(!AccountRules.validateName(String(repeating: "a", count: 20)).isFailure)
        #expect(AccountRules.validateName(String(repeating: "a", count: 21)).isFailure)
        // Two ASCII letters and one two-byte letter are three bytes but not a valid name.
        #expect(AccountRules.validateName("a\u{E9}").isFailure)
    }

    @Test func nameKeyIgnoresCaseUnderscoresAndLookAlikes() {
        #expect(AccountRules.nameKey("AliCE_9") == "allce9")
        #expect(AccountRules.nameKey("bob") == AccountRules.nameKey("BOB"))
        // Names that a reader could take for "alice" or "modern" all collide with them.
        for impostor in ["Alice", "al1ce", "AL1CE", "a_lice", "alice_", "_alice", "aIice", "alIce", "al_ice_"] {
            #expect(AccountRules.nameKey(impostor) == AccountRules.nameKey("alice"), "\(impostor)")
        }
        #expect(AccountRules.nameKey("rnodern") == AccountRules.nameKey("modern"))
        #expect(AccountRules.nameKey("vvilma") == AccountRules.nameKey("wilma"))
        #expect(AccountRules.nameKey("b0b") == AccountRules.nameKey("bob"))
        // Different names stay different.
        #expect(AccountRules.nameKey("alice") != AccountRules.nameKey("alicia"))
        #expect(AccountRules.nameKey("bob") != AccountRules.nameKey("rob"))
        #expect(AccountRules.nameKey("b\u{430}b") != AccountRules.nameKey("bab"))
    }

    // MARK: - Passwords

    @Test func passwordLength() {
        #expect(AccountRules.validatePassword("1234567").isFailure)
        #expect(AccountRules.validatePassword("12345678") == .success("12345678"))
        #expect(AccountRules.validatePassword("").isFailure)
        #expect(AccountRules.validatePassword("pass word") == .success("pass word"))
        // Counted in characters: eight emoji are enough, seven are not.
        #expect(!AccountRules.validatePassword(String(repeating: "\u{1F511}", count: 8)).isFailure)
        #expect(AccountRules.validatePassword(String(repeating: "\u{1F511}", count: 7)).isFailure)
    }

    @Test func passwordByteLimit() {
        let exact = String(repeating: "p", count: AccountRules.maxPasswordBytes)
        #expect(AccountRules.validatePassword(exact) == .success(exact))
        #expect(AccountRules.validatePassword(exact + "p").isFailure)
        // 342 three-byte characters are 1026 bytes.
        #expect(AccountRules.validatePassword(String(repeating: "\u{20AC}", count: 342)).isFailure)
    }

    /// The parser trims only spaces and tabs from a password on the command line; the handlers then pass
    /// it through `AccountRules.typedPassword`, as they do the prompt's answer. A password that survived one
    /// path and not the other (say, one ending in a no-break space) could be registered one way and never
    /// entered the other, so both must trim alike.
    @Test(arguments: ["secretpw\u{A0}", "\u{3000}secretpw", "secret pw\u{2003}", "\u{A0}\u{A0}secretpw"])
    func commandLinePasswordIsTrimmedLikeThePromptOrRefused(typed: String) {
        guard case .success(.register(_, let password?)) = CommandParser.parse("/register bob " + typed) else {
            Issue.record("no password parsed")
            return
        }
        let fromCommandLine = AccountRules.typedPassword(password)
        let fromPrompt = AccountRules.typedPassword(typed)
        #expect(fromCommandLine == fromPrompt)
        #expect(fromCommandLine?.unicodeScalars.first?.properties.isWhitespace == false)
        #expect(fromCommandLine?.unicodeScalars.last?.properties.isWhitespace == false)
    }

    @Test(arguments: ["secret\u{1B}[2J", "pass\u{0}word", "password\u{7F}", "tab\tpassword", "pass\u{85}word1"])
    func passwordWithControlCharacters(password: String) {
        guard case .failure(let error) = AccountRules.validatePassword(password) else {
            Issue.record("accepted \(password.unicodeScalars.map(\.value))")
            return
        }
        #expect(error.code == .badPassword)
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
