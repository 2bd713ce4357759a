extension Server {
    /// A snapshot of the server's load (`Server.stats`), taken on the server queue.
    public struct Stats: Sendable, Equatable {
        public var connections: Int
        public var watching: Int
        public var pendingOutputBytes: Int
        public var largestPendingOutput: Int
        /// The most posts committed in one transaction so far (group commit at work).
        public var largestCommit: Int
        /// Pages of `/export` read from the store so far.
        public var exportPagesRead = 0
        /// The SSH door's connection objects still in memory: 0 once every SSH client has gone and what
        /// each connection waited for (an answer, a timer) has run. A leak shows as a count that stays.
        public var sshConnectionsInMemory = 0
    }
}
