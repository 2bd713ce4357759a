/// Which Unicode scalars may reach another person's terminal.
///
/// Refused:
/// - C0 and C1 controls and DEL (category Cc, which includes ESC and so every escape sequence);
/// - format characters (Cf: bidi embeddings, overrides and isolates, zero-width spaces, word joiners,
///   the BOM, invisible operators, tags U+E0001 and U+E0020–E007F);
/// - line and paragraph separators (Zl, Zp) and noncharacters;
/// - every unassigned code point (Cn), which shows nothing today and may become anything later
///   (U+E0000, U+E0002–E001F, U+E0080–E0FFF, U+2065, U+FFF0–FFF8, ...);
/// - every default-ignorable code point (Unicode's `Default_Ignorable_Code_Point`), which fonts draw as
///   nothing: besides the Cf ones above, the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), U+034F
///   COMBINING GRAPHEME JOINER, the Khmer inherent vowels U+17B4 and U+17B5, and the reserved ranges
///   U+E0000–E0FFF.
///
/// Allowed although default-ignorable:
/// - ZERO WIDTH NON-JOINER and JOINER (U+200C, U+200D), which emoji sequences and several scripts need
///   and which cannot reorder or hide text;
/// - the variation selectors (Unicode's `Variation_Selector`: U+180B–180D and U+180F for Mongolian,
///   U+FE00–FE0F, of which U+FE0F asks for emoji presentation, and U+E0100–E01EF for ideographic
///   variants of CJK names). They are combining marks (Mn): they only pick a glyph for the character
///   before them, so like other marks they cannot start a text and count towards
///   `maxMarksPerCharacter`, which bounds how many can hide behind one character.
public enum TextSafety {
    /// The first scalar in `text` that must not be shown to others, if any.
    public static func firstForbiddenScalar<S: StringProtocol>(in text: S) -> Unicode.Scalar? {
        text.unicodeScalars.first(where: isForbidden)
    }

    public static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return true }
        if scalar.value < 0x7F { return false }
        if scalar.value == 0x200C || scalar.value == 0x200D { return false }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned:
            return true
        default:
            if properties.isDefaultIgnorableCodePoint { return !properties.isVariationSelector }
            return properties.isNoncharacterCodePoint
        }
    }

    /// `text` with every forbidden scalar replaced by U+FFFD, for echoing a client's own input in errors.
    public static func printable<S: StringProtocol>(_ text: S) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(isForbidden(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(result)
    }

    /// The most combining marks one character may carry: enough for every script's real use, too few
    /// to stack marks into a smear across neighbouring lines ("Zalgo" text).
    public static let maxMarksPerCharacter = 8

    /// True for combining marks (categories Mn, Mc, Me), which draw on the character before them.
    public static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// True for scalars that show nothing by themselves: whitespace, marks, joiners, and the letters
    /// and symbols that render blank (Hangul fillers, the blank Braille pattern).
    public static func looksBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200C, 0x200D, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800: return true
        default: return scalar.properties.isWhitespace || isMark(scalar)
        }
    }

    /// How a forbidden scalar is named in an error, e.g. `U+202E`.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
