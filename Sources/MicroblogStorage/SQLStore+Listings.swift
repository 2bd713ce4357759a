import MicroblogModel
import MicroblogSupport

/// Listings of posts: the public feed, one author's, a home timeline, mentions, tags, search.
extension SQLStore {
    public func posts(in scope: PostScope, _ query: FeedQuery, viewer: Int64?) throws -> [Post] {
        guard query.limit > 0 else { return try emptyIfOpen() }
        if case .home(let userID) = scope { return try homeTimeline(userID, query, viewer: viewer) }
        let (text, values) = listing(scope, query, viewer: viewer)
        let found = try posts(text, values)
        // Newest first (so LIMIT keeps the newest) and reversed here, except for `since`, whose page is
        // the oldest after the id, so a client resuming sees no gap.
        if case .since = query { return found }
        return found.reversed()
    }

    /// The SQL of a listing (any scope but `home`, see `homeTimeline`) and its values. Assembled from
    /// fixed fragments only; every value is bound.
    func listing(_ scope: PostScope, _ query: FeedQuery, viewer: Int64?) -> (String, [SQLValue]) {
        var conditions: [String] = ["posts.deleted_at IS NULL"]
        var values: [SQLValue] = []
        switch scope {
        case .everyone, .home: break
        case .author(let userID):
            conditions.append("posts.user_id = ?")
            values.append(.integer(userID))
        case .mentioning(let userID):
            conditions.append("posts.id IN (SELECT post_id FROM mentions WHERE user_id = ?)")
            values.append(.integer(userID))
        case .tagged(let tag):
            conditions.append("posts.id IN (SELECT post_id FROM tags WHERE tag = ?)")
            values.append(.text(tag))
        }
        if let viewer {
            conditions.append(SQL.notMuted)
            values += [.integer(viewer), .integer(viewer)]
        }
        if webAudience { conditions.append(SQL.shownOnTheWeb) }
        var order = "DESC"
        switch query {
        case .latest: break
        case .before(let id, _):
            conditions.append("posts.id < ?")
            values.append(.integer(id))
        case .since(let id, _):
            conditions.append("posts.id > ?")
            values.append(.integer(id))
            order = "ASC"
        }
        values.append(.integer(Int64(query.limit)))
        let text =
            sql.postColumns + " WHERE " + conditions.joined(separator: " AND ") + " ORDER BY posts.id " + order
            + " LIMIT ?"
        return (text, values)
    }

    public func posts(ids: [Int64], viewer: Int64?) throws -> [Post] {
        guard !ids.isEmpty else { return try emptyIfOpen() }
        let (text, values) = postsByID(ids, viewer: viewer)
        return try posts(text, values)
    }

    /// The SQL of `posts(ids:viewer:)` and its values: the ids bound as one list (`SQLDialect.inIDList`),
    /// so the text is the same for any number of them.
    func postsByID(_ ids: [Int64], viewer: Int64?) -> (String, [SQLValue]) {
        var text = sql.postColumns + " WHERE posts.deleted_at IS NULL AND posts.id" + database.dialect.inIDList
        var values: [SQLValue] = [database.dialect.idList(ids)]
        if let viewer {
            text += " AND " + SQL.notMuted
            values += [.integer(viewer), .integer(viewer)]
        }
        if webAudience { text += " AND " + SQL.shownOnTheWeb }
        return (text + " ORDER BY posts.id", values)
    }

    /// How many of the newest matches a search ranks. Ranking every match of a common word costs time
    /// in proportion to all of them (0.8 s for 200,000 of a million posts, measured); ranking the newest
    /// few thousand keeps a search in tens of milliseconds and still puts the best of recent posts first.
    static var searchCandidates: Int { 2000 }
    /// At most this many posts are indexed before a search runs (see `search`).
    static var searchCatchUpLimit: Int { 50_000 }

