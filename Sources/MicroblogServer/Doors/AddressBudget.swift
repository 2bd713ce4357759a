import MicroblogSupport

/// A token bucket per client address, for work whose cost the client chooses by asking (a TLS handshake,
/// an SSH key exchange): `perMinute` a minute from one address, in bursts of at most that many. 0 means
/// unlimited. Buckets that have filled up again are forgotten by `prune`, so the table holds only the
/// addresses active in the last minute or so. A pure value; the caller passes the time.
public struct AddressBudget: Sendable {
    let perMinute: Double
    private var buckets: [String: TokenBucket] = [:]

    public init(perMinute: Double) { self.perMinute = perMinute }

    /// Takes one from `address`'s budget: nil when there was one, else the seconds until there will be.
    public mutating func take(_ address: String, now: Double) -> Double? {
        guard perMinute > 0 else { return nil }
        var bucket = buckets[address] ?? TokenBucket(rate: perMinute / 60, burst: perMinute, now: now)
        let wait = bucket.take(now: now)
        buckets[address] = bucket
        return wait
    }

    /// Forgets the addresses whose budget is whole again.
    public mutating func prune(now: Double) {
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }

    /// Addresses with a budget in use.
    var count: Int { buckets.count }
}
