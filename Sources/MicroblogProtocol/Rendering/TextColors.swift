import MicroblogModel
import MicroblogSupport

/// ANSI colour for text mode (`/color on`): each author's name in a colour of its own (the same
/// everywhere, from the name), post ids dimmed, errors in red, and the viewer's own `@name` highlighted.
/// Only the server writes escape sequences; user text can hold none (see `TextSafety`).
public struct TextColors: Sendable, Equatable {
    /// The account whose mentions are highlighted: the viewer, when logged in.
    public struct Reader: Sendable, Equatable {
        public var id: Int64
        public var name: String
        /// Kept apart from an older look-alike (`StoredAccount.keptApart`): only its exact name means it.
        public var keptApart: Bool

        public init(id: Int64, name: String, keptApart: Bool = false) {
            self.id = id
            self.name = name
            self.keptApart = keptApart
        }
    }

    public var reader: Reader?

    public init(reader: Reader? = nil) { self.reader = reader }

    static let reset = "\u{1B}[0m"
    static let dim = "\u{1B}[2m"
    static let red = "\u{1B}[31m"
    static let highlight = "\u{1B}[1;7m"  // bold, reversed

    /// Green, yellow, blue, magenta, cyan and their bright forms: red is kept for errors.
    static let palette = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96]

    /// One of ten colours, chosen by a stable hash (FNV-1a) of the name in lower case, so an account
    /// always looks the same. Not by its name key: look-alikes kept apart (`sam`, `5am`) are two people.
    static func name(_ name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in name.lowercased().utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return "\u{1B}[\(palette[Int(hash % UInt32(palette.count))])m" + name + reset
    }

    /// `text` with every `@name` that means the reader highlighted. `resolved` holds the names of the
    /// accounts the post mentions (`Post.mentions`), which say where a written name led: to the account
    /// of exactly that name when there is one (an account kept apart is reached only that way), else to
    /// the account its name key folds to.
    func highlightMentions(_ text: String, resolved: [String]) -> String {
        guard let reader, text.contains("@"), resolved.contains(where: { $0.lowercased() == reader.name.lowercased() })
        else { return text }
        let readerName = reader.name.lowercased()
        let readerKey = AccountRules.nameKey(reader.name)
        var result = ""
        var rest = Substring(text)
        while let at = rest.firstIndex(of: "@") {
            result += rest[..<at]
            let afterAt = rest.index(after: at)
            let name = rest[afterAt...].prefix(while: PostEntities.isNameCharacter)
            let written = name.lowercased()
            let meansReader =
                if written == readerName {
                    true
                } else if resolved.contains(where: { $0.lowercased() == written }) {
                    false  // An account of exactly this name was mentioned: it is someone else.
                } else {
                    !reader.keptApart && !name.isEmpty && AccountRules.nameKey(String(name)) == readerKey
                }
            result += meansReader ? Self.highlight + "@" + name + Self.reset : "@" + name
            rest = rest[name.endIndex...]
        }
        return result + rest
    }
}
