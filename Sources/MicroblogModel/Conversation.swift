/// One post of a thread and how deep it sits (0 for the root). A deleted post keeps its place.
package struct ThreadEntry: Sendable, Equatable {
    package var post: Post
    package var depth: Int
    package var deleted: Bool

    package init(post: Post, depth: Int, deleted: Bool) {
        self.post = post
        self.depth = depth
        self.deleted = deleted
    }
}
