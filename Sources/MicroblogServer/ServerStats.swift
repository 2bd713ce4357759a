extension Server {
    /// A snapshot of the server's load (`Server.stats`), taken on the server queue.
    package struct Stats: Sendable, Equatable {
        package var connections: Int
        package var watching: Int
        package var pendingOutputBytes: Int
        package var largestPendingOutput: Int
        /// The most posts committed in one transaction so far (group commit at work).
        package var largestCommit: Int
        /// Pages of `/export` read from the store so far.
        package var exportPagesRead = 0
    }
}
