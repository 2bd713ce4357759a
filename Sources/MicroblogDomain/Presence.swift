import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Who is online, on this node and, when nodes share a PostgreSQL database, on the others: each node
/// records a snapshot of its own every `presenceInterval` seconds, and `/who` and `/profile` merge the
/// fresh ones with this node's live state.
extension SessionDirectory {
    /// How often a node records its presence, and how old another node's may be before it counts as gone.
    static let presenceInterval = 2.0
    static let presenceLifetime = 10.0

    /// This node's presence now.
    func localPresence() -> PresenceSnapshot {
        queue.checkConfined()
        var users: [PresenceSnapshot.Entry] = []
        var loggedIn = 0
        for (userID, open) in sessionsByUser {
            guard let name = open.first?.user?.name else { continue }
            users.append(.init(userID: userID, name: name, sessions: open.count, away: awayMessages[userID]))
            loggedIn += open.count
        }
        return PresenceSnapshot(guests: max(0, sessions.count - loggedIn), users: users)
    }

    /// Records this node's presence for the others (nothing without shared storage).
    func publishPresence() {
        queue.checkConfined()
        guard presenceShared else { return }
        let snapshot = localPresence()
        let node = nodeID
        let since = Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(Self.presenceLifetime * 1000))
        storage.perform({ store in
            try store.publishPresence(snapshot, node: node, at: .now())
            return try store.presence(since: since)
        }) { [self] result in
            switch result {
            case .success(let nodes):
                rememberRemoteNames(nodes)
            case .failure(let error):
                log.warn("presence", ["error": error.description])
            }
        }
    }

    /// Keeps the names online on other nodes, for Tab completion, which cannot wait for the database.
    private func rememberRemoteNames(_ nodes: [(node: String, snapshot: PresenceSnapshot)]) {
        remoteNames = Set(nodes.filter { $0.node != nodeID }.flatMap { $0.snapshot.users.map(\.name) })
    }

    /// Removes this node's presence (it is stopping); queued before the store closes.
    func forgetPresence() {
        queue.checkConfined()
        guard presenceShared else { return }
        let node = nodeID
        storage.perform({ store in try store.clearPresence(node: node) }) { _ in }
    }

    /// Calls `done` with everyone online on every node, by account, and the guests: from this node's live
    /// state and the other nodes' fresh snapshots. Without shared storage, at once from this node alone.
    func withPresence(_ done: @escaping (_ users: [Int64: PresenceSnapshot.Entry], _ guests: Int) -> Void) {
        queue.checkConfined()
        let local = localPresence()
        var users: [Int64: PresenceSnapshot.Entry] = [:]
        for entry in local.users { users[entry.userID] = entry }
        guard presenceShared else { return done(users, local.guests) }
        let since = Timestamp(milliseconds: Timestamp.now().milliseconds - Int64(Self.presenceLifetime * 1000))
        let node = nodeID
        storage.perform({ store in try store.presence(since: since) }) { [self] result in
            var guests = local.guests
            // Another node's that cannot be read is left out rather than failing the command.
            let others = ((try? result.get()) ?? []).filter { $0.node != node }
            if case .success(let nodes) = result { rememberRemoteNames(nodes) }
            for (_, snapshot) in others {
                guests += snapshot.guests
                for entry in snapshot.users {
                    if var known = users[entry.userID] {
                        known.sessions += entry.sessions
                        known.away = known.away ?? entry.away
                        users[entry.userID] = known
                    } else {
                        users[entry.userID] = entry
                    }
                }
            }
            done(users, guests)
        }
    }
}
