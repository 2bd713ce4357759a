import MicroblogModel

/// What every page needs to know about the site and the request it answers. A value; pure.
public struct PageContext: Sendable, Equatable {
    /// Whether search engines may index the pages (`--web-index allow|deny`). A value.
    public enum Indexing: String, Sendable, CaseIterable {
        case allow
        case deny
    }

    /// Shown in the header and in every title, e.g. `microblogd`.
    public var siteName: String
    public var indexing: Indexing
    /// The account signed in on this request, or nil for a visitor.
    public var signedInAs: String?
    /// The token every form posts back in its hidden `csrf` field; nil leaves the field out.
    public var csrfToken: String?
    /// Whether the header offers a sign-in link (false where the door does not sign anyone in).
    public var offersSignIn = true

    public init(siteName: String, indexing: Indexing, signedInAs: String? = nil, csrfToken: String? = nil) {
        self.siteName = siteName
        self.indexing = indexing
        self.signedInAs = signedInAs
        self.csrfToken = csrfToken
    }
}

/// One page of a listing, newest first. A value; pure.
public struct PostPage: Sendable, Equatable {
    public var posts: [Post]
    /// The `before` this page was asked for: nil for the newest page, the only one live posts join.
    public var before: Int64?
    /// Whether older posts exist, so that the page links to them (before its last post's id).
    public var hasOlder: Bool

    public init(posts: [Post], before: Int64? = nil, hasOlder: Bool = false) {
        self.posts = posts
        self.before = before
        self.hasOlder = hasOlder
    }

    /// The `before` of the next older page, when there is one.
    public var olderBefore: Int64? { hasOlder ? posts.last?.id : nil }
}
