/// ANSI colour for text mode (`/color on`): each author's name in a colour of its own (the same
/// everywhere, from the name), post ids dimmed, errors in red, and the viewer's own `@name` highlighted.
/// Only the server writes escape sequences; user text can hold none (see `TextSafety`).
public struct TextColors: Sendable, Equatable {
    /// The name key of the viewer, whose mentions are highlighted; nil when not logged in.
    public var viewerKey: String?

    public init(viewerKey: String? = nil) { self.viewerKey = viewerKey }

    static let reset = "\u{1B}[0m"
    static let dim = "\u{1B}[2m"
    static let red = "\u{1B}[31m"
    static let highlight = "\u{1B}[1;7m"  // bold, reversed

    /// Green, yellow, blue, magenta, cyan and their bright forms: red is kept for errors.
    static let palette = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96]

    /// One of ten colours, chosen by a stable hash of the name's key (FNV-1a), so a name always looks the same.
    static func name(_ name: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in AccountRules.nameKey(name).utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return "\u{1B}[\(palette[Int(hash % UInt32(palette.count))])m" + name + reset
    }

    /// `text` with every `@name` that mentions the viewer highlighted.
    func highlightMentions(_ text: String) -> String {
        guard let viewerKey, text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let at = rest.firstIndex(of: "@") {
            result += rest[..<at]
            let afterAt = rest.index(after: at)
            let name = rest[afterAt...].prefix(while: PostEntities.isNameCharacter)
            if !name.isEmpty, AccountRules.nameKey(String(name)) == viewerKey {
                result += Self.highlight + "@" + name + Self.reset
            } else {
                result += "@" + name
            }
            rest = rest[name.endIndex...]
        }
        return result + rest
    }
}
