/// What a poster reads in answer to one post, for the benchmark's posters, which must tell a refused
/// post from an accepted one: a refusal counted as nothing would make a run look clean with posts
/// missing.
public enum PostAnswer: Sendable, Equatable {
    case accepted
    case refused

    /// microblogd in text mode: `* posted #N` accepts; an error line (`! ... (rate_limited)`) refuses.
    /// nil for any other line, such as the continuation of an error wrapped at 80 columns (indented).
    public static func microblogd(_ line: String) -> PostAnswer? {
        if line.hasPrefix("* posted") { return .accepted }
        return line.hasPrefix("! ") ? .refused : nil
    }

    /// Redis, to `PUBLISH`: `:N` (the receiver count) accepts; an error (`-ERR ...`) refuses.
    public static func redis(_ line: String) -> PostAnswer? {
        if line.hasPrefix(":") { return .accepted }
        return line.hasPrefix("-") ? .refused : nil
    }
}
