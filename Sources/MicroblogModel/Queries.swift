/// Which slice of the public timeline a listing wants. Every listing is returned oldest first.
public enum FeedQuery: Sendable, Equatable {
    /// The newest `limit` posts.
    case latest(limit: Int)
    /// The newest `limit` posts with an id below `id`.
    case before(id: Int64, limit: Int)
    /// The oldest `limit` posts with an id above `id`, so a client can resume without a gap.
    case since(id: Int64, limit: Int)

    public var limit: Int {
        switch self {
        case .latest(let limit), .before(_, let limit), .since(_, let limit): return limit
        }
    }

    /// The same query with another limit.
    public func withLimit(_ limit: Int) -> FeedQuery {
        switch self {
        case .latest: return .latest(limit: limit)
        case .before(let id, _): return .before(id: id, limit: limit)
        case .since(let id, _): return .since(id: id, limit: limit)
        }
    }
}

/// Whose posts a listing shows.
public enum PostScope: Sendable, Equatable {
    /// Everyone's: the public timeline.
    case everyone
    /// One account's posts.
    case author(Int64)
    /// An account's home timeline: its own posts and those of the accounts it follows.
    case home(Int64)
    /// Posts that mention an account.
    case mentioning(Int64)
    /// Posts with a hashtag (lower case, without `#`).
    case tagged(String)
}
