/// What a session receives live, besides what is addressed to it (mentions), which always arrives.
/// A value; stored for an account as text (`all`, `following #swift #rust`, `off #swift`).
public struct WatchSetting: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// Every post.
        case all
        /// Your own posts and those of the accounts you follow.
        case following
        /// None, but for the hashtags in `tags`.
        case off
    }

    public var mode: Mode
    /// Hashtags (lower case) whose posts arrive whatever the mode.
    public var tags: Set<String>

    public static let maxTags = 20
    public static let all = WatchSetting(mode: .all, tags: [])

    public init(mode: Mode, tags: Set<String> = []) {
        self.mode = mode
        self.tags = tags
    }

    /// Parses the stored form; nil when it is not one.
    public init?(stored: String) {
        let words = stored.split(separator: " ")
        guard let first = words.first, let mode = Mode(rawValue: String(first)) else { return nil }
        var tags: Set<String> = []
        for word in words.dropFirst() {
            guard let tag = PostEntities.normalizedTag(String(word)) else { return nil }
            tags.insert(tag)
        }
        self.init(mode: mode, tags: tags)
    }

    /// The stored form, tags sorted.
    public var stored: String {
        ([mode.rawValue] + tags.sorted().map { "#" + $0 }).joined(separator: " ")
    }

    /// True when no post can arrive but what is addressed to the session.
    public var isSilent: Bool { mode == .off && tags.isEmpty }

    /// Whether a post by `authorID` with `postTags` arrives for a viewer who is `viewerID` (if logged in)
    /// and follows `following`.
    public func admits(authorID: Int64, tags postTags: [String], viewerID: Int64?, following: Set<Int64>) -> Bool {
        switch mode {
        case .all: return true
        case .following:
            if authorID == viewerID || following.contains(authorID) { return true }
        case .off: break
        }
        return !tags.isEmpty && postTags.contains(where: tags.contains)
    }

    /// For people: `all posts`, `posts of people you follow, and #swift`, ...
    public var description: String {
        let base: String
        switch mode {
        case .all: base = "all posts"
        case .following: base = "your posts and those of people you follow"
        case .off: base = tags.isEmpty ? "nothing but mentions" : "posts"
        }
        guard !tags.isEmpty, mode != .all else { return base }
        let list = tags.sorted().map { "#" + $0 }.joined(separator: ", ")
        return mode == .off ? "posts tagged \(list)" : "\(base), and posts tagged \(list)"
    }
}
