import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Failed logins against one account name, kept so that guessing at it stays slow without letting
/// anyone lock its owner out. A pure value; the caller passes the time. Owned by `Microblog`.
///
/// Once a name has had `freeFailures` failures (within `forgetAfter`), it is guarded:
/// - an address that has logged into it before (a known-good address) is not held back by the name;
/// - any other address may try it once per `retryAfter` seconds, and that attempt is checked in full,
///   so its owner, from a new address, still gets in with the right password at the first try.
/// Guesses at one name are then bounded by the number of addresses guessing, each one attempt per
/// `retryAfter`, on top of the per-address throttle (`LoginThrottle`), which still slows each address.
public struct AccountGuard: Sendable {
    public var freeFailures = 3
    public var retryAfter: Double = 300
    public var forgetAfter: Double = 900
    /// Known-good addresses remembered per name, the most recent kept.
    public var knownAddressesPerName = 16

    private struct Entry: Sendable {
        var failures = 0
        var lastFailure: Double = 0
        /// When each other address last tried the name while it was guarded.
        var guardedTries: [String: Double] = [:]
    }

    private var entries: [String: Entry] = [:]
    private var knownGood: [String: [String]] = [:]

    public init() {}

    /// True when the name has had enough recent failures to be guarded.
    public func isGuarded(_ name: String, now: Double) -> Bool {
        guard let entry = entries[name] else { return false }
        return entry.failures >= freeFailures && now - entry.lastFailure <= forgetAfter
    }

    /// Seconds before `peer` may try `name` again, or nil when it may try now. Taking the attempt is
    /// recorded: call it only when the attempt will be made.
    public mutating func admit(name: String, peer: String, now: Double) -> Double? {
        guard isGuarded(name, now: now), knownGood[name]?.contains(peer) != true else { return nil }
        var entry = entries[name] ?? Entry()
        if let last = entry.guardedTries[peer], now - last < retryAfter { return retryAfter - (now - last) }
        entry.guardedTries[peer] = now
        entries[name] = entry
        return nil
    }

    public mutating func recordFailure(name: String, now: Double) {
        var entry = entries[name] ?? Entry()
        if now - entry.lastFailure > forgetAfter {
            entry.failures = 0
            entry.guardedTries = [:]
        }
        entry.failures += 1
        entry.lastFailure = now
        entries[name] = entry
    }

    /// The right password from `peer`: it becomes a known-good address of `name`. The failures stay
    /// counted, so the guessers are still held back.
    public mutating func recordSuccess(name: String, peer: String) {
        var known = (knownGood[name] ?? []).filter { $0 != peer }
        known.append(peer)
        if known.count > knownAddressesPerName { known.removeFirst(known.count - knownAddressesPerName) }
        knownGood[name] = known
        entries[name]?.guardedTries[peer] = nil
    }

    /// Drops entries that no longer matter. Known-good addresses are kept (bounded per name).
    public mutating func prune(now: Double) {
        entries = entries.filter { now - $0.value.lastFailure <= max(forgetAfter, retryAfter) }
    }
}
