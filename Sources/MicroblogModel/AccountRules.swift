/// The rules for names and passwords. Pure functions.
public enum AccountRules {
    public static let nameLengths = 3...20
    public static let minPasswordCharacters = 8
    /// Long enough for any passphrase; libxcrypt refuses passphrases of 512 bytes or more.
    public static let maxPasswordBytes = 256

    /// Checks a name: 3 to 20 ASCII letters, digits or `_`, at least one of them a letter (a name of
    /// only digits and `_`, like `____` or `1234`, says nothing and folds into look-alikes of words).
    public static func validateName(_ name: String) -> Result<String, WireError> {
        let valid =
            nameLengths.contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
            && name.utf8.contains { byte in (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
        guard valid else {
            return .failure(
                WireError(
                    .badName,
                    "a name is 3 to 20 letters (A-Z, a-z), digits or _, with at least one letter, like alice_42"))
        }
        return .success(name)
    }

    /// The key names are unique by, and looked up by. Two names with the same key could be mistaken for
    /// each other, so only one of them can exist. The fold, applied in this order:
    ///
    /// 1. case is ignored and `_` is dropped;
    /// 2. each digit but `6` becomes the letter it is read as: `0` o, `1` l, `2` z, `3` e, `4` a, `5` s,
    ///    `7` t, `8` b, `9` g; and `i` becomes `l` (after step 1, `I`, `l` and `1` are one stroke). `6` stays:
    ///    read as `b` it would make `bot6` and `bot8` one name, and no two digits may fold together;
    /// 3. letter pairs that render as one letter in common terminal fonts: `rn` m, `vv` w, `cl` d.
    ///
    /// UTS #39's confusables.txt is the reference: restricted to `A-Z a-z 0-9 _` it folds `0` with `O`,
    /// `1` and `I` with `l`, and `rn` with `m`, `cl` with `d`. The rest of step 2 is added because
    /// digits standing for letters ("leetspeak": `5am` for `sam`, `8ob` for `bob`, `3ve` for `eve`) is
    /// exactly how impostor names are made; `vv` is kept from before. Not folded: pairs that look alike
    /// only in some fonts or only side by side (`nn`, `ii`, `q`/`g`, `u`/`v`), which would refuse too
    /// many honest names. The key never holds a digit but `6`, nor `_`, `i` or upper case, nor `rn`, `vv` or `cl`,
    /// so keys that start with `keptApartPrefix` can never be produced by it.
    ///
    /// So once `alice` exists, `Alice`, `al1ce`, `ALICE_`, `a_lice` and `4lice` are taken; once `sam`,
    /// `5am`; once `clover`, `dover`.
    public static func nameKey(_ name: String) -> String {
        asciiNameKey(name) ?? generalNameKey(name)
    }

    /// `nameKey` for an ASCII name (every account's, and most typed ones), byte by byte: the same folds and
    /// the same replacements, each left to right without overlaps. Nil for any other name. The general
    /// way (Unicode lower case, scalar views, string splitting) was most of the cost of a mention.
    static func asciiNameKey(_ name: String) -> String? {
        var folded: [UInt8] = []
        folded.reserveCapacity(name.utf8.count)
        for byte in name.utf8 {
            guard byte < 0x80 else { return nil }
            let lower = (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
            switch lower {
            case UInt8(ascii: "_"): continue
            case UInt8(ascii: "0"): folded.append(UInt8(ascii: "o"))
            case UInt8(ascii: "1"), UInt8(ascii: "i"): folded.append(UInt8(ascii: "l"))
            case UInt8(ascii: "2"): folded.append(UInt8(ascii: "z"))
            case UInt8(ascii: "3"): folded.append(UInt8(ascii: "e"))
            case UInt8(ascii: "4"): folded.append(UInt8(ascii: "a"))
            case UInt8(ascii: "5"): folded.append(UInt8(ascii: "s"))
            case UInt8(ascii: "8"): folded.append(UInt8(ascii: "b"))
            case UInt8(ascii: "7"): folded.append(UInt8(ascii: "t"))
            case UInt8(ascii: "9"): folded.append(UInt8(ascii: "g"))
            default: folded.append(lower)
            }
        }
        for (pair, replacement) in asciiReplacements {
            var replaced: [UInt8] = []
            replaced.reserveCapacity(folded.count)
            var index = 0
            while index < folded.count {
                if index + 1 < folded.count && folded[index] == pair.0 && folded[index + 1] == pair.1 {
                    replaced.append(replacement)
                    index += 2
                } else {
                    replaced.append(folded[index])
                    index += 1
                }
            }
            folded = replaced
        }
        return String(decoding: folded, as: UTF8.self)
    }

    /// `nameKey`'s replacements, in its order: rn as m, vv as w, cl as d.
    private static let asciiReplacements: [((UInt8, UInt8), UInt8)] = [
        ((UInt8(ascii: "r"), UInt8(ascii: "n")), UInt8(ascii: "m")),
        ((UInt8(ascii: "v"), UInt8(ascii: "v")), UInt8(ascii: "w")),
        ((UInt8(ascii: "c"), UInt8(ascii: "l")), UInt8(ascii: "d")),
    ]

    /// The general `nameKey` (any script), which `asciiNameKey` must agree with on ASCII names.
    static func generalNameKey(_ name: String) -> String {
        var folded = String.UnicodeScalarView()
        for scalar in name.lowercased().unicodeScalars {
            switch scalar {
            case "_": continue
            case "0": folded.append("o")
            case "1", "i": folded.append("l")
            case "2": folded.append("z")
            case "3": folded.append("e")
            case "4": folded.append("a")
            case "5": folded.append("s")
            case "8": folded.append("b")
            case "7": folded.append("t")
            case "9": folded.append("g")
            default: folded.append(scalar)
            }
        }
        return String(folded).replacingAll("rn", with: "m").replacingAll("vv", with: "w").replacingAll(
            "cl", with: "d")
    }

    /// Starts the key of an account kept apart when a migration to a new fold found it colliding with an
    /// older account (see `keptApartKey`). `nameKey` never produces it.
    public static let keptApartPrefix = "="

    /// The key given to an account whose name collides under the current fold with an older account's,
    /// when both existed before the fold changed: `=` and the name in lower case. Neither account is lost:
    /// the older one keeps the fold's key, this one is found by its own name (see `lookupKeys`). Unique,
    /// since two such names never had the same lower-case form (the older fold ignored case).
    public static func keptApartKey(_ name: String) -> String {
        keptApartPrefix + name.lowercased()
    }

    /// The keys to look a typed name up by, in order: first an account kept apart under exactly this name
    /// (in any case), then the account whose key the name folds to.
    public static func lookupKeys(_ name: String) -> [String] {
        [keptApartKey(name), nameKey(name)]
    }

    /// A password as typed on a command line or at a prompt, with whitespace (as Unicode defines it)
    /// removed from both ends, the same way on both paths; nil when nothing is left.
    public static func typedPassword(_ typed: String?) -> String? {
        guard let trimmed = typed?.trimmingBlanks(), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// Checks a new password. Passwords cannot start or end with blanks (they are trimmed from the
    /// line) and may hold no control characters.
    public static func validatePassword(_ password: String) -> Result<String, WireError> {
        if password.count < minPasswordCharacters {
            return .failure(WireError(.badPassword, "a password needs at least \(minPasswordCharacters) characters"))
        }
        if password.utf8.count > maxPasswordBytes {
            return .failure(WireError(.badPassword, "a password may be at most \(maxPasswordBytes) bytes"))
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return .failure(WireError(.badPassword, "a password cannot contain control characters"))
        }
        return .success(password)
    }
}
