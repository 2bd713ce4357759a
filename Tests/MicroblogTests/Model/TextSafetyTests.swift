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

/// What may reach another person's terminal.
@Suite struct TextSafetyTests {
    /// Each must be refused inside a post: it can move the cursor, recolour or hide text, or reorder it.
    static let hostile: [String] = [
        "\u{1B}[2J", "\u{1B}]0;title\u{07}", "\u{1B}", "\u{85}", "\u{9B}31m", "\u{7F}", "\u{07}", "\u{0}", "\u{8}",
        "\u{0B}", "\u{0C}", "\u{202E}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{2066}", "\u{2067}",
        "\u{2068}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{2060}", "\u{FEFF}", "\u{2028}",
        "\u{2029}", "\u{E0041}", "\u{E0001}", "\u{00AD}", "\u{034F}", "\u{3164}", "\u{115F}", "\u{FFA0}",
        // Unassigned and default-ignorable: once let through.
        scalar(0xE0000), scalar(0xE0002), scalar(0xE001F), scalar(0xE0080), scalar(0xE0FFF), scalar(0x2065),
        scalar(0xFFF0), scalar(0xFFF8),
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

    // MARK: - Whole ranges

    /// Every scalar in the code space (surrogates are no scalars).
    static var everyScalar: [Unicode.Scalar] { (UInt32(0)...0x10FFFF).compactMap { Unicode.Scalar($0) } }

    /// The default-ignorable scalars that stay allowed: the joiners and the variation selectors.
    static func isAllowedIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x200C || scalar.value == 0x200D || scalar.properties.isVariationSelector
    }

    @Test(arguments: [0xE0000...0xE0FFF, 0x2060...0x206F, 0xFFF0...0xFFF8] as [ClosedRange<UInt32>])
    func everyScalarInTheInvisibleBlocksIsRefused(range: ClosedRange<UInt32>) {
        for value in range {
            let scalar = Unicode.Scalar(value)!
            if (0xE0100...0xE01EF).contains(value) {
                // Ideographic variation selectors: allowed after a base character (see TextSafety).
                #expect(!TextSafety.isForbidden(scalar))
                continue
            }
            #expect(TextSafety.isForbidden(scalar), "U+\(String(value, radix: 16))")
            guard case .failure(let error) = PostRules.validate("a" + String(scalar) + "b") else {
                Issue.record("accepted U+\(String(value, radix: 16)) in a post")
                continue
            }
            #expect(error.code == .badText)
        }
    }

    @Test func everyUnassignedScalarIsRefused() {
        var count = 0
        for scalar in Self.everyScalar where scalar.properties.generalCategory == .unassigned {
            count += 1
            if !TextSafety.isForbidden(scalar) { Issue.record("allowed U+\(String(scalar.value, radix: 16))") }
        }
        // Some 800,000 are unassigned in any Unicode version Swift ships.
        #expect(count > 700_000)
    }

    @Test func everyDefaultIgnorableScalarIsRefusedButJoinersAndVariationSelectors() {
        var refused = 0
        var allowed: [UInt32] = []
        for scalar in Self.everyScalar where scalar.properties.isDefaultIgnorableCodePoint {
            if Self.isAllowedIgnorable(scalar) {
                allowed.append(scalar.value)
                #expect(!TextSafety.isForbidden(scalar), "U+\(String(scalar.value, radix: 16))")
            } else {
                refused += 1
                if !TextSafety.isForbidden(scalar) { Issue.record("allowed U+\(String(scalar.value, radix: 16))") }
            }
        }
        #expect(refused > 3_800)
        let expected =
            [0x180B, 0x180C, 0x180D, 0x180F, 0x200C, 0x200D] + Array(0xFE00...0xFE0F) + Array(0xE0100...0xE01EF)
        #expect(allowed == expected.map(UInt32.init))
    }

    /// Ordinary writing in many scripts, emoji with joiners and VS16, keycaps: all accepted.
    static let scripts: [String] = [
        "The quick brown fox", "Größe Straße", "Ça va, l'été?", "Dziękuję", "Čeština", "Ελληνικά κείμενα",
        "Русский текст", "Українська", "עברית עם ניקוד: שָׁלוֹם", "العربية مع تشكيل: مَرْحَبًا", "فارسی\u{200C}ها",
        "हिन्दी", "ক্ষ বাংলা", "ਪੰਜਾਬੀ", "ગુજરાતી", "தமிழ்", "తెలుగు", "ಕನ್ನಡ", "മലയാളം", "සිංහල", "ไทย ภาษา",
        "ລາວ", "မြန်မာ", "ខ្មែរ", "ᠮᠣᠩᠭᠣᠯ", "ትግርኛ", "Հայերեն", "ქართული", "中文 日本語 ひらがな カタカナ",
        "한국어 문장", "བོད་ཡིག", "ᐃᓄᒃᑎᑐᑦ", "ꓡꓲ", "Tiếng Việt", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "∑ x² ≤ ∞",
        "\u{1F469}\u{200D}\u{1F4BB}", "\u{1F3F4}\u{200D}\u{2620}\u{FE0F}", "\u{2764}\u{FE0F}\u{200D}\u{1F525}",
        "\u{1F9D1}\u{1F3FF}\u{200D}\u{1F91D}\u{200D}\u{1F9D1}\u{1F3FB}", "1\u{FE0F}\u{20E3} #\u{FE0F}\u{20E3}",
        "\u{1F1FA}\u{1F1E6}", "\u{263A}\u{FE0F} \u{270C}\u{FE0F}", "\u{E000} private use",
    ]

    @Test(arguments: scripts)
    func ordinaryTextInManyScriptsIsAccepted(text: String) {
        #expect(TextSafety.firstForbiddenScalar(in: text) == nil, "\(text.unicodeScalars.map(\.value))")
        #expect(PostRules.validate(text) == .success(text))
    }

    @Test func subdivisionFlagsAreRefusedAsTheyUseTags() {
        // England's flag: black flag, tag letters g b e n g, cancel tag. Protocol.md §5.3 refuses tags.
        let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"
        #expect(TextSafety.firstForbiddenScalar(in: england) == "\u{E0067}")
    }
}
