/// The rules of signing in on the web door. Pure values and functions.
public enum WebSessionRules {
    /// How long a web session lasts from its sign-in, in milliseconds (30 days): the cookie's
    /// `Max-Age`, and the age past which the database no longer honours it.
    public static let lifetimeMilliseconds: Int64 = 30 * 24 * 3600 * 1000
    /// An account's web sessions at once; a new sign-in beyond them ends the oldest.
    public static let perAccount = 10

    /// A post's text as a browser's form sends it: a `<textarea>`'s line breaks (CR LF, CR or LF) become
    /// single spaces, since a post is one line on every door; everything else is left to `PostRules`.
    public static func postText(fromForm text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        var result = ""
        var pendingBreak = false
        for character in text {
            if character == "\n" || character == "\r" || character == "\r\n" {
                pendingBreak = true
                continue
            }
            if pendingBreak && !result.isEmpty && result.last != " " && character != " " { result.append(" ") }
            pendingBreak = false
            result.append(character)
        }
        return result
    }
}