    public func search(_ words: [String], limit: Int, viewer: Int64?) throws -> [Post] {
        guard limit > 0, !words.isEmpty else { return try emptyIfOpen() }
        // Words are split where punctuation joins them ("NEAR(cafe" is NEAR and cafe), as the index does;
        // the connection binds them so that nothing the user types is read as query syntax.
        let tokens = words.flatMap { $0.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init) }
        guard !tokens.isEmpty else { return try emptyIfOpen() }
        // Posts committed since the indexes last caught up are indexed first, so a search finds every
        // committed post (see `SearchIndex`); a backlog larger than this (a copy made by `migrate`) is
        // left to the storage worker. Best effort: if it fails (a full disk), the search still answers
        // from what is indexed, and the storage worker logs the failure when it tries.
        _ = try? database.indexForSearch(limit: Self.searchCatchUpLimit)
        let words = {
            try self.ranked(
                self.sql.searchColumns, self.database.searchValues(tokens, candidates: Self.searchCandidates),
                limit: limit, viewer: viewer)
        }
        switch SubstringSearch.route(tokens) {
        case .words: return try words()
        case .wordsThenSubstrings:
            let found = try words()
            return found.isEmpty ? try substrings(tokens, limit: limit, viewer: viewer) : found
        case .substrings: return try substrings(tokens, limit: limit, viewer: viewer)
        }
    }

    public func indexForSearch(limit: Int) throws -> Int {
        try database.indexForSearch(limit: limit)
    }

    public func postsAwaitingSearchIndex() throws -> Int {
        try database.postsAwaitingSearchIndex()
    }

    public func withTimeLimit<T>(_ seconds: Double, _ body: () throws -> T) throws -> T {
        try database.withTimeLimit(seconds, body)
    }

    /// Posts containing every one of `strings` (see `SubstringSearch`): through the trigram index when one
    /// is long enough for it and the index holds every post that can match (`trigramsCoverEveryPost`, or
    /// a string written without spaces), else among the newest `SubstringSearch.shortScanWindow` posts.
    private func substrings(_ strings: [String], limit: Int, viewer: Int64?) throws -> [Post] {
        let indexed =
            strings.contains { $0.unicodeScalars.count >= SubstringSearch.minimumLength }
            && (database.dialect.trigramsCoverEveryPost
                || strings.contains { $0.unicodeScalars.contains(where: SubstringSearch.isUnspacedScript) })
        let window = indexed ? nil : SubstringSearch.shortScanWindow
        return try ranked(
            indexed ? sql.substringColumns : sql.shortSubstringColumns,
            database.substringValues(strings, candidates: Self.searchCandidates, window: window), limit: limit,
            viewer: viewer)
    }

    /// Posts of a ranked candidate query (`columns`, its leading `values`), best first, visible to `viewer`.
    private func ranked(_ columns: String, _ values: [SQLValue], limit: Int, viewer: Int64?) throws -> [Post] {
        var values = values
        var text = columns + " WHERE posts.deleted_at IS NULL AND posts.repost_of IS NULL"
        if let viewer {
            text += " AND " + SQL.notMuted
            values += [.integer(viewer), .integer(viewer)]
        }
        if webAudience { text += " AND " + SQL.shownOnTheWeb }
        text += " ORDER BY candidates.score, posts.id DESC LIMIT ?"
        values.append(.integer(Int64(limit)))
        return try posts(text, values)
    }

    /// A home timeline merged from each author's own index range (`posts_by_user`): at most `limit`
    /// rows read per author, so its cost grows with whom one follows, not with how many posts exist.
    private func homeTimeline(_ userID: Int64, _ query: FeedQuery, viewer: Int64?) throws -> [Post] {
        var authors = Set(try database.statement(SQL.followeeIDs).rows([.integer(userID)]) { $0.int64(at: 0) })
        authors.insert(userID)
        if let viewer {
            authors.subtract(try database.statement(SQL.mutedIDs).rows([.integer(viewer)]) { $0.int64(at: 0) })
        }
        let limit = Int64(query.limit)
        var ids: [Int64] = []
        for author in authors {
            switch query {
            case .latest:
                ids += try database.statement(SQL.authorLatest).rows([.integer(author), .integer(limit)]) {
                    $0.int64(at: 0)
                }
            case .before(let id, _):
                ids += try database.statement(SQL.authorBefore).rows([.integer(author), .integer(id), .integer(limit)])
                {
                    $0.int64(at: 0)
                }
            case .since(let id, _):
                ids += try database.statement(SQL.authorSince).rows([.integer(author), .integer(id), .integer(limit)]) {
                    $0.int64(at: 0)
                }
            }
        }
        ids.sort()
        let page: [Int64]
        if case .since = query { page = Array(ids.prefix(query.limit)) } else { page = Array(ids.suffix(query.limit)) }
        return try posts(ids: page, viewer: nil)
    }
}
