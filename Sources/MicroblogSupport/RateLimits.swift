import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// A token bucket: `rate` tokens a second, holding at most `burst`. A rate of 0 means unlimited.
/// A pure value; the caller passes the time, so tests need no clock.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updated: Double

    public init(rate: Double, burst: Double, now: Double) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.updated = now
    }

    public var isUnlimited: Bool { rate <= 0 }

    /// Takes one token. Returns nil when one was available, else the seconds until one will be.
    public mutating func take(now: Double) -> Double? {
        guard !isUnlimited else { return nil }
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / rate
    }

    /// True when `take` would succeed now (nothing is taken).
    public func hasToken(now: Double) -> Bool {
        var copy = self
        return copy.take(now: now) == nil
    }

    /// Takes one token from a connection's share and one from its address's budget, or neither: the
    /// connection's share is checked first, so one connection cannot drain its address's budget. Nil when
    /// both had one; else the seconds to wait and whose budget is out (`this connection`, `your address`).
    public static func takeShared(
        connection: inout TokenBucket, address: inout TokenBucket, now: Double
    ) -> (wait: Double, whose: String)? {
        if !connection.hasToken(now: now) { return (connection.take(now: now) ?? 0, "this connection") }
        if let wait = address.take(now: now) { return (wait, "your address") }
        _ = connection.take(now: now)
        return nil
    }

    /// True when the bucket is full again, so an idle entry can be forgotten.
    public func isFull(now: Double) -> Bool {
        isUnlimited || tokens + (now - updated) * rate >= burst
    }

    private mutating func refill(now: Double) {
        if now > updated {
            tokens = min(burst, tokens + (now - updated) * rate)
            updated = now
        }
    }
}

/// Failed-login bookkeeping for a set of keys (account names and peer addresses). After `freeFailures`
/// failures in a row a key must wait before its next attempt: 1 s, then twice as long after each further
/// failure, at most `maxDelay`. A success clears the account's key; failures are forgotten after
/// `forgetAfter` seconds without one. A pure value; the caller passes the time.
public struct LoginThrottle: Sendable {
    public var freeFailures = 3
    public var maxDelay: Double = 300
    public var forgetAfter: Double = 900

    private struct Entry: Sendable {
        var failures: Int
        var lastFailure: Double
        var notBefore: Double
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Seconds until any of `keys` may try again, or nil if all may try now.
    public func wait(for keys: [String], now: Double) -> Double? {
        let notBefore = keys.compactMap { entries[$0]?.notBefore }.max() ?? 0
        return notBefore > now ? notBefore - now : nil
    }

    public mutating func recordFailure(_ keys: [String], now: Double) {
        for key in keys {
            var entry = entries[key] ?? Entry(failures: 0, lastFailure: now, notBefore: 0)
            if now - entry.lastFailure > forgetAfter { entry.failures = 0 }
            entry.failures += 1
            entry.lastFailure = now
            // After the `freeFailures`th failure the next attempt already waits.
            if entry.failures >= freeFailures {
                let exponent = Double(min(entry.failures - freeFailures, 30))
                entry.notBefore = now + min(maxDelay, pow(2, exponent))
            }
            entries[key] = entry
        }
    }

    public mutating func recordSuccess(_ key: String) {
        entries[key] = nil
    }

    /// Drops entries that no longer matter, so the table stays small.
    public mutating func prune(now: Double) {
        entries = entries.filter { now - $0.value.lastFailure <= forgetAfter || $0.value.notBefore > now }
    }

    public var count: Int { entries.count }
}
