/// Work items (connections to flush or pump) taken in chunks of at most `chunk`, one chunk per block of
/// the owner's queue, in arrival order; items that arrive while chunks are taken go to the back. What has
/// been taken is dropped as it goes, so under steady load (the list never empties, as items taken come
/// back at its end) it does not grow by a walk per turn. A value, confined to its owner's queue.
public struct ChunkedBacklog<Item> {
    private var items: [Item] = []
    /// Items before it have been taken.
    private var start = 0
    /// Items taken per chunk.
    public let chunk: Int

    public init(chunk: Int) { self.chunk = max(1, chunk) }

    /// Items not taken yet.
    public var count: Int { items.count - start }
    /// Entries kept, those already taken included (for tests of the compaction).
    public var storedCount: Int { items.count }

    /// Adds `item`; true when the backlog was empty, so the caller schedules a block to take it.
    public mutating func append(_ item: Item) -> Bool {
        items.append(item)
        return count == 1
    }

    /// Takes the next chunk (at most `chunk` items, oldest first). `more` is true when items are left:
    /// the caller schedules another block for them.
    public mutating func takeChunk() -> (items: [Item], more: Bool) {
        let end = min(items.count, start + chunk)
        let taken = Array(items[start..<end])
        start = end
        if start == items.count {
            items.removeAll(keepingCapacity: items.capacity <= 4 * chunk)
            start = 0
            return (taken, false)
        }
        if start >= chunk && start * 2 >= items.count {
            items.removeSubrange(0..<start)
            start = 0
        }
        return (taken, true)
    }
}

@available(*, unavailable) extension ChunkedBacklog: Sendable {}
