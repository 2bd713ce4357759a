/// The rules for names and passwords. Pure functions.
public enum AccountRules {
    public static let nameLengths = 3...20
    public static let minPasswordCharacters = 8
    /// Long enough for any passphrase; libxcrypt refuses passphrases of 512 bytes or more.
    public static let maxPasswordBytes = 256

    /// Checks a name: 3 to 20 ASCII letters, digits or `_`.
    public static func validateName(_ name: String) -> Result<String, WireError> {
        let valid =
            nameLengths.contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
        guard valid else {
            return .failure(
                WireError(
                    .badName, "a name is 3 to 20 letters (A-Z, a-z), digits or _, like alice_42"))
        }
        return .success(name)
    }

    /// The key names are unique by, and looked up by. Two names with the same key could be mistaken for
    /// each other, so only one of them can exist: case and underscores are ignored, and characters that
    /// look alike in common terminal fonts are folded: `0` as `o`, `1` and `i` as `l`, `rn` as `m`,
    /// `vv` as `w`. So once `alice` exists, `Alice`, `al1ce`, `ALICE_` and `a_lice` are taken.
    public static func nameKey(_ name: String) -> String {
        var key = String(name.lowercased().unicodeScalars.filter { $0 != "_" })
        key = key.replacingAll("rn", with: "m").replacingAll("vv", with: "w")
        return String(
            key.map { character -> Character in
                switch character {
                case "0": return "o"
                case "1", "i": return "l"
                default: return character
                }
            })
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
