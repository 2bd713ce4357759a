/// One post of a thread and how deep it sits (0 for the root). A deleted post keeps its place.
public struct ThreadEntry: Sendable, Equatable {
    public var post: Post
    public var depth: Int
    public var deleted: Bool

    public init(post: Post, depth: Int, deleted: Bool) {
        self.post = post
        self.depth = depth
        self.deleted = deleted
    }
}
