import MicroblogModel

/// Who may come in, by every door: the total and per-address connection limits, the handshake budget of
/// the secure doors (TLS handshakes and SSH key exchanges each address may start), and the counts that
/// those limits, `/stats` and the logs read. A pure value; the caller passes the time.
///
/// A connection counts from its accept to its close. Its address counts as soon as it is known: at once,
/// or behind a PROXY header once the header has named the client (`identified`).
public struct Admission: Sendable {
    /// Why a connection is turned away.
    public enum Refusal: Equatable, Sendable {
        /// As many connections are open as `maxConnections` allows.
        case serverFull(limit: Int)
        /// The address has as many connections as `maxConnectionsPerAddress` allows.
        case tooManyConnections(limit: Int)
        /// The address has started as many handshakes as its budget allows this minute; whole seconds
        /// until it may start another.
        case handshakeBudget(retryAfter: Int)

        /// The `reason` of the `refused` log line.
        public var reason: String {
            switch self {
            case .serverFull: WireError.Code.serverFull.rawValue
            case .tooManyConnections: WireError.Code.tooManyConnections.rawValue
            case .handshakeBudget: "handshake_budget"
            }
        }

        /// What a door that can speak before a session says to the client (nil: it is just closed).
        public var error: WireError? {
            switch self {
            case .serverFull(let limit):
                WireError(.serverFull, "the server is full (\(limit) connections); try later")
            case .tooManyConnections(let limit):
                WireError(.tooManyConnections, "too many connections from your address (\(limit)); close some first")
            case .handshakeBudget: nil
            }
        }
    }

    /// Connections open at once on every door; 0 for no limit.
    public let maxConnections: Int
    /// Connections open at once from one address; 0 for no limit.
    public let maxConnectionsPerAddress: Int
    /// Connections open on every door, from accept to close.
    public private(set) var open = 0
    /// Connections open by address, for those whose address is known.
    private var perAddress: [String: Int] = [:]
    private var handshakes: AddressBudget

    public init(maxConnections: Int, maxConnectionsPerAddress: Int, handshakesPerMinute: Double) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        handshakes = AddressBudget(perMinute: handshakesPerMinute)
    }

    /// Decides one new connection, checking in order: the total limit, the per-address limit for `host`
    /// (nil: not known yet, behind a PROXY header), and with `handshake` the address's handshake budget,
    /// from which it takes one. Nil when the connection may come in; it then counts from `opened`.
    public mutating func check(host: String?, handshake: Bool, now: Double) -> Refusal? {
        if maxConnections > 0 && open >= maxConnections { return .serverFull(limit: maxConnections) }
        if let host, let refusal = check(address: host) { return refusal }
        if handshake, let host, let wait = handshakes.take(host, now: now) {
            return .handshakeBudget(retryAfter: Int(wait.rounded(.up)))
        }
        return nil
    }

    /// The refusal for one more connection from `host`, if it has as many as it may.
    public func check(address host: String) -> Refusal? {
        let limit = maxConnectionsPerAddress
        guard limit > 0, perAddress[host, default: 0] >= limit else { return nil }
        return .tooManyConnections(limit: limit)
    }

    /// A connection came in: it counts toward the total, and toward `host`'s when given.
    public mutating func opened(host: String?) {
        open += 1
        if let host { perAddress[host, default: 0] += 1 }
    }

    /// A connection opened without an address now has one (its PROXY header named the client).
    public mutating func identified(host: String) {
        perAddress[host, default: 0] += 1
    }

    /// A connection closed: `host` is the address it was counted under, if any.
    public mutating func closed(host: String?) {
        assert(open > 0, "a connection closed that never opened")
        open -= 1
        guard let host else { return }
        let remaining = perAddress[host, default: 1] - 1
        perAddress[host] = remaining > 0 ? remaining : nil
    }

    /// Connections open from `host`.
    public func connections(from host: String) -> Int { perAddress[host, default: 0] }

    /// Addresses with a connection open.
    public var addresses: Int { perAddress.count }

    /// Forgets the addresses whose handshake budget is whole again (about once a second).
    public mutating func prune(now: Double) { handshakes.prune(now: now) }

    /// Addresses whose handshake budget is in use.
    public var addressesHandshaking: Int { handshakes.count }
}
