/// What one node tells the others sharing its PostgreSQL database, and the text it travels as in a
/// NOTIFY payload: `KIND NODE DATA`, such as `posts 3f9a1c 41,42,43`. Payloads stay far below
/// PostgreSQL's 8,000-byte limit: long id lists are split. A value; pure.
public enum ClusterEvent: Equatable, Sendable {
    /// Posts committed by another node, to be read by id and delivered live.
    case posts([Int64])
    /// Posts deleted (a post and its reposts).
    case deleted([Int64])
    /// An account banned: its sessions on every node end.
    case banned(userID: Int64, reason: String)
    /// A direct message, delivered live to its recipient's (and sender's) sessions on every node.
    case message(Int64)
    /// An account kicked (`/kick`): its sessions on every node end, without a ban.
    case kicked(userID: Int64)
    /// An account deleted by its owner: its sessions on every node end.
    case accountDeleted(userID: Int64)
    /// An administrator's notice (`/announce`) to everyone online on every node.
    case announcement(from: String, text: String)
    /// Notifications, delivered live to their recipients' sessions on every node.
    case notifications([Int64])
    /// A failed password check on one node, for the account (by name key) and the address: every node
    /// counts it in its login delays, so guesses spread over the nodes are held back as on one.
    case loginFailed(nameKey: String, host: String)
    /// A post liked or no longer liked: nodes holding it among the newest posts read its count again.
    case liked(Int64)

    /// Ids per payload: 350 ids of up to 19 digits and a comma stay under 8,000 bytes.
    static let idsPerPayload = 350

    /// The payloads announcing this event from `node`.
    public func payloads(from node: String) -> [String] {
        switch self {
        case .posts(let ids): return Self.chunks(ids).map { "posts \(node) " + $0 }
        case .deleted(let ids): return Self.chunks(ids).map { "deleted \(node) " + $0 }
        case .banned(let userID, let reason): return ["banned \(node) \(userID) " + reason]
        case .message(let id): return ["message \(node) \(id)"]
        case .kicked(let userID): return ["kicked \(node) \(userID)"]
        case .accountDeleted(let userID): return ["account_deleted \(node) \(userID)"]
        case .announcement(let from, let text): return ["announce \(node) \(from) " + text]
        case .notifications(let ids): return Self.chunks(ids).map { "notifications \(node) " + $0 }
        case .loginFailed(let nameKey, let host): return ["login_failed \(node) \(host) " + nameKey]
        case .liked(let id): return ["liked \(node) \(id)"]
        }
    }

    private static func chunks(_ ids: [Int64]) -> [String] {
        stride(from: 0, to: ids.count, by: idsPerPayload).map { start in
            ids[start..<min(ids.count, start + idsPerPayload)].map(String.init).joined(separator: ",")
        }
    }

    /// Reads a payload; nil for one this version does not understand (a newer node's), which is ignored.
    public static func parse(_ payload: String) -> (node: String, event: ClusterEvent)? {
        let parts = payload.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty else { return nil }
        let node = String(parts[1])
        func ids(_ text: Substring) -> [Int64]? {
            let values = text.split(separator: ",").map { Int64($0) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
            return values.compactMap { $0 }
        }
        switch parts[0] {
        case "posts": return ids(parts[2]).map { (node, .posts($0)) }
        case "deleted": return ids(parts[2]).map { (node, .deleted($0)) }
        case "message": return Int64(parts[2]).map { (node, .message($0)) }
        case "liked": return Int64(parts[2]).map { (node, .liked($0)) }
        case "kicked": return Int64(parts[2]).map { (node, .kicked(userID: $0)) }
        case "account_deleted": return Int64(parts[2]).map { (node, .accountDeleted(userID: $0)) }
        case "announce":
            let rest = parts[2].split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard rest.count == 2, !rest[0].isEmpty else { return nil }
            return (node, .announcement(from: String(rest[0]), text: String(rest[1])))
        case "notifications": return ids(parts[2]).map { (node, .notifications($0)) }
        case "login_failed":
            // The address has no space; the name key, last, is taken whole.
            let rest = parts[2].split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard rest.count == 2, !rest[0].isEmpty, !rest[1].isEmpty else { return nil }
            return (node, .loginFailed(nameKey: String(rest[1]), host: String(rest[0])))
        case "banned":
            let rest = parts[2].split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard let userID = rest.first.flatMap({ Int64($0) }) else { return nil }
            return (node, .banned(userID: userID, reason: rest.count > 1 ? String(rest[1]) : ""))
        default: return nil
        }
    }
}

/// What the cluster listener (a PostgreSQL connection that hears the other nodes) tells the node.
public enum ClusterReport: Sendable {
    /// Events from other nodes, in the order PostgreSQL delivered them (commit order).
    case events([ClusterEvent])
    /// The listening connection is back after a loss: announcements made meanwhile were not heard.
    case reconnected
    /// The listening connection was lost; the listener retries every second.
    case lost(String)
    /// This node's own announcements of posts came back: every post up to this id has been announced
    /// (posts commit in id order across the cluster).
    case ownPostsHeard(through: Int64)
}
