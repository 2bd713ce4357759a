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

/// The rules for names and passwords.
@Suite struct AccountRulesTests {
    @Test(arguments: ["bob", "alice_42", "ABC", "_x_", "a1b2c3d4e5f6g7h8i9j0", "Zed"])
    func validNames(name: String) {
        #expect(AccountRules.validateName(name) == .success(name))
    }

    @Test(arguments: [
        "", "ab", "abcdefghijklmnopqrstu", "bob-smith", "bob smith", " bob", "bob ", "jos\u{E9}",
        "\u{43C}\u{438}\u{440}",
        "b\u{430}b", "\u{430}lice", "bob!", "bob.", "bob\u{0}", "bob\u{200B}x", "\u{FF41}\u{FF42}\u{FF43}",
        "\u{1F600}ab",
        "b\u{1B}[2J", "____", "___", "123", "_1_", "2024_06_01", "0000",
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
        #expect(AccountRules.nameKey("AliCE_9") == "allceg")
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

    /// Look-alikes that once could coexist (issue 12), and the whole fold: each pair is one name.
    @Test(arguments: [
        ("sam", "5am"), ("bob", "8ob"), ("clover", "dover"), ("eve", "3ve"), ("bob", "b0b"), ("alice", "4lice"),
        ("zed", "2ed"), ("tom", "7om"), ("gus", "9us"), ("lily", "1i1y"), ("Ill", "lIl"),
        ("modern", "rnodern"), ("wilma", "vvilma"), ("cloud", "doud"), ("c1ear", "dear"), ("SAM", "s_a_m"),
        ("leet", "1337"), ("oslo", "0510"),
    ])
    func lookAlikeNamesShareAKey(first: String, second: String) {
        #expect(AccountRules.nameKey(first) == AccountRules.nameKey(second))
    }

    /// No two digits fold together, so names numbered alike stay apart (`bot6`, `bot8`).
    @Test(arguments: [
        ("sam", "som"), ("nn", "m"), ("rob", "bob"), ("dover", "dove"), ("eve", "ewe"), ("uv", "w"),
        ("bot6", "bot8"), ("user6", "userb"),
    ])
    func differentNamesKeepDifferentKeys(first: String, second: String) {
        #expect(AccountRules.nameKey(first) != AccountRules.nameKey(second))
    }

    /// The key is made only of letters other than `i`, and `6`, holds none of the folded pairs, is stable under
    /// the fold, and never starts with the kept-apart prefix: so a kept-apart key is never a fold's.
    @Test func nameKeysAreFoldedCompletely() {
        var random = SplitMix64(seed: 12)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_rnvvclI1")
        for _ in 0..<20_000 {
            let name = String((0..<(3 + random.below(18))).map { _ in alphabet[random.below(alphabet.count)] })
            let key = AccountRules.nameKey(name)
            #expect(key.allSatisfy { ($0.isASCII && $0.isLowercase && $0 != "i") || $0 == "6" }, "\(name) -> \(key)")
            #expect(!key.contains("rn") && !key.contains("vv") && !key.contains("cl"), "\(name) -> \(key)")
            #expect(AccountRules.nameKey(key) == key, "\(name) -> \(key)")
            #expect(!key.hasPrefix(AccountRules.keptApartPrefix))
        }
        #expect(AccountRules.keptApartKey("5AM") == "=5am")
        #expect(AccountRules.lookupKeys("5Am") == ["=5am", "sam"])
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
